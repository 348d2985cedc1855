//! Typed errors: every message names the file (or stream) and, where known, the line, record and field.

use std::path::PathBuf;

use thiserror::Error;

use crate::input::InputTooLarge;

/// Result alias for this crate.
pub type Result<T, E = SecurityError> = std::result::Result<T, E>;

/// Everything that can go wrong reading security data or writing tuples and simulations.
#[derive(Debug, Error)]
pub enum SecurityError {
    /// A file or directory could not be opened or listed.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Reading failed part-way (truncated or corrupt gzip, I/O error).
    #[error("{name}: read failed near line {line}, column {column} (truncated or corrupt file?): {source}")]
    Read {
        /// The file name or stream label.
        name: String,
        /// 1-based line reached by the JSON parser when the read failed (0 if unknown).
        line: usize,
        /// Column reached by the JSON parser when the read failed.
        column: usize,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The input is larger than the readers accept (a decompression bomb, an oversized file or finding): refused
    /// before it could use unbounded memory.
    #[error("{name}: refused: {reason}")]
    TooLarge {
        /// The file name or stream label (an S3 object's `s3://` URI).
        name: String,
        /// Which limit it broke.
        reason: InputTooLarge,
    },
    /// The input is not valid JSON, or valid JSON of an unexpected shape.
    #[error("{name}: {what}: {source}")]
    Json {
        /// The file name or stream label.
        name: String,
        /// What was expected, e.g. "invalid JSON" or "not a CloudTrail log file".
        what: &'static str,
        /// serde_json's error, whose message ends with the line and column.
        source: serde_json::Error,
    },
    /// A JSON value of the wrong kind at some position in the input.
    #[error("{name}: item {item}: {message}")]
    Shape {
        /// The file name or stream label.
        name: String,
        /// 1-based index of the JSON value (or line, for NDJSON) in the input.
        item: usize,
        /// What was wrong.
        message: String,
    },
}

impl SecurityError {
    /// A read that failed part-way through input `name`, after the bytes in `read`: the position is where the
    /// failure struck (1-based line, column within it), as a streaming JSON parser would report it.
    pub(crate) fn read_failed(name: &str, read: &[u8], source: std::io::Error) -> Self {
        if let Some(refused) = InputTooLarge::in_io_error(&source) {
            return SecurityError::TooLarge { name: name.to_string(), reason: refused.clone() };
        }
        let line = read.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = read.len() - read.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        SecurityError::Read { name: name.to_string(), line, column, source }
    }

    /// Wraps a serde_json error for input `name`, separating I/O failures from bad JSON.
    pub(crate) fn from_json(name: &str, what: &'static str, err: serde_json::Error) -> Self {
        if err.is_io() {
            let (line, column) = (err.line(), err.column());
            let source = std::io::Error::from(err);
            if let Some(refused) = InputTooLarge::in_io_error(&source) {
                return SecurityError::TooLarge { name: name.to_string(), reason: refused.clone() };
            }
            SecurityError::Read { name: name.to_string(), line, column, source }
        } else {
            let what = if err.is_data() { what } else { "invalid JSON" };
            SecurityError::Json { name: name.to_string(), what, source: err }
        }
    }
}
