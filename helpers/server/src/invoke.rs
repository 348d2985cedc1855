//! One invocation: check headers, read the body under the limit, decode, score, encode.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use ipinsights_protocol::{
    decode_request, encode_response, Prediction, RequestFormat, ResponseFormat, MAX_VERBOSE_FLOATS,
};

use crate::{ApiError, EndpointState, Scorer};

/// Non-verbose bodies up to this size (≈200 rows, well under a millisecond) are scored on the
/// async worker; larger or verbose ones on a blocking thread.
const INLINE_BYTES: usize = 4 * 1024;
/// Bytes of an over-limit body read and dropped so the client gets the 413 (above: connection closed).
const DRAIN_BYTES: usize = 64 << 20;
/// Longest time a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Handles `POST /invocations` (after the endpoint name was checked, for the runtime path).
pub(crate) async fn invoke(
    state: &EndpointState,
    max_body: usize,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let scorer = state.scorer().ok_or_else(ApiError::not_ready)?.clone();
    let content_type = header_str(headers, header::CONTENT_TYPE).ok_or_else(|| {
        ApiError::validation(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "missing Content-Type: use text/csv, application/json or application/jsonlines",
        )
    })?;
    let format = RequestFormat::from_content_type(content_type)?;
    let accept = ResponseFormat::from_accept(header_str(headers, header::ACCEPT))?;
    let declared = header_str(headers, header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    let _budget = match declared {
        Some(n) if n <= INLINE_BYTES => None,
        _ => Some(state.body_permit(declared.unwrap_or(max_body).min(max_body)).await),
    };
    let body = read_body(declared, body, max_body).await?;
    let out = if body.len() <= INLINE_BYTES && !accept.verbose {
        catch_unwind(AssertUnwindSafe(|| score(scorer.as_ref(), format, accept, &body)))
            .map_err(|_| ApiError::internal("scoring panicked"))??
    } else {
        let permit = state.heavy_permit().await;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            score(scorer.as_ref(), format, accept, &body)
        })
        .await
        .map_err(|e| ApiError::internal(format!("scoring failed: {e}")))??
    };
    Ok(([(header::CONTENT_TYPE, accept.kind.content_type())], out).into_response())
}

/// Decodes, scores and encodes one request body.
fn score(scorer: &dyn Scorer, format: RequestFormat, accept: ResponseFormat, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let pairs = decode_request(format, body)?;
    let dim = scorer.vector_dim().max(1);
    if accept.verbose && pairs.len() * 2 * dim > MAX_VERBOSE_FLOATS {
        let most = MAX_VERBOSE_FLOATS / (2 * dim);
        let message = format!(
            "a verbose response for {} rows of {dim}-dim embeddings is too large: send at most {most} rows per verbose request",
            pairs.len()
        );
        return Err(ApiError::validation(StatusCode::PAYLOAD_TOO_LARGE, message));
    }
    let scores = scorer.score_pairs(&pairs);
    if scores.len() != pairs.len() {
        return Err(ApiError::internal(format!("model returned {} scores for {} pairs", scores.len(), pairs.len())));
    }
    let predictions: Vec<Prediction> = if accept.verbose {
        pairs
            .iter()
            .zip(scores)
            .map(|((entity, ip), dot_product)| Prediction {
                dot_product,
                entity_embedding: Some(scorer.entity_embedding(entity)),
                ip_embedding: Some(scorer.ip_embedding(*ip)),
            })
            .collect()
    } else {
        scores.into_iter().map(Prediction::score).collect()
    };
    Ok(encode_response(accept, &predictions))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads the body, refusing (413) anything over `limit` by `Content-Length` or by counting as it streams.
async fn read_body(declared: Option<usize>, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::validation(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {limit} bytes, the invocation limit: split the input into smaller requests"),
        )
    };
    if declared.is_some_and(|n| n > DRAIN_BYTES) {
        return Err(too_large());
    }
    let read = tokio::time::timeout(BODY_TIMEOUT, collect_limited(body, declared.unwrap_or(0), limit)).await;
    match read {
        Ok(Ok(Some(bytes))) => Ok(bytes),
        Ok(Ok(None)) => Err(too_large()),
        Ok(Err(e)) => {
            Err(ApiError::validation(StatusCode::BAD_REQUEST, format!("could not read the request body: {e}")))
        }
        Err(_) => Err(ApiError::validation(StatusCode::REQUEST_TIMEOUT, "timed out reading the request body")),
    }
}

/// Collects at most `limit` bytes; past it, reads and drops up to [`DRAIN_BYTES`] and returns `None`.
async fn collect_limited(mut body: Body, declared: usize, limit: usize) -> Result<Option<Vec<u8>>, axum::Error> {
    let mut buf = Vec::with_capacity(declared.min(limit));
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            seen += data.len();
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > DRAIN_BYTES {
                break;
            } else {
                buf = Vec::new();
            }
        }
    }
    Ok((seen <= limit).then_some(buf))
}
