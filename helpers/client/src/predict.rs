//! Many rows in, predictions out in input order: split so that every request *and* every answer stays under
//! SageMaker's 6 MiB, sent a few at a time through any [`Transport`].

use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use ipinsights_protocol::{
    decode_response, max_rows_per_response, split_requests_with, Chunk, Prediction, RequestFormat, ResponseFormat,
    MAX_BODY_BYTES, MAX_RESPONSE_BYTES, MAX_VECTOR_DIM,
};

use crate::{ClientError, Transport};

/// Most invocations in flight at once, whatever the transport (SageMaker's docs call for concurrent requests;
/// a local endpoint has two cores to share).
pub const MAX_CONCURRENT_REQUESTS: usize = 4;

/// Byte limits each request and each answer must stay under (SageMaker's by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitLimits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest response body.
    pub max_response_bytes: usize,
}

impl Default for SplitLimits {
    fn default() -> Self {
        Self { max_body_bytes: MAX_BODY_BYTES, max_response_bytes: MAX_RESPONSE_BYTES }
    }
}

/// Scores `pairs` through `transport` under SageMaker's limits: see [`predict_with`].
pub fn predict_via<T: Transport + ?Sized, S: AsRef<str> + Sync>(
    transport: &T,
    pairs: &[(S, IpAddr)],
    request: RequestFormat,
    response: ResponseFormat,
) -> Result<Vec<Prediction>, ClientError> {
    predict_with(transport, pairs, request, response, SplitLimits::default())
}

/// Scores `pairs` through `transport`: one prediction per pair, in input order, the same as one call would give.
///
/// Requests hold as many rows as fit both limits: the request's bytes (long entity names count) and the answer's
/// worst case ([`max_rows_per_response`]). A verbose answer's size depends on `vector_dim`, which only an answer
/// tells: the first request holds few enough rows for any `vector_dim` SageMaker allows, and the rest are sized by
/// the embeddings it brought back. At most [`MAX_CONCURRENT_REQUESTS`] requests are in flight; the first error
/// stops the rest, and an answer with the wrong number of predictions is an error.
pub fn predict_with<T: Transport + ?Sized, S: AsRef<str>>(
    transport: &T,
    pairs: &[(S, IpAddr)],
    request: RequestFormat,
    response: ResponseFormat,
    limits: SplitLimits,
) -> Result<Vec<Prediction>, ClientError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let split = |range: Range<usize>, vector_dim: usize| -> Result<Vec<Chunk>, ClientError> {
        let max_rows = max_rows_per_response(response, vector_dim, limits.max_response_bytes);
        let mut chunks = split_requests_with(request, &pairs[range.clone()], limits.max_body_bytes, max_rows)?;
        for chunk in &mut chunks {
            chunk.rows = chunk.rows.start + range.start..chunk.rows.end + range.start;
        }
        Ok(chunks)
    };
    let mut out = Vec::with_capacity(pairs.len());
    let mut rest = 0..pairs.len();
    let mut vector_dim = 0;
    if response.verbose {
        let probe = max_rows_per_response(response, MAX_VECTOR_DIM, limits.max_response_bytes).min(pairs.len());
        let first = split(0..probe, MAX_VECTOR_DIM)?.swap_remove(0);
        rest = first.rows.end..pairs.len();
        out = send(transport, first, request, response)?;
        let dims = |p: &Prediction| {
            p.entity_embedding.as_ref().zip(p.ip_embedding.as_ref()).map(|(e, i)| e.len().max(i.len()))
        };
        vector_dim =
            out.iter().map(dims).try_fold(0, |most, d| d.map(|d| most.max(d))).ok_or(ClientError::MissingEmbeddings)?;
    }
    if !rest.is_empty() {
        out.extend(send_all(transport, split(rest, vector_dim)?, request, response)?);
    }
    Ok(out)
}

/// Sends the chunks, at most [`MAX_CONCURRENT_REQUESTS`] at a time, and returns their predictions in order.
fn send_all<T: Transport + ?Sized>(
    transport: &T,
    chunks: Vec<Chunk>,
    request: RequestFormat,
    response: ResponseFormat,
) -> Result<Vec<Prediction>, ClientError> {
    let count = chunks.len();
    let results: Vec<Mutex<Option<Vec<Prediction>>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let queue = Mutex::new(chunks.into_iter().enumerate());
    let failed = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    let worker = || {
        while !failed.load(Ordering::Relaxed) {
            let Some((i, chunk)) = lock(&queue).next() else { break };
            match send(transport, chunk, request, response) {
                Ok(predictions) => *lock(&results[i]) = Some(predictions),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    lock(&first_error).get_or_insert(e);
                }
            }
        }
    };
    let threads = MAX_CONCURRENT_REQUESTS.min(count);
    if threads <= 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut out = Vec::new();
    for slot in results {
        out.extend(slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_default());
    }
    Ok(out)
}

/// Sends one chunk and checks that its answer has one prediction per row.
fn send<T: Transport + ?Sized>(
    transport: &T,
    chunk: Chunk,
    request: RequestFormat,
    response: ResponseFormat,
) -> Result<Vec<Prediction>, ClientError> {
    let sent = chunk.rows.len();
    let body = transport.invoke(chunk.body, request.content_type(), &response.accept())?;
    let predictions = decode_response(response.kind, &body)?;
    if predictions.len() != sent {
        return Err(ClientError::Count { sent, got: predictions.len() });
    }
    Ok(predictions)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
