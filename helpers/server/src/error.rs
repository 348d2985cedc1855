//! Error responses, shaped like SageMaker runtime's so AWS SDKs surface type and message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ipinsights_protocol::{MediaTypeError, RequestError};

/// An error answer: HTTP status, SageMaker error type and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error_type}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// SageMaker runtime's error code (`ValidationError`, `ServiceUnavailable`, `InternalFailure`).
    pub error_type: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// A client error (4xx) of type `ValidationError`.
    pub fn validation(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, error_type: "ValidationError", message: message.into() }
    }

    /// 503 `ServiceUnavailable`: the model is not loaded yet.
    pub fn not_ready() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error_type: "ServiceUnavailable",
            message: "the model is not loaded yet".into(),
        }
    }

    /// 500 `InternalFailure`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, error_type: "InternalFailure", message: message.into() }
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
            MediaTypeError::UnsupportedAccept(_) | MediaTypeError::BadVerbose(_) => StatusCode::NOT_ACCEPTABLE,
        };
        Self::validation(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    /// `{"__type": ..., "message": ...}` with header `x-amzn-ErrorType` (what restJson1 SDKs read).
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "__type": self.error_type, "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.error_type));
        response
    }
}
