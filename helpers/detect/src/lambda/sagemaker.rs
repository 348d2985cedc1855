//! Scores on a SageMaker endpoint by name through SageMaker Runtime (the AWS SDK signs with SigV4 from the
//! function's role): CSV rows in, JSON `dot_product`s out, split and sent by the client crate's `predict_via`
//! (request and response under 6 MiB, bounded concurrency), the same path as every other endpoint.

use aws_sdk_sagemakerruntime::error::DisplayErrorContext;
use aws_sdk_sagemakerruntime::primitives::Blob;
use ipinsights_attempts::AttemptLog;
use ipinsights_client::{predict_via, ClientError, RequestFormat, ResponseFormat, ResponseKind, Transport};
use ipinsights_protocol::{Pair, ScoreError};
use tokio::runtime::Handle;

use crate::scorer::Scorer;

/// Attempts per SageMaker Runtime or SNS call (standard retry mode: exponential backoff with jitter on throttling
/// and transient errors), within the function's timeout.
pub const MAX_ATTEMPTS: u32 = 5;

/// A SageMaker endpoint as a [`Scorer`]. Its calls run on the function's Tokio runtime: use it from a blocking
/// thread (`spawn_blocking`), as the handler does, never from async code.
pub struct SageMakerScorer {
    client: aws_sdk_sagemakerruntime::Client,
    endpoint: String,
    runtime: Handle,
}

impl SageMakerScorer {
    /// A scorer for `endpoint` with the SDK configuration `sdk`, recording failed attempts in `log`, calling on
    /// `runtime`.
    pub fn new(sdk: &aws_config::SdkConfig, endpoint: &str, log: &AttemptLog, runtime: Handle) -> Self {
        let conf = aws_sdk_sagemakerruntime::config::Builder::from(sdk)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .interceptor(log.clone())
            .build();
        SageMakerScorer {
            client: aws_sdk_sagemakerruntime::Client::from_conf(conf),
            endpoint: endpoint.into(),
            runtime,
        }
    }
}

/// One InvokeEndpoint call: a body in, the answer's body out.
impl Transport for SageMakerScorer {
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        let call = self
            .client
            .invoke_endpoint()
            .endpoint_name(&self.endpoint)
            .content_type(content_type)
            .accept(accept)
            .body(Blob::new(body))
            .send();
        let answer = self.runtime.block_on(call).map_err(|e| ClientError::Transport {
            target: format!("SageMaker endpoint {}", self.endpoint),
            source: format!("InvokeEndpoint failed: {}", DisplayErrorContext(&e)).into(),
        })?;
        Ok(answer.body.map(Blob::into_inner).unwrap_or_default())
    }
}

impl Scorer for SageMakerScorer {
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        if let Some((entity, ip)) = pairs.iter().find(|(_, ip)| ip.is_ipv6()) {
            return Err(ScoreError::new(
                self.describe(),
                format!("{entity},{ip}: SageMaker's IP Insights scores IPv4 addresses only"),
            ));
        }
        let json = ResponseFormat::plain(ResponseKind::Json);
        let predictions =
            predict_via(self, pairs, RequestFormat::Csv, json).map_err(|e| ScoreError::new(self.describe(), e))?;
        Ok(predictions.into_iter().map(|p| p.dot_product).collect())
    }

    fn describe(&self) -> String {
        format!("SageMaker endpoint {}", self.endpoint)
    }

    fn ipv4_only(&self) -> bool {
        true
    }
}
