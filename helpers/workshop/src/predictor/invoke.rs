//! One endpoint of a backend as a transport (one body in, one body out), and `predict_via`: many pairs in,
//! predictions out in input order.
//!
//! [`Invoker`] is the natural implementation of the client's coming `ipinsights_client::Transport`. Once the
//! client has that trait and `ipinsights_client::predict_via` (bounded concurrency, request and response under
//! 6 MiB), this module shrinks to `impl Transport for Invoker<'_>` (mapping the error) and [`predict_via`] becomes
//! that function; until then it is the client's own algorithm (`EndpointClient::predict_as`) over the backend.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use ipinsights_client::{Prediction, RequestFormat, ResponseFormat};
use ipinsights_protocol::{decode_response, split_requests, Chunk, MAX_BODY_BYTES};

use crate::backend::Backend;
use crate::error::{Result, WorkshopError};

/// Concurrent requests per `predict`.
const THREADS: usize = 4;

/// Rows per verbose request: the server's response cap (`MAX_VERBOSE_FLOATS`) holds them for any `vector_dim` up
/// to 4,096.
const VERBOSE_ROWS: usize = 2048;

/// One endpoint of a backend.
#[derive(Clone, Copy)]
pub(crate) struct Invoker<'a> {
    /// The session's backend.
    pub backend: &'a dyn Backend,
    /// The endpoint's name.
    pub endpoint: &'a str,
}

impl Invoker<'_> {
    /// One InvokeEndpoint call.
    pub fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>> {
        self.backend.invoke(self.endpoint, body, content_type, accept)
    }

    /// Sends one body of `rows` rows and decodes exactly one prediction per row.
    fn send(
        &self,
        body: Vec<u8>,
        rows: usize,
        request: RequestFormat,
        response: ResponseFormat,
    ) -> Result<Vec<Prediction>> {
        let body = self.invoke(body, request.content_type(), &response.accept())?;
        let predictions = decode_response(response.kind, &body)
            .map_err(|e| WorkshopError::context(format!("endpoint {}", self.endpoint), e))?;
        if predictions.len() != rows {
            return Err(WorkshopError::new(format!(
                "endpoint {} answered {} predictions for {rows} rows",
                self.endpoint,
                predictions.len()
            )));
        }
        Ok(predictions)
    }
}

/// Scores `pairs` through `invoker`: bodies under 6 MiB (verbose ones also under [`VERBOSE_ROWS`] rows), sent on
/// up to [`THREADS`] threads, predictions returned in input order; the first error ends the call.
pub(crate) fn predict_via<S: AsRef<str> + Sync>(
    invoker: &Invoker<'_>,
    pairs: &[(S, IpAddr)],
    request: RequestFormat,
    response: ResponseFormat,
) -> Result<Vec<Prediction>> {
    let chunks: Vec<Mutex<Chunk>> = chunks(pairs, request, response.verbose)?.into_iter().map(Mutex::new).collect();
    let results: Vec<Mutex<Option<Vec<Prediction>>>> = chunks.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    let worker = || {
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else { break };
            let (body, rows) = {
                let mut chunk = lock(chunk);
                (std::mem::take(&mut chunk.body), chunk.rows.len())
            };
            match invoker.send(body, rows, request, response) {
                Ok(predictions) => *lock(&results[i]) = Some(predictions),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    lock(&first_error).get_or_insert(e);
                }
            }
        }
    };
    let threads = THREADS.min(chunks.len());
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
    let mut out = Vec::with_capacity(pairs.len());
    for slot in results {
        out.extend(slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_default());
    }
    Ok(out)
}

/// Request bodies under the byte limit; verbose ones also under [`VERBOSE_ROWS`] rows.
fn chunks<S: AsRef<str>>(pairs: &[(S, IpAddr)], request: RequestFormat, verbose: bool) -> Result<Vec<Chunk>> {
    let split = |rows: &[(S, IpAddr)]| {
        split_requests(request, rows, MAX_BODY_BYTES).map_err(|e| WorkshopError::new(e.to_string()))
    };
    if !verbose {
        return split(pairs);
    }
    let mut chunks = Vec::new();
    for (i, window) in pairs.chunks(VERBOSE_ROWS).enumerate() {
        for mut chunk in split(window)? {
            let offset = i * VERBOSE_ROWS;
            chunk.rows = chunk.rows.start + offset..chunk.rows.end + offset;
            chunks.push(chunk);
        }
    }
    Ok(chunks)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
