//! The load phases: a few connections with the largest CSV bodies, many with 1-pair bodies.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use ipinsights_protocol::{
    encode_request, max_rows_per_response, split_requests_with, RequestFormat, ResponseFormat, MAX_BODY_BYTES,
    MAX_RESPONSE_BYTES,
};
use tokio::net::TcpStream;

use crate::stats::Latencies;

/// The endpoint and the request bodies sent to it.
pub struct Target {
    addr: SocketAddr,
    big_body: Bytes,
    big_pairs: usize,
    small_bodies: Vec<Bytes>,
}

/// Deterministic rows: synthetic users (`user_N`) from scattered addresses.
pub fn rows(n: usize) -> Vec<(String, IpAddr)> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (format!("user_{}", i % 1000), IpAddr::from((x as u32).to_be_bytes()))
        })
        .collect()
}

impl Target {
    /// Waits until `/ping` answers 200 (at most 60 s) and prepares the bodies.
    pub async fn new(addr: SocketAddr) -> Result<Self, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match ping(addr).await {
                Ok(StatusCode::OK) => break,
                _ if Instant::now() > deadline => {
                    return Err(format!("http://{addr}/ping did not answer 200 within 60 s"))
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        // The largest request whose answer always fits: as many rows as 6 MiB of answer can hold.
        let most = max_rows_per_response(ResponseFormat::default(), 0, MAX_RESPONSE_BYTES);
        let big_rows = rows(most);
        let first = split_requests_with(RequestFormat::Csv, &big_rows, MAX_BODY_BYTES, most)
            .map_err(|e| e.to_string())?
            .swap_remove(0);
        let small_bodies = rows(4096).chunks(1).map(|r| Bytes::from(encode_request(RequestFormat::Csv, r))).collect();
        Ok(Self { addr, big_pairs: first.rows.len(), big_body: Bytes::from(first.body), small_bodies })
    }

    /// Pairs in one large body.
    pub fn big_pairs(&self) -> usize {
        self.big_pairs
    }

    /// Bytes of one large body.
    pub fn big_bytes(&self) -> usize {
        self.big_body.len()
    }

    /// The endpoint's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A 1-pair CSV body (one of a few thousand).
    pub fn small_body(&self, i: usize) -> Bytes {
        self.small_bodies[i % self.small_bodies.len()].clone()
    }
}

async fn ping(addr: SocketAddr) -> Result<StatusCode, String> {
    let mut sender = connect(addr).await?;
    let request = Request::get("/ping").header(header::HOST, addr.to_string()).body(Full::new(Bytes::new()));
    let response = sender.send_request(request.map_err(|e| e.to_string())?).await.map_err(|e| e.to_string())?;
    Ok(response.status())
}

/// An HTTP/1.1 connection to `addr` (no Nagle delay).
pub async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// POSTs one CSV body to `/invocations` and returns the status and response body.
pub async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    body: Bytes,
) -> Result<(StatusCode, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/invocations")
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::ACCEPT, "application/json")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, bytes))
}

/// POSTs one CSV body to `/invocations` and returns the response body (an error unless 200).
async fn invoke(sender: &mut SendRequest<Full<Bytes>>, addr: SocketAddr, body: Bytes) -> Result<Bytes, String> {
    let (status, bytes) = post(sender, addr, body).await?;
    if status != StatusCode::OK || !bytes.starts_with(b"{\"predictions\":[{\"dot_product\":") {
        return Err(format!("status {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])));
    }
    Ok(bytes)
}

/// Result of the throughput phase.
pub struct Throughput {
    body_bytes: usize,
    requests: usize,
    pairs: usize,
    clients: usize,
    seconds: f64,
}

impl fmt::Display for Throughput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "throughput: {} CSV requests of {:.2} MiB ({} pairs each), {} connections, {:.2} s: {:.0} pairs/s",
            self.requests,
            self.body_bytes as f64 / 1048576.0,
            self.pairs / self.requests.max(1),
            self.clients,
            self.seconds,
            self.pairs as f64 / self.seconds
        )
    }
}

/// Sends `requests` large bodies over `clients` connections; every answer must count its pairs.
pub async fn throughput(
    target: &Target,
    requests: usize,
    clients: usize,
    limit: Duration,
) -> Result<Throughput, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, addr, body, pairs) = (next.clone(), target.addr, target.big_body.clone(), target.big_pairs());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await?;
            let mut done = 0;
            while next.fetch_add(1, Ordering::Relaxed) < requests && started.elapsed() < limit {
                let answer = invoke(&mut sender, addr, body.clone()).await?;
                let count = memchr::memmem::find_iter(&answer, b"dot_product").count();
                if count != pairs {
                    return Err(format!("{count} predictions for {pairs} pairs"));
                }
                done += 1;
            }
            Ok::<usize, String>(done)
        }));
    }
    let mut done = 0;
    for task in tasks {
        done += task.await.map_err(|e| e.to_string())??;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Throughput {
        body_bytes: target.big_bytes(),
        requests: done,
        pairs: done * target.big_pairs(),
        clients,
        seconds,
    })
}

/// Result of a 1-pair phase.
pub struct LatencyReport {
    label: &'static str,
    clients: usize,
    latencies: Latencies,
    errors: usize,
    first_error: Option<String>,
    seconds: f64,
}

impl LatencyReport {
    /// Failed requests.
    pub fn errors(&self) -> usize {
        self.errors
    }
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.latencies;
        write!(
            f,
            "{}: {} clients, {} 1-pair requests in {:.1} s: {:.0} req/s, p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs, {} errors",
            self.label,
            self.clients,
            l.len(),
            self.seconds,
            l.len() as f64 / self.seconds,
            l.percentile(50.0),
            l.percentile(99.0),
            l.percentile(99.9),
            l.percentile(100.0),
            self.errors
        )?;
        if let Some(e) = &self.first_error {
            write!(f, " (first: {e})")?;
        }
        Ok(())
    }
}

/// Sends `requests` 1-pair bodies from `clients` concurrent connections, timing each.
pub async fn latency(
    target: &Target,
    label: &'static str,
    requests: usize,
    clients: usize,
    limit: Duration,
) -> Result<LatencyReport, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (next, addr, bodies) = (next.clone(), target.addr, target.small_bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await?;
            let (mut latencies, mut errors, mut first_error) = (Latencies::default(), 0, None);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests || started.elapsed() >= limit {
                    break;
                }
                let sent = Instant::now();
                match invoke(&mut sender, addr, bodies[(i + c) % bodies.len()].clone()).await {
                    Ok(_) => latencies.push(sent.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                        sender = connect(addr).await?;
                    }
                }
            }
            Ok::<_, String>((latencies, errors, first_error))
        }));
    }
    let mut report =
        LatencyReport { label, clients, latencies: Latencies::default(), errors: 0, first_error: None, seconds: 0.0 };
    for task in tasks {
        let (latencies, errors, first_error) = task.await.map_err(|e| e.to_string())??;
        report.latencies.extend(latencies);
        report.errors += errors;
        report.first_error = report.first_error.or(first_error);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.latencies.sort();
    Ok(report)
}
