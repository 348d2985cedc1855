//! What can go wrong while simulating an account: a setting out of range, or a file that cannot be written.

use std::path::PathBuf;

/// An error of the simulator (the readers' errors are `ipinsights_security_logs::SecurityError`).
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// A simulation setting is out of range.
    #[error("invalid simulation config: field `{field}`: {message}")]
    Config {
        /// The offending `SimConfig` field.
        field: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// Writing an output file failed.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// The simulator's result type.
pub type Result<T, E = SimulationError> = std::result::Result<T, E>;
