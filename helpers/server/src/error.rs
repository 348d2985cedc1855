//! Error responses, shaped like SageMaker runtime's so AWS SDKs surface type and message.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ipinsights_protocol::{MediaTypeError, RequestError, ScoreError};

/// Seconds a client is asked to wait (`Retry-After`) when the endpoint is overloaded.
pub(crate) const RETRY_AFTER_SECS: u32 = 1;

/// An error answer: HTTP status, SageMaker error type and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error_type}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// SageMaker runtime's error code (`ValidationError`, `ModelError`, `ServiceUnavailable`, `InternalFailure`).
    pub error_type: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// Seconds after which a retry may succeed (`Retry-After`), for overload answers.
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// A client error (4xx) of type `ValidationError`.
    pub fn validation(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, error_type: "ValidationError", message: message.into(), retry_after: None }
    }

    /// 424 `ModelError`: what SageMaker answers when the model's answer cannot be delivered (too slow, too large).
    pub fn model(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FAILED_DEPENDENCY,
            error_type: "ModelError",
            message: message.into(),
            retry_after: None,
        }
    }

    /// 503 `ServiceUnavailable`: the model is not loaded yet.
    pub fn not_ready() -> Self {
        Self::unavailable("the model is not loaded yet", None)
    }

    /// 503 `ServiceUnavailable` with `Retry-After`: too much work in flight to take this request now.
    pub fn overloaded(message: impl Into<String>) -> Self {
        Self::unavailable(message, Some(RETRY_AFTER_SECS))
    }

    fn unavailable(message: impl Into<String>, retry_after: Option<u32>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error_type: "ServiceUnavailable",
            message: message.into(),
            retry_after,
        }
    }

    /// 500 `InternalFailure`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error_type: "InternalFailure",
            message: message.into(),
            retry_after: None,
        }
    }

    /// 424 `ModelError`: the model did not answer within the invocation budget.
    pub fn invocation_timeout(budget: Duration) -> Self {
        Self::model(format!(
            "the model did not answer within the invocation timeout of {} s (SageMaker's limit): send fewer rows per \
             request",
            budget.as_secs_f64()
        ))
    }

    /// 424 `ModelError`: the answer to `rows` rows would pass `limit` bytes; `at_most` rows would fit.
    pub fn response_too_large(rows: usize, limit: usize, at_most: usize) -> Self {
        Self::model(format!(
            "the response to {rows} rows would be larger than {limit} bytes, the invocation response limit: send at \
             most {at_most} rows per request"
        ))
    }
}

impl ApiError {
    /// 424 `ModelError`: the model's `what` for row `row` (1-based, `pair` as `entity,ip`) is `value`, not a
    /// finite number; SageMaker reports what a container's model gets wrong as a `ModelError`, and an answer of
    /// `null` would pass for a score.
    pub fn not_finite(row: usize, pair: &str, what: &str, value: f32) -> Self {
        Self::model(format!(
            "the model gave row {row} ({pair}) a {what} of {value}, not a finite number: its weights are out of range, \
             so no score is given; retrain or reload a sound model"
        ))
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        Self::validation(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<MediaTypeError> for ApiError {
    fn from(e: MediaTypeError) -> Self {
        let status = match e {
            MediaTypeError::UnsupportedContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MediaTypeError::UnsupportedAccept(_)
            | MediaTypeError::BadVerbose(_)
            | MediaTypeError::VerboseWithoutValue => StatusCode::NOT_ACCEPTABLE,
        };
        Self::validation(status, e.to_string())
    }
}

impl From<ScoreError> for ApiError {
    fn from(e: ScoreError) -> Self {
        Self::internal(e.to_string())
    }
}

impl ApiError {
    /// The JSON body: `{"__type": ..., "message": ...}`.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({ "__type": self.error_type, "message": self.message }).to_string()
    }
}

impl IntoResponse for ApiError {
    /// `{"__type": ..., "message": ...}` with header `x-amzn-ErrorType` (what restJson1 SDKs read), and
    /// `Retry-After` when set.
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.error_type));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
