//! Errors of the AWS backend: the seed's bucket messages verbatim, and SDK errors with their full context.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use ipinsights_sagemaker_facts::{EndpointStatus, TrainingJobStatus, TransformJobStatus};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsError {
    /// The bucket name is empty or not a bucket name (the seed's message, verbatim).
    #[error("Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!")]
    InvalidBucketName {
        /// The name as given.
        bucket: String,
    },
    /// HeadBucket answered 403 (the seed's message, verbatim).
    #[error("Hey! You don't have permission to access the bucket, {bucket}.")]
    BucketForbidden {
        /// The bucket.
        bucket: String,
    },
    /// HeadBucket answered 404 (the seed's message, verbatim).
    #[error("Hey! Your bucket, {bucket}, doesn't exist!")]
    BucketNotFound {
        /// The bucket.
        bucket: String,
    },
    /// HeadBucket answered 301: the bucket lives in another region than this session.
    #[error(
        "Hey! Your bucket, {bucket}, is in region {bucket_region}, but this session uses {region}. SageMaker \
         needs the bucket in the region of the training job: set the region to {bucket_region} or use a bucket \
         in {region}."
    )]
    BucketInOtherRegion {
        /// The bucket.
        bucket: String,
        /// Its region (header `x-amz-bucket-region`), or `unknown`.
        bucket_region: String,
        /// The session's region.
        region: String,
    },
    /// No region in the configuration, the environment, the profile or IMDS.
    #[error(
        "no AWS region configured: set AwsConfig.region, the AWS_REGION environment variable, or `region` in \
         your AWS profile"
    )]
    NoRegion,
    /// Nothing configured a role and the caller is not an assumed role (an IAM user, the root user, …).
    #[error(
        "the caller identity `{caller_arn}` is not an assumed IAM role, so it cannot be used as the SageMaker \
         execution role: {ROLE_HINT}"
    )]
    CallerNotARole {
        /// The caller's identity ARN (STS GetCallerIdentity); never credentials.
        caller_arn: String,
    },
    /// Nothing configured a role and asking STS who the caller is failed.
    #[error("no SageMaker execution role configured, and finding the caller's role failed ({source}): {ROLE_HINT}")]
    RoleDiscovery {
        /// The failed GetCallerIdentity call.
        #[source]
        source: Box<ServiceError>,
    },
    /// The execution role's trust policy does not let SageMaker assume it (jobs would fail with "Could not assume
    /// role"); checked at setup, before any job.
    #[error(
        "SageMaker cannot assume the execution role `{arn}` ({source_name}): {reason}, so every training job, model \
         and endpoint would fail with \"Could not assume role\". {}",
        role_fix_hint(.arn)
    )]
    RoleNotAssumable {
        /// The role ARN.
        arn: String,
        /// Where the role came from, in words (e.g. `SAGEMAKER_ROLE_ARN`, `the role you are signed in with`).
        source_name: String,
        /// Why, from its trust policy.
        reason: String,
    },
    /// The instance type has a quota of 0 for this use in the region (Service Quotas): SageMaker would refuse it.
    #[error(
        "{instance_type} is not available for {usage} in region {region}: its SageMaker quota \"{quota_name}\" is 0 \
         (Service Quotas). {}Nothing was created.",
        suggestion.as_ref().map_or_else(
            || "Choose another instance type, or request a quota increase in the Service Quotas console. ".to_string(),
            |t| format!("Choose another instance type, e.g. {t} (it has quota there), or request a quota increase in \
                         the Service Quotas console. ")
        )
    )]
    InstanceTypeUnavailable {
        /// The instance type refused.
        instance_type: String,
        /// Its use in words (`training jobs`, `endpoints`, `batch transform jobs`).
        usage: &'static str,
        /// The quota's name.
        quota_name: String,
        /// The region.
        region: String,
        /// A type of the same listing with quota for this use.
        suggestion: Option<String>,
    },
    /// A role that is not an IAM role ARN.
    #[error("`{arn}` is not an IAM role ARN (expected arn:<partition>:iam::<account>:role/<name>)")]
    InvalidRoleArn {
        /// The value as given.
        arn: String,
    },
    /// No image for this region or algorithm.
    #[error(transparent)]
    Image(#[from] ipinsights_sagemaker_facts::ImageError),
    /// A malformed `s3://bucket/key` URI.
    #[error("invalid S3 URI `{uri}`: {reason}")]
    InvalidS3Uri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Any other invalid argument (names, counts, sizes), caught before any call.
    #[error("{0}")]
    InvalidInput(String),
    /// A local file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing (`read`, `create`, …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The training job ended Failed or Stopped (the SDK's wording).
    #[error("Error for Training job {job_name}: {status}. Reason: {reason}")]
    TrainingJobFailed {
        /// The job.
        job_name: String,
        /// Its final status.
        status: TrainingJobStatus,
        /// FailureReason, or `(No reason provided)`.
        reason: String,
    },
    /// The transform job ended Failed (the SDK's wording).
    #[error("Error for Transform job {job_name}: {status}. Reason: {reason}")]
    TransformJobFailed {
        /// The job.
        job_name: String,
        /// Its final status.
        status: TransformJobStatus,
        /// FailureReason, or `(No reason provided)`.
        reason: String,
    },
    /// Waiting for a job or an endpoint failed (after the retries) while it keeps running: how to pick it up again.
    #[error(
        "lost track of {kind} {job_name} while waiting for it: {source}.{} The {kind} itself keeps running on \
         SageMaker: resume waiting with {resume}",
        if *credentials { " Your AWS credentials were refused (expired?): refresh them (e.g. `aws sso login`, or new \
         session credentials in the environment) first." } else { "" }
    )]
    WaitInterrupted {
        /// `training job`, `transform job` or `endpoint`.
        kind: &'static str,
        /// The job.
        job_name: String,
        /// What failed.
        #[source]
        source: Box<AwsError>,
        /// Whether the failure is a refused or expired credential.
        credentials: bool,
        /// How to resume, e.g. ``Estimator::attach (`estimator.attach("JOB")?`)``.
        resume: String,
    },
    /// The endpoint ended in a status other than InService (the SDK's wording).
    #[error("Error hosting endpoint {endpoint_name}: {status}. Reason: {reason}")]
    EndpointFailed {
        /// The endpoint.
        endpoint_name: String,
        /// Its final status.
        status: EndpointStatus,
        /// FailureReason, or `(No reason provided)`.
        reason: String,
    },
    /// The endpoint does not exist (never created, or already deleted).
    #[error("endpoint {endpoint_name} does not exist (never created, or already deleted): {source}")]
    EndpointNotFound {
        /// The endpoint.
        endpoint_name: String,
        /// The service's answer.
        #[source]
        source: Box<ServiceError>,
    },
    /// The model container answered an error (SageMaker Runtime `ModelError`), with the container's own message.
    #[error(transparent)]
    ModelError(Box<ModelFailure>),
    /// An AWS call failed (service error, throttling after retries, network, credentials…).
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// A function of this crate was called from inside an async runtime.
    #[error(
        "ipinsights-aws-calls functions are synchronous and build their own runtime: call them from synchronous code \
         (or tokio::task::spawn_blocking), not from inside an async runtime"
    )]
    InsideAsyncRuntime,
    /// SageMaker answered a status this crate does not know.
    #[error("{operation} answered the status {status:?}, which this version does not know")]
    UnknownStatus {
        /// The call, e.g. `DescribeTrainingJob`.
        operation: &'static str,
        /// The status as answered.
        status: String,
    },
    /// The per-call Tokio runtime could not be built.
    #[error("cannot start the Tokio runtime for the AWS call: {0}")]
    Runtime(#[source] std::io::Error),
}

impl From<ipinsights_sagemaker_facts::S3UriError> for AwsError {
    fn from(e: ipinsights_sagemaker_facts::S3UriError) -> Self {
        AwsError::InvalidS3Uri { uri: e.uri, reason: e.reason }
    }
}

impl From<ipinsights_sagemaker_facts::NameError> for AwsError {
    fn from(e: ipinsights_sagemaker_facts::NameError) -> Self {
        AwsError::InvalidInput(e.to_string())
    }
}

impl From<ipinsights_sagemaker_facts::OptionError> for AwsError {
    fn from(e: ipinsights_sagemaker_facts::OptionError) -> Self {
        AwsError::InvalidInput(e.to_string())
    }
}

/// Error codes AWS answers when a call's credentials are expired or not valid.
const CREDENTIAL_CODES: [&str; 8] = [
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
];

/// How to fix a role SageMaker cannot assume; the IAM Identity Center (SSO) case spelled out.
fn role_fix_hint(arn: &str) -> String {
    let name = arn.rsplit('/').next().unwrap_or_default();
    let sso = if name.starts_with("AWSReservedSSO_") {
        format!(
            "{name} is the role of an IAM Identity Center (SSO) sign-in: only IAM Identity Center can assume it, \
             never SageMaker. "
        )
    } else {
        String::new()
    };
    format!(
        "{sso}Create or choose an execution role whose trust policy allows sts:AssumeRole to \
         sagemaker.amazonaws.com (the SageMaker console creates one named AmazonSageMaker-ExecutionRole-…) and \
         pass its ARN with SAGEMAKER_ROLE_ARN (or AwsConfig.role_arn), e.g. \
         SAGEMAKER_ROLE_ARN=arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000"
    )
}

/// How to give a role, for the role errors.
const ROLE_HINT: &str = "pass a role ARN (AwsConfig.role_arn) or set SAGEMAKER_ROLE_ARN (or IPINSIGHTS_ROLE_ARN) \
     to the ARN of an IAM role that SageMaker can assume, e.g. \
     arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";

/// A SageMaker Runtime `ModelError`: the container behind the endpoint answered an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "endpoint {endpoint_name}: the model answered HTTP {}: {} ({message}; request id {}; logs {})",
    opt(original_status_code),
    opt(original_message),
    opt(request_id),
    opt(log_stream_arn)
)]
pub struct ModelFailure {
    /// The endpoint.
    pub endpoint_name: String,
    /// SageMaker's message.
    pub message: String,
    /// The container's HTTP status.
    pub original_status_code: Option<i32>,
    /// The container's message.
    pub original_message: Option<String>,
    /// The CloudWatch log stream of the container.
    pub log_stream_arn: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A failed AWS call with everything the SDK knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// The API operation, e.g. `CreateTrainingJob`.
    pub operation: &'static str,
    /// The service's error code, e.g. `ValidationException` (None for network or credential failures).
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// The request id (`x-amzn-requestid` / `x-amz-request-id`).
    pub request_id: Option<String>,
    /// The HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// The SDK's full error chain (`DisplayErrorContext`).
    pub detail: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.operation)?;
        match (&self.code, self.http_status) {
            (Some(code), _) => {
                write!(f, "{code}: {}", self.message.as_deref().unwrap_or("(no message)"))?;
            }
            (None, Some(status)) => write!(f, "HTTP {status}: {}", self.detail)?,
            (None, None) => return write!(f, "{}", self.detail),
        }
        match (self.http_status, &self.request_id) {
            (Some(status), Some(id)) => write!(f, " (HTTP {status}, request id {id})"),
            (Some(status), None) if self.code.is_some() => write!(f, " (HTTP {status})"),
            (None, Some(id)) => write!(f, " (request id {id})"),
            _ => Ok(()),
        }
    }
}

impl StdError for ServiceError {}

impl ServiceError {
    /// Captures an SDK error of any service with its code, message, request id, HTTP status and chain.
    pub(crate) fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (code, message) = match err {
            SdkError::ServiceError(e) => (e.err().code().map(String::from), e.err().message().map(String::from)),
            _ => (None, None),
        };
        ServiceError {
            operation,
            code,
            message,
            request_id: err.request_id().map(String::from),
            http_status: status,
            detail: DisplayErrorContext(err).to_string(),
        }
    }
}

impl AwsError {
    /// Wraps any SDK error as [`AwsError::Service`].
    pub(crate) fn sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        AwsError::Service(Box::new(ServiceError::from_sdk(operation, &err)))
    }

    /// Whether AWS refused the call's credentials: expired or invalid tokens and keys, or no credentials at all.
    pub fn is_credentials_error(&self) -> bool {
        match self {
            AwsError::Service(e) => match e.code.as_deref() {
                Some(code) => CREDENTIAL_CODES.contains(&code),
                None => {
                    let detail = e.detail.to_ascii_lowercase();
                    detail.contains("credential") || detail.contains("expired")
                }
            },
            AwsError::WaitInterrupted { credentials, .. } => *credentials,
            _ => false,
        }
    }

    /// Whether the service refused the call for its rate (a throttling code such as `ThrottlingException` or S3's
    /// `SlowDown`, or HTTP 429), after the SDK's retries.
    pub fn is_throttling(&self) -> bool {
        match self {
            AwsError::Service(e) if e.code.is_none() => e.http_status == Some(429),
            _ => self.service_code().is_some_and(ipinsights_attempts::is_throttling),
        }
    }

    /// The service error code, if this is a failed AWS call.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            AwsError::Service(e)
            | AwsError::EndpointNotFound { source: e, .. }
            | AwsError::RoleDiscovery { source: e } => e.code.as_deref(),
            AwsError::ModelError(_) => Some("ModelError"),
            AwsError::WaitInterrupted { source, .. } => source.service_code(),
            _ => None,
        }
    }
}

/// Shows an optional value, or `?` when absent.
fn opt<T: fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map_or_else(|| "?".to_string(), T::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: Option<&str>, status: Option<u16>, request_id: Option<&str>) -> ServiceError {
        ServiceError {
            operation: "CreateTrainingJob",
            code: code.map(String::from),
            message: Some("Rate exceeded".into()),
            request_id: request_id.map(String::from),
            http_status: status,
            detail: "dispatch failure: connection refused".into(),
        }
    }

    #[test]
    fn throttling_is_told_by_its_code_or_http_429() {
        let throttled = |code: Option<&str>, status| AwsError::Service(Box::new(service(code, status, None)));
        assert!(throttled(Some("ThrottlingException"), Some(400)).is_throttling());
        assert!(throttled(Some("SlowDown"), Some(503)).is_throttling());
        assert!(throttled(None, Some(429)).is_throttling());
        assert!(!throttled(Some("ValidationException"), Some(400)).is_throttling());
        assert!(!throttled(None, Some(500)).is_throttling());
        let waited = AwsError::WaitInterrupted {
            kind: "endpoint",
            job_name: "ep".into(),
            source: Box::new(throttled(Some("ThrottlingException"), Some(400))),
            credentials: false,
            resume: String::new(),
        };
        assert!(waited.is_throttling(), "a wait lost to throttling is throttling");
    }

    #[test]
    fn service_errors_show_code_message_status_and_request_id() {
        let e = service(Some("ThrottlingException"), Some(400), Some("abc-123"));
        assert_eq!(
            e.to_string(),
            "CreateTrainingJob failed: ThrottlingException: Rate exceeded (HTTP 400, request id abc-123)"
        );
        let network = service(None, None, None);
        assert_eq!(network.to_string(), "CreateTrainingJob failed: dispatch failure: connection refused");
        let bare = service(None, Some(500), None);
        assert_eq!(bare.to_string(), "CreateTrainingJob failed: HTTP 500: dispatch failure: connection refused");
    }

    #[test]
    fn seed_messages_are_verbatim() {
        let b = || "my-bucket".to_string();
        assert_eq!(
            AwsError::InvalidBucketName { bucket: b() }.to_string(),
            "Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!"
        );
        assert_eq!(
            AwsError::BucketForbidden { bucket: b() }.to_string(),
            "Hey! You don't have permission to access the bucket, my-bucket."
        );
        assert_eq!(AwsError::BucketNotFound { bucket: b() }.to_string(), "Hey! Your bucket, my-bucket, doesn't exist!");
    }
}
