//! `predict`: many rows in, predictions out in input order, split into concurrent requests.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use ipinsights_protocol::{decode_response, split_requests, Chunk, Prediction, ResponseFormat};

use crate::{ClientError, EndpointClient};

/// Rows per verbose request: the server's response cap (`MAX_VERBOSE_FLOATS`) holds them for any
/// `vector_dim` up to 4,096.
const VERBOSE_ROWS: usize = 2048;

impl EndpointClient {
    /// Scores `(entity, ip)` rows; same result as one call, whatever the input size.
    pub fn predict<S: AsRef<str>>(&self, rows: &[(S, IpAddr)]) -> Result<Vec<Prediction>, ClientError> {
        self.predict_as(rows, ResponseFormat::default())
    }

    /// Like [`EndpointClient::predict`], asking for `format` (e.g. verbose, to get embeddings).
    pub fn predict_as<S: AsRef<str>>(
        &self,
        rows: &[(S, IpAddr)],
        format: ResponseFormat,
    ) -> Result<Vec<Prediction>, ClientError> {
        let chunks = self.chunks(rows, format.verbose)?;
        let results: Vec<Mutex<Option<Vec<Prediction>>>> = chunks.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let first_error = Mutex::new(None);
        let worker = || {
            while !failed.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                match self.send_chunk(chunk, format) {
                    Ok(predictions) => *lock(&results[i]) = Some(predictions),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        lock(&first_error).get_or_insert(e);
                    }
                }
            }
        };
        let threads = self.threads.min(chunks.len());
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
        let mut out = Vec::with_capacity(rows.len());
        for slot in results {
            out.extend(slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_default());
        }
        Ok(out)
    }

    /// Request bodies under the byte limit; verbose ones also under [`VERBOSE_ROWS`] rows.
    fn chunks<S: AsRef<str>>(&self, rows: &[(S, IpAddr)], verbose: bool) -> Result<Vec<Chunk>, ClientError> {
        if !verbose {
            return Ok(split_requests(self.request_format, rows, self.max_body_bytes)?);
        }
        let mut chunks = Vec::new();
        for (i, window) in rows.chunks(VERBOSE_ROWS).enumerate() {
            for mut chunk in split_requests(self.request_format, window, self.max_body_bytes)? {
                let offset = i * VERBOSE_ROWS;
                chunk.rows = chunk.rows.start + offset..chunk.rows.end + offset;
                chunks.push(chunk);
            }
        }
        Ok(chunks)
    }

    fn send_chunk(&self, chunk: &Chunk, format: ResponseFormat) -> Result<Vec<Prediction>, ClientError> {
        let body = self.invoke(&chunk.body, self.request_format.content_type(), &format.accept())?;
        let predictions = decode_response(format.kind, &body)?;
        if predictions.len() != chunk.rows.len() {
            return Err(ClientError::Count { sent: chunk.rows.len(), got: predictions.len() });
        }
        Ok(predictions)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
