//! One invocation: check headers, read the body within its limits, then score it within the invocation budget.

use std::panic::{catch_unwind, AssertUnwindSafe};

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ipinsights_protocol::{RequestFormat, ResponseFormat};
use tokio::time::Instant;

use crate::answer::answer;
use crate::body::{read_body, BodyLimits};
use crate::{ApiError, EndpointState, ServerConfig, Timeouts};

/// Non-verbose bodies up to this size (≈200 rows, well under a millisecond) are scored on the async worker;
/// larger or verbose ones on a blocking thread, one per core at a time.
const INLINE_BYTES: usize = 4 * 1024;

/// What one invocation is allowed: the configuration's sizes and timeouts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InvokeLimits {
    pub(crate) max_body_bytes: usize,
    pub(crate) max_response_bytes: usize,
    pub(crate) ipv4_only: bool,
    pub(crate) timeouts: Timeouts,
}

impl From<&ServerConfig> for InvokeLimits {
    fn from(config: &ServerConfig) -> Self {
        Self {
            max_body_bytes: config.max_body_bytes,
            max_response_bytes: config.max_response_bytes,
            ipv4_only: config.ipv4_only,
            timeouts: config.timeouts,
        }
    }
}

/// Handles `POST /invocations` (after the endpoint name was checked, for the runtime path).
pub(crate) async fn invoke(
    state: &EndpointState,
    limits: &InvokeLimits,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let budget = limits.timeouts.invocation;
    let deadline = Instant::now() + budget;
    let scorer = state.scorer().ok_or_else(ApiError::not_ready)?.clone();
    let content_type = header_text(headers, &CONTENT_TYPE)?.ok_or_else(|| {
        ApiError::validation(CONTENT_TYPE.status, format!("missing Content-Type: use {}", CONTENT_TYPE.formats))
    })?;
    let format = RequestFormat::from_content_type(content_type)?;
    let accept = ResponseFormat::from_accept(header_text(headers, &ACCEPT)?)?;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let body_limits = BodyLimits {
        max_bytes: limits.max_body_bytes,
        budget: state.budget(),
        budget_wait: limits.timeouts.budget_wait,
        deadline,
    };
    let (body, reservation) = read_body(declared, body, &body_limits).await?;
    let (limit, ipv4_only) = (limits.max_response_bytes, limits.ipv4_only);
    let out = if body.len() <= INLINE_BYTES && !accept.verbose {
        catch_unwind(AssertUnwindSafe(|| answer(scorer.as_ref(), format, accept, &body, limit, ipv4_only)))
            .map_err(|_| ApiError::internal("scoring panicked"))??
    } else {
        let permit = tokio::time::timeout_at(deadline, state.heavy_permit())
            .await
            .map_err(|_| ApiError::invocation_timeout(budget))?;
        let task = tokio::task::spawn_blocking(move || {
            let (_permit, _reservation) = (permit, reservation);
            answer(scorer.as_ref(), format, accept, &body, limit, ipv4_only)
        });
        // On timeout the blocking task finishes on its own, still holding its permit, so no more than one
        // scoring per core ever runs.
        match tokio::time::timeout_at(deadline, task).await {
            Err(_) => return Err(ApiError::invocation_timeout(budget)),
            Ok(Err(e)) => return Err(ApiError::internal(format!("scoring failed: {e}"))),
            Ok(Ok(answered)) => answered?,
        }
    };
    Ok(([(header::CONTENT_TYPE, accept.kind.content_type())], out).into_response())
}

/// The request header a client chose a format with, and the formats to name when its value cannot be read.
struct FormatHeader {
    name: header::HeaderName,
    label: &'static str,
    status: StatusCode,
    formats: &'static str,
}

const CONTENT_TYPE: FormatHeader = FormatHeader {
    name: header::CONTENT_TYPE,
    label: "Content-Type",
    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
    formats: "text/csv, application/json or application/jsonlines",
};

const ACCEPT: FormatHeader = FormatHeader {
    name: header::ACCEPT,
    label: "Accept",
    status: StatusCode::NOT_ACCEPTABLE,
    formats: "application/json or application/jsonlines",
};

/// The header's value as text, `None` when absent; a value holding bytes other than visible ASCII is refused,
/// naming the header (it is present, so "missing" would mislead).
fn header_text<'h>(headers: &'h HeaderMap, which: &FormatHeader) -> Result<Option<&'h str>, ApiError> {
    let Some(value) = headers.get(&which.name) else { return Ok(None) };
    value.to_str().map(Some).map_err(|_| {
        let message = format!(
            "the {} header is not valid text (only visible ASCII is allowed): use {}",
            which.label, which.formats
        );
        ApiError::validation(which.status, message)
    })
}
