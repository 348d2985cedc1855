//! Typed errors: every message names the input, setting or scorer involved.

use thiserror::Error;

use crate::threshold::ThresholdError;

/// Everything that can go wrong detecting anomalies in findings.
#[derive(Debug, Error)]
pub enum DetectError {
    /// The findings input is not valid JSON (the stream cannot be resynchronised).
    #[error("{name}: invalid JSON at line {line}, column {column}: {source}")]
    Json {
        /// The file name or stream label.
        name: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// The findings input is over the readers' limits (a decompression bomb, an oversized file or finding).
    #[error("{name}: refused: {reason}")]
    TooLarge {
        /// The file name or stream label.
        name: String,
        /// Which limit it broke.
        reason: ipinsights_security_logs::InputTooLarge,
    },
    /// Reading the findings input failed.
    #[error("{name}: read failed: {source}")]
    Read {
        /// The file name or stream label.
        name: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Scoring failed (endpoint unreachable, model error, …).
    #[error("scoring with {scorer} failed: {source}")]
    Score {
        /// The scorer, e.g. `endpoint http://127.0.0.1:8080/invocations`.
        scorer: String,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The scorer returned a different number of scores than pairs sent.
    #[error("{scorer} returned {got} scores for {sent} pairs")]
    ScoreCount {
        /// The scorer.
        scorer: String,
        /// Pairs sent.
        sent: usize,
        /// Scores received.
        got: usize,
    },
    /// The training tuple file for the familiarity index could not be read.
    #[error("familiarity index: {0}")]
    Tuples(#[from] ipinsights_engine::tuples::TupleError),
    /// A threshold could not be chosen.
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// The detector's threshold is not a finite number.
    #[error("threshold must be a finite number, got {0}")]
    InvalidThreshold(f64),
    /// Writing a detection record failed.
    #[error("cannot write detection records: {0}")]
    Emit(std::io::Error),
    /// A configuration setting (e.g. a Lambda environment variable) is missing or invalid.
    #[error("setting {name}: {message}")]
    Config {
        /// The setting, e.g. `THRESHOLD`.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Alerts could not be published (after the SDK's retries); the others were.
    #[error("{failed} of {total} alerts could not be published to {topic}: {first_error}")]
    Publish {
        /// The SNS topic.
        topic: String,
        /// Alerts not published.
        failed: usize,
        /// Alerts to publish.
        total: usize,
        /// The first failure, with the SDK's context.
        first_error: String,
    },
    /// The model could not be loaded.
    #[error(transparent)]
    Model(#[from] ipinsights_engine::ModelFileError),
}

impl From<ipinsights_protocol::ScoreError> for DetectError {
    fn from(e: ipinsights_protocol::ScoreError) -> Self {
        DetectError::Score { scorer: e.scorer, source: e.source }
    }
}

/// Result alias for this crate.
pub type Result<T, E = DetectError> = std::result::Result<T, E>;
