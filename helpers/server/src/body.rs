//! Reading a request body: under the size limit, within the shared body budget, before a deadline.
//!
//! Every body reserves as its bytes arrive, never on what it only declares: it starts with no reservation and
//! grows it as the body grows (doubling, capped at the declared `Content-Length`), so a slow upload holds at most
//! twice what it has sent (at least 64 KiB once past 4 KiB) and sixteen connections that declare 6 MiB and send 10 bytes hold nothing. The buffer
//! grows with the reservation, so no memory is allocated beyond it. Waiting for room is bounded by the
//! budget-wait timeout, then the answer is 503 with `Retry-After`. Bodies over the limit, and
//! bodies refused for want of room, are read and dropped (up to [`DRAIN_BYTES`] or the deadline) so the client can
//! read the answer instead of a reset.

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use tokio::time::Instant;

use crate::budget::{BodyBudget, NoRoom, Reservation};
use crate::ApiError;

/// Bodies up to this size are read without a reservation (a few small requests cannot exhaust memory).
pub(crate) const FREE_BYTES: usize = 4 * 1024;
/// Most bytes of a refused body read and dropped so the client gets the answer (above: connection closed).
const DRAIN_BYTES: usize = 64 << 20;
/// First reservation of a body once it passes [`FREE_BYTES`].
const FIRST_STEP: usize = 64 * 1024;

/// The limits one body is read under.
pub(crate) struct BodyLimits<'a> {
    /// Largest body (413 above).
    pub(crate) max_bytes: usize,
    /// The shared budget.
    pub(crate) budget: &'a BodyBudget,
    /// Longest wait for room in the budget.
    pub(crate) budget_wait: std::time::Duration,
    /// When the whole invocation must be answered.
    pub(crate) deadline: Instant,
}

/// Reads the body; the reservation covering it is returned with it and must be kept while the bytes are.
pub(crate) async fn read_body(
    declared: Option<usize>,
    body: Body,
    limits: &BodyLimits<'_>,
) -> Result<(Vec<u8>, Reservation), ApiError> {
    let too_large = || {
        ApiError::validation(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is larger than {} bytes, the invocation limit: split the input into smaller requests",
                limits.max_bytes
            ),
        )
    };
    if declared.is_some_and(|n| n > DRAIN_BYTES) {
        return Err(too_large());
    }
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(drain(body, limits.deadline, too_large()).await);
    }
    let mut reservation = Reservation::default();
    let mut body = body;
    // Nothing is allocated on the declared length alone: the buffer grows with the reservation.
    let most = declared.unwrap_or(limits.max_bytes).min(limits.max_bytes);
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(FREE_BYTES));
    loop {
        let frame = match tokio::time::timeout_at(limits.deadline, body.frame()).await {
            Err(_) => return Err(body_timeout()),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                let message = format!("could not read the request body: {e}");
                return Err(ApiError::validation(StatusCode::BAD_REQUEST, message));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        let len = buf.len() + data.len();
        if len > limits.max_bytes {
            return Err(drain(body, limits.deadline, too_large()).await);
        }
        if len > FREE_BYTES.max(reservation.bytes()) {
            // Capped at the declared length, but never below what arrived (hyper refuses a body longer than it
            // declared; until then its bytes are covered).
            let step = len.max(reservation.bytes() * 2).max(FIRST_STEP).min(most.max(len));
            if let Err(NoRoom) = reserve(limits, &mut reservation, step).await {
                return Err(drain(body, limits.deadline, overloaded(limits)).await);
            }
            buf.reserve_exact(step - buf.len());
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf, reservation))
}

async fn reserve(limits: &BodyLimits<'_>, reservation: &mut Reservation, bytes: usize) -> Result<(), NoRoom> {
    let until = (Instant::now() + limits.budget_wait).min(limits.deadline);
    limits.budget.grow(reservation, bytes, until).await
}

fn overloaded(limits: &BodyLimits<'_>) -> ApiError {
    ApiError::overloaded(format!(
        "the endpoint is busy: no room for this request body within {} s, retry later",
        limits.budget_wait.as_secs_f64()
    ))
}

fn body_timeout() -> ApiError {
    ApiError::validation(StatusCode::REQUEST_TIMEOUT, "timed out reading the request body")
}

/// Reads and drops the rest of `body` (bounded in bytes and time), then returns `answer`.
async fn drain(mut body: Body, deadline: Instant, answer: ApiError) -> ApiError {
    let until = deadline.min(Instant::now() + std::time::Duration::from_secs(5));
    let mut seen = 0usize;
    while seen <= DRAIN_BYTES {
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    answer
}
