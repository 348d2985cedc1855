//! The facade's error: one clear line saying what failed and what to do, with a kind callers can match.
//!
//! Both backends report the same case with the same [`ErrorKind`] (a training job that fails is
//! [`ErrorKind::JobFailed`] on this machine and on SageMaker), so a caller matches once; the error it came from
//! (an `ipinsights_aws_calls::AwsError`, an `std::io::Error`, …) stays attached as its [`std::error::Error::source`].

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of resource a [`ErrorKind::NotFound`] did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Missing {
    /// An endpoint (never created, already deleted, or its server gone).
    Endpoint,
    /// A training job.
    TrainingJob,
    /// A transform job.
    TransformJob,
    /// An S3 bucket (a folder on the local backend).
    Bucket,
    /// An S3 object (a file on the local backend).
    Object,
    /// A local file.
    File,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::Endpoint => "endpoint",
            Missing::TrainingJob => "training job",
            Missing::TransformJob => "transform job",
            Missing::Bucket => "bucket",
            Missing::Object => "object",
            Missing::File => "file",
        })
    }
}

/// What went wrong, as a caller tells the cases apart; the same kinds on every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value given was refused before anything ran (a setter, a name, a URI, a hyperparameter, an option).
    Validation,
    /// Something named does not exist.
    NotFound {
        /// What kind of thing.
        what: Missing,
        /// Its name (an endpoint or job name, a bucket, an `s3://` URI, a path).
        name: String,
    },
    /// The service refused the call for its rate, after the SDK's retries (SageMaker's `ThrottlingException`,
    /// S3's `SlowDown`, …): wait a little and run the cell again.
    Throttled,
    /// A training or transform job ended `Failed`.
    JobFailed {
        /// The job.
        job_name: String,
        /// Why (`FailureReason`, or the algorithm's own reason on the local backend).
        reason: String,
    },
    /// An endpoint did not come into service (or its server stopped).
    EndpointFailed {
        /// The endpoint.
        endpoint_name: String,
        /// Why.
        reason: String,
    },
    /// A job was stopped before it made what the call needs.
    Stopped {
        /// The job.
        name: String,
    },
    /// A local file or folder could not be read or written.
    Io {
        /// The file or folder, when known.
        path: Option<PathBuf>,
    },
    /// This backend or this build cannot do it (the AWS backend or a cargo feature is needed); the message says
    /// what to change.
    Unsupported,
    /// Any other failed AWS call; `WorkshopError::aws_error` (feature `aws`) gives the `AwsError` itself.
    Aws,
    /// Anything else; the message says what.
    Other,
}

/// An error shown to a notebook user: a kind to match ([`WorkshopError::kind`]) and one line to read. `Debug`
/// prints the same single line as `Display`, because evcxr shows a cell's `Err` with `Debug`.
pub struct WorkshopError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl WorkshopError {
    /// An error of kind `kind` with this message.
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Self {
        WorkshopError { kind, message: message.into(), source: None }
    }

    /// An error of kind [`ErrorKind::Other`] with this message.
    pub fn new(message: impl Into<String>) -> Self {
        WorkshopError::of(ErrorKind::Other, message)
    }

    /// A refused value ([`ErrorKind::Validation`]) with this message.
    pub fn validation(message: impl Into<String>) -> Self {
        WorkshopError::of(ErrorKind::Validation, message)
    }

    /// Something this backend or build cannot do ([`ErrorKind::Unsupported`]), the message saying what to change.
    pub fn unsupported(message: impl Into<String>) -> Self {
        WorkshopError::of(ErrorKind::Unsupported, message)
    }

    /// `what` named `name` does not exist ([`ErrorKind::NotFound`]), with this message.
    pub fn not_found(what: Missing, name: impl Into<String>, message: impl Into<String>) -> Self {
        WorkshopError::of(ErrorKind::NotFound { what, name: name.into() }, message)
    }

    /// `cannot {action} {path}: {error}` ([`ErrorKind::Io`] naming the path).
    pub fn io(action: &str, path: &Path, error: std::io::Error) -> Self {
        let message = format!("cannot {action} {}: {error}", path.display());
        WorkshopError::of(ErrorKind::Io { path: Some(path.to_path_buf()) }, message).caused_by(error)
    }

    /// Wraps any error with what was being done ([`ErrorKind::Other`]).
    pub fn context(what: impl fmt::Display, error: impl fmt::Display) -> Self {
        WorkshopError::new(format!("{what}: {error}"))
    }

    /// This error with `source` attached as the error it came from.
    pub fn caused_by(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// This error with `what` put before its message; its kind and source stay.
    pub fn within(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The failed AWS call behind this error, with its own kind (`AwsError::service_code`, …), when there is one.
    #[cfg(feature = "aws")]
    pub fn aws_error(&self) -> Option<&ipinsights_aws_calls::AwsError> {
        self.source.as_deref()?.downcast_ref()
    }
}

impl fmt::Display for WorkshopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for WorkshopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for WorkshopError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

macro_rules! from_error {
    ($kind:expr => $($ty:ty),* $(,)?) => {
        $(impl From<$ty> for WorkshopError {
            fn from(e: $ty) -> Self {
                WorkshopError::of($kind, e.to_string()).caused_by(e)
            }
        })*
    };
}

from_error!(ErrorKind::Io { path: None } => std::io::Error);

from_error!(
    ErrorKind::Validation =>
    ipinsights_sagemaker_facts::HyperParameterError,
    ipinsights_sagemaker_facts::ImageError,
    ipinsights_sagemaker_facts::NameError,
    ipinsights_sagemaker_facts::S3UriError,
    ipinsights_sagemaker_facts::OptionError,
    ipinsights_sagemaker_facts::ValueError,
);

from_error!(
    ErrorKind::Other =>
    ipinsights_contract::ContractError,
    ipinsights_engine::ModelFileError,
    ipinsights_engine::tuples::TupleError,
    ipinsights_client::ClientError,
    ipinsights_security_logs::SecurityError,
);

impl From<ipinsights_simulated_account::SimulationError> for WorkshopError {
    fn from(e: ipinsights_simulated_account::SimulationError) -> Self {
        use ipinsights_simulated_account::SimulationError;
        let kind = match &e {
            SimulationError::Config { .. } => ErrorKind::Validation,
            SimulationError::Write { path, .. } => ErrorKind::Io { path: Some(path.clone()) },
        };
        WorkshopError::of(kind, e.to_string()).caused_by(e)
    }
}

/// The facade's result type.
pub type Result<T, E = WorkshopError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_prints_its_line_and_keeps_its_kind_and_source() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = WorkshopError::io("write", Path::new("/x/y.csv"), io).within("saving the figure");
        assert_eq!(e.to_string(), "saving the figure: cannot write /x/y.csv: denied");
        assert_eq!(format!("{e:?}"), e.to_string(), "evcxr shows Debug: the same one line");
        assert_eq!(e.kind(), &ErrorKind::Io { path: Some(PathBuf::from("/x/y.csv")) });
        let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the io::Error");
        assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn the_facts_crates_refusals_are_validation_errors() {
        let e: WorkshopError = ipinsights_sagemaker_facts::S3Uri::parse("not-a-uri").unwrap_err().into();
        assert_eq!(e.kind(), &ErrorKind::Validation, "{e}");
        let e = WorkshopError::not_found(Missing::Endpoint, "ep", "Could not find endpoint \"ep\"");
        assert_eq!(e.kind(), &ErrorKind::NotFound { what: Missing::Endpoint, name: "ep".into() });
    }

    #[test]
    fn a_simulation_setting_out_of_range_is_validation_and_a_failed_write_names_its_path() {
        use ipinsights_simulated_account::{simulate_account, SimConfig};
        let dir = tempfile::tempdir().unwrap();
        let bad = SimConfig { days: 0, ..SimConfig::default() };
        let e: WorkshopError = simulate_account(&bad, dir.path()).unwrap_err().into();
        assert_eq!(e.kind(), &ErrorKind::Validation, "{e}");
        assert!(e.to_string().contains("field `days`"), "{e}");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let small = SimConfig { events: 100, days: 1, findings: 2, ..SimConfig::default() };
        let e: WorkshopError = simulate_account(&small, &file).unwrap_err().into();
        assert!(matches!(e.kind(), ErrorKind::Io { path: Some(p) } if p.starts_with(&file)), "{e}");
    }
}
