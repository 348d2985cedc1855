//! SageMaker Runtime InvokeEndpoint.

use aws_sdk_sagemakerruntime::operation::invoke_endpoint::InvokeEndpointError;
use aws_sdk_sagemakerruntime::operation::RequestId;
use aws_sdk_sagemakerruntime::primitives::Blob;

use crate::error::ServiceError;
use crate::hosting::endpoint_error;
use crate::{AwsConfig, AwsError, ModelFailure};

/// SageMaker Runtime's request body limit (6 MiB); larger requests must be split by the caller.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;

/// Sends `body` to the endpoint with the given `Content-Type` and `Accept`; returns the response body.
///
/// A container error is [`AwsError::ModelError`] with the container's status and message; other service
/// errors (e.g. `ValidationError` for a missing endpoint) keep SageMaker's code and message.
pub fn invoke_endpoint(
    cfg: &AwsConfig,
    endpoint_name: &str,
    body: Vec<u8>,
    content_type: &str,
    accept: &str,
) -> Result<Vec<u8>, AwsError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(AwsError::InvalidInput(format!(
            "the request body is {} bytes; SageMaker Runtime accepts at most {MAX_REQUEST_BYTES}: split the rows \
             into several requests",
            body.len()
        )));
    }
    cfg.run(async {
        let client = cfg.runtime().await?;
        let result = client
            .invoke_endpoint()
            .endpoint_name(endpoint_name)
            .content_type(content_type)
            .accept(accept)
            .body(Blob::new(body))
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.body().map(|b| b.as_ref().to_vec()).unwrap_or_default()),
            Err(err) => Err(match err.as_service_error() {
                Some(InvokeEndpointError::ModelError(m)) => AwsError::ModelError(Box::new(ModelFailure {
                    endpoint_name: endpoint_name.into(),
                    message: m.message().unwrap_or_default().into(),
                    original_status_code: m.original_status_code(),
                    original_message: m.original_message().map(String::from),
                    log_stream_arn: m.log_stream_arn().map(String::from),
                    request_id: err.request_id().map(String::from),
                })),
                _ => {
                    endpoint_error(endpoint_name, ServiceError::from_sdk("InvokeEndpoint", &err), is_runtime_not_found)
                }
            }),
        }
    })
}

/// SageMaker Runtime answers a call to an endpoint that does not exist with `ValidationError: Endpoint NAME of
/// account ACCOUNT not found.`: that is [`AwsError::EndpointNotFound`], as DescribeEndpoint's answer is.
/// SageMaker Runtime answers a missing endpoint with `ValidationError: Endpoint … not found.`.
fn is_runtime_not_found(e: &ServiceError) -> bool {
    e.code.as_deref() == Some("ValidationError")
        && e.message.as_deref().is_some_and(|m| m.starts_with("Endpoint ") && m.ends_with(" not found."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_bodies_fail_before_any_call() {
        let err = invoke_endpoint(&AwsConfig::default(), "e", vec![b'a'; MAX_REQUEST_BYTES + 1], "text/csv", "x")
            .unwrap_err();
        assert!(err.to_string().contains("at most 6291456"), "{err}");
    }
}
