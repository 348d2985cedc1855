//! Errors of the account crate: every message names the bucket, key, detector or resource involved.

use std::path::PathBuf;

use ipinsights_aws_calls::AwsError;
use ipinsights_security_logs::SecurityError;

/// Everything that can go wrong reading an account's data or deploying the detector.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// An AWS call failed (with its operation, code, message and request id), or the configuration is unusable.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A CloudTrail object or a finding could not be read (the message names it).
    #[error(transparent)]
    Security(#[from] SecurityError),
    /// An argument is invalid (dates, names, sizes), caught before any call.
    #[error("{0}")]
    InvalidInput(String),
    /// A resource did not reach the state a step needs: still changing when the wait ended, or failed.
    #[error("{0}")]
    NotReady(String),
    /// GuardDuty has no detector in the region.
    #[error(
        "GuardDuty is not enabled in {region}: ListDetectors returned no detector (enable GuardDuty, or choose the \
         region where it runs)"
    )]
    NoDetector {
        /// The region asked.
        region: String,
    },
    /// An S3 object could not be fetched or is too large to read.
    #[error("{uri}: {message}")]
    Object {
        /// `s3://bucket/key`.
        uri: String,
        /// What went wrong.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing (`read`, `write`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A deployment or teardown step failed; the message names the step and what was already changed before it.
    #[error("{step}: {source} ({})", changed_so_far(changed))]
    Deploy {
        /// What was being done, e.g. `updating the code of Lambda function ipinsights-detector`.
        step: String,
        /// What earlier steps changed in the account, in order (empty: nothing).
        changed: Vec<String>,
        /// Why it failed.
        #[source]
        source: Box<AccountError>,
    },
}

impl AccountError {
    /// Wraps a failed SDK call of any service with its full context.
    pub(crate) fn sdk<E>(
        operation: &'static str,
        err: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> Self
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        AccountError::Aws(ipinsights_aws_calls::sdk::service_error(operation, err))
    }

    /// The AWS error code, if this is a failed AWS call.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            AccountError::Aws(e) => e.service_code(),
            AccountError::Deploy { source, .. } => source.service_code(),
            _ => None,
        }
    }
}

/// The answer of a call, or `None` when the service refused it as `absent` says (the resource is not there, or
/// already there); any other refusal is the call's error.
pub(crate) fn found_or_none<T, E>(
    operation: &'static str,
    answer: std::result::Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    absent: impl FnOnce(&E) -> bool,
) -> Result<Option<T>>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.as_service_error().is_some_and(absent) => Ok(None),
        Err(e) => Err(AccountError::sdk(operation, e)),
    }
}

/// The tail of a failed step's message: what the account already holds of the change.
fn changed_so_far(changed: &[String]) -> String {
    if changed.is_empty() {
        "nothing was changed in the account".into()
    } else {
        format!("already changed: {}", changed.join("; "))
    }
}

/// Result alias for this crate.
pub type Result<T, E = AccountError> = std::result::Result<T, E>;
