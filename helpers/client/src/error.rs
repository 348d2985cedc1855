//! Errors of the client.

use ipinsights_protocol::{ResponseError, SplitError};

/// Why a call to the endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint answered with an error status.
    #[error("endpoint answered {status}{}: {message}", error_type.as_deref().map(|t| format!(" {t}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// The SageMaker error type (`__type`), when the body has one.
        error_type: Option<String>,
        /// The error message (`message` of the JSON body, or the body's text).
        message: String,
    },
    /// The request could not be sent or the response not read.
    #[error("request to {target} failed: {source}")]
    Transport {
        /// Where the request went (a URL, or an endpoint name).
        target: String,
        /// What went wrong.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The input holds a row too large for one request.
    #[error(transparent)]
    Split(#[from] SplitError),
    /// The response body is not a valid predictions body.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The endpoint returned a different number of predictions than rows sent.
    #[error("endpoint returned {got} predictions for {sent} rows")]
    Count {
        /// Rows sent in the request.
        sent: usize,
        /// Predictions received.
        got: usize,
    },
    /// A verbose answer came without embeddings, so the size of the next answers cannot be bounded.
    #[error("the endpoint's verbose answer has no embeddings")]
    MissingEmbeddings,
}

impl ClientError {
    /// A [`ClientError::Status`] from an error response body (`{"__type", "message"}` JSON or text).
    pub fn from_status(status: u16, body: &[u8]) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
        let message = field("message")
            .or_else(|| field("Message"))
            .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
        Self::Status { status, error_type: field("__type"), message }
    }
}
