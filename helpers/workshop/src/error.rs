//! The facade's error: one clear line saying what failed and what to do.

use std::fmt;

/// An error shown to a notebook user. `Debug` prints the same single line as `Display`, because evcxr shows a
/// cell's `Err` with `Debug`.
pub struct WorkshopError {
    message: String,
}

impl WorkshopError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        WorkshopError { message: message.into() }
    }

    /// Wraps any error with what was being done.
    pub fn context(what: impl fmt::Display, error: impl fmt::Display) -> Self {
        WorkshopError { message: format!("{what}: {error}") }
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

impl std::error::Error for WorkshopError {}

macro_rules! from_error {
    ($($ty:ty),* $(,)?) => {
        $(impl From<$ty> for WorkshopError {
            fn from(e: $ty) -> Self {
                WorkshopError::new(e.to_string())
            }
        })*
    };
}

from_error!(
    std::io::Error,
    ipinsights_sagemaker::HyperParameterError,
    ipinsights_sagemaker::ImageError,
    ipinsights_sagemaker::NameError,
    ipinsights_sagemaker::S3UriError,
    ipinsights_sagemaker::OptionError,
    ipinsights_sagemaker::ValueError,
    ipinsights_contract::ContractError,
    ipinsights_engine::ModelFileError,
    ipinsights_engine::tuples::TupleError,
    ipinsights_client::ClientError,
    ipinsights_security::SecurityError,
);

/// The facade's result type.
pub type Result<T, E = WorkshopError> = std::result::Result<T, E>;
