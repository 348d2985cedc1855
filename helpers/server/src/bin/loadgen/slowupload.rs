//! The slow-upload benchmark: connections that declare a maximal body (`Content-Length: 6291456`) and send 10
//! bytes of it, held open while a normal client sends 1 MiB requests; those must still be answered, and their
//! latency is compared with the same requests on an unloaded endpoint.

use std::fmt;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use ipinsights_protocol::{encode_request, RequestFormat, MAX_BODY_BYTES};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::load::{connect, post, rows, Target};
use crate::stats::Latencies;

/// 1 MiB requests timed before and while the slow uploads are held.
const PROBES: usize = 20;
/// Size of each timed request body.
const PROBE_BYTES: usize = 1 << 20;

/// What the slow-upload benchmark saw.
pub struct SlowUploadReport {
    held: usize,
    rows: usize,
    alone: Latencies,
    beside: Latencies,
    errors: usize,
    first_error: Option<String>,
}

impl SlowUploadReport {
    /// Timed requests not answered 200.
    pub fn failures(&self) -> usize {
        self.errors
    }
}

impl fmt::Display for SlowUploadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |us: u32| f64::from(us) / 1000.0;
        let line = |l: &Latencies| {
            format!(
                "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                ms(l.percentile(50.0)),
                ms(l.percentile(99.0)),
                ms(l.percentile(100.0))
            )
        };
        writeln!(f, "slow uploads: {} connections each declared {MAX_BODY_BYTES} bytes and sent 10", self.held)?;
        writeln!(
            f,
            "slow uploads: {} requests of 1 MiB ({} rows) alone: {}",
            self.alone.len(),
            self.rows,
            line(&self.alone)
        )?;
        write!(
            f,
            "slow uploads: {} requests of 1 MiB beside them: {}, {} not answered 200{}",
            self.beside.len(),
            line(&self.beside),
            self.errors,
            self.first_error.as_ref().map_or(String::new(), |e| format!(" (first: {e})"))
        )
    }
}

/// A CSV body of whole rows, at most [`PROBE_BYTES`], and its row count.
fn probe_body() -> (Bytes, usize) {
    let body = encode_request(RequestFormat::Csv, &rows(PROBE_BYTES / 8));
    let end = body[..PROBE_BYTES].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let count = body[..end].iter().filter(|b| **b == b'\n').count();
    (Bytes::copy_from_slice(&body[..end]), count)
}

/// Times [`PROBES`] requests of `body`, each on a new connection; failures are counted with the first one's text.
async fn probe(target: &Target, body: &Bytes, errors: &mut usize, first_error: &mut Option<String>) -> Latencies {
    let addr = target.addr();
    let mut latencies = Latencies::default();
    for _ in 0..PROBES {
        let started = Instant::now();
        let answered = async {
            let mut sender = connect(addr).await?;
            post(&mut sender, addr, body.clone()).await
        };
        match tokio::time::timeout(Duration::from_secs(30), answered).await {
            Ok(Ok((status, _))) if status.is_success() => latencies.push(started.elapsed()),
            Ok(Ok((status, bytes))) => {
                *errors += 1;
                first_error.get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&bytes)));
            }
            Ok(Err(e)) => {
                *errors += 1;
                first_error.get_or_insert(e);
            }
            Err(_) => {
                *errors += 1;
                first_error.get_or_insert_with(|| "no answer within 30 s".into());
            }
        }
    }
    latencies.sort();
    latencies
}

/// Times 1 MiB requests alone, then while `count` slow declared-length uploads are held open.
pub async fn slow_uploads(target: &Target, count: usize) -> Result<SlowUploadReport, String> {
    let (body, rows) = probe_body();
    let (mut errors, mut first_error) = (0, None);
    let alone = probe(target, &body, &mut errors, &mut first_error).await;
    let head = format!(
        "POST /invocations HTTP/1.1\r\nHost: loadgen\r\nContent-Type: text/csv\r\nContent-Length: {MAX_BODY_BYTES}\r\n\r\n\
         a,1.2.3.4\n"
    );
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut tcp = TcpStream::connect(target.addr()).await.map_err(|e| e.to_string())?;
        tcp.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
        held.push(tcp);
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // let the server read their heads
    let beside = probe(target, &body, &mut errors, &mut first_error).await;
    drop(held);
    Ok(SlowUploadReport { held: count, rows, alone, beside, errors, first_error })
}
