//! The soak: many clients for a long time mixing valid, malformed, oversize and slow requests. Every answer is
//! checked against what that kind of request must get; anything else is an unexpected error.
//!
//! Seven clients in eight send, on one kept-alive connection: 1-pair requests (93 %), 100-pair batches (3 %),
//! malformed bodies (3 %, must be 400 naming row 2), and rarely oversize ones (a 6 MiB + 1 body streamed, or
//! 100 MiB announced, both must be 413); each client's first request is of a kind fixed by its number, so a short
//! soak sends every kind. Every eighth client is slow: alternately a slowloris head (the server must close it at
//! its header deadline) and a valid body trickled in three pieces (must be 200).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::StatusCode;
use ipinsights_protocol::{encode_request, MAX_BODY_BYTES};

use crate::load::{connect, post, rows, Target};
use crate::raw::{request, slowloris};
use crate::stats::{rss_kib, Latencies};

/// What one soak run saw.
#[derive(Default)]
pub struct SoakReport {
    clients: usize,
    planned: Duration,
    seconds: f64,
    /// Expected outcomes by kind.
    served: BTreeMap<&'static str, u64>,
    /// Unexpected outcomes by kind, with a first example.
    unexpected: BTreeMap<String, (u64, String)>,
    single: Latencies,
    rss_kib: [Option<u64>; 2],
}

impl SoakReport {
    /// Unexpected outcomes.
    pub fn unexpected(&self) -> u64 {
        self.unexpected.values().map(|(n, _)| n).sum()
    }

    fn merge(&mut self, other: SoakReport) {
        for (k, n) in other.served {
            *self.served.entry(k).or_default() += n;
        }
        for (k, (n, example)) in other.unexpected {
            self.unexpected.entry(k).or_insert((0, example)).0 += n;
        }
        self.single.extend(other.single);
    }

    fn ok(&mut self, kind: &'static str) {
        *self.served.entry(kind).or_default() += 1;
    }

    fn bad(&mut self, kind: &str, example: impl Into<String>) {
        self.unexpected.entry(kind.to_string()).or_insert((0, example.into())).0 += 1;
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.served.values().sum();
        writeln!(
            f,
            "soak: {} clients for {} s: {total} requests answered as expected ({:.0}/s), {} unexpected",
            self.clients,
            self.planned.as_secs(),
            total as f64 / self.seconds.max(1e-9),
            self.unexpected()
        )?;
        for (kind, n) in &self.served {
            writeln!(f, "soak:   {kind}: {n}")?;
        }
        for (kind, (n, example)) in &self.unexpected {
            writeln!(f, "soak:   UNEXPECTED {kind}: {n} (first: {example})")?;
        }
        let l = &self.single;
        writeln!(
            f,
            "soak: 1-pair latency: p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs",
            l.percentile(50.0),
            l.percentile(99.0),
            l.percentile(99.9),
            l.percentile(100.0)
        )?;
        let [start, end] = self.rss_kib;
        let growth = match (start, end) {
            (Some(a), Some(b)) if a > 0 => format!("{:+.1} %", (b as f64 - a as f64) * 100.0 / a as f64),
            _ => "n/a".into(),
        };
        write!(
            f,
            "soak: server RSS {} at start, {} at end ({growth})",
            crate::stats::mib(start),
            crate::stats::mib(end)
        )
    }
}

/// The bodies the clients send.
struct Bodies {
    batch: Bytes,
    malformed: Bytes,
    oversize: Bytes,
}

impl Bodies {
    fn new() -> Self {
        let batch = Bytes::from(encode_request(ipinsights_protocol::RequestFormat::Csv, &rows(100)));
        let malformed = Bytes::from_static(b"user_1,10.1.2.3\nuser_2,10.1.2\n");
        let oversize = Bytes::from("a,1.2.3.4\n".repeat(MAX_BODY_BYTES / 10 + 1).into_bytes());
        Self { batch, malformed, oversize }
    }
}

/// Runs `clients` clients for `duration` against `target`; `slow_limit` bounds how long a slowloris connection
/// may stay open (the server's header timeout plus slack).
pub async fn soak(
    target: &Target,
    clients: usize,
    duration: Duration,
    slow_limit: Duration,
    server_pid: Option<u32>,
) -> Result<SoakReport, String> {
    let started = Instant::now();
    let end = started + duration;
    let bodies = std::sync::Arc::new(Bodies::new());
    let mut report = SoakReport { clients, planned: duration, ..SoakReport::default() };
    // Warm up (so the start figure is the server at work, not idle), then read its memory.
    let mut warm = connect(target.addr()).await?;
    for i in 0..1000 {
        post(&mut warm, target.addr(), target.small_body(i)).await?;
    }
    report.rss_kib[0] = server_pid.and_then(rss_kib);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, bodies) = (target.addr(), bodies.clone());
        let small: Vec<Bytes> = (0..64).map(|i| target.small_body(c * 64 + i)).collect();
        tasks.push(tokio::spawn(async move {
            if c % 8 == 7 {
                slow_client(addr, c as u64 / 8, end, slow_limit).await
            } else {
                mixed_client(addr, c as u64, end, &bodies, &small).await
            }
        }));
    }
    for task in tasks {
        report.merge(task.await.map_err(|e| e.to_string())?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.single.sort();
    report.rss_kib[1] = server_pid.and_then(rss_kib);
    Ok(report)
}

/// A deterministic stream of choices.
struct Dice(u64);

impl Dice {
    /// A number in 0..1000.
    fn roll(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 1000
    }
}

/// One oversize request, streamed (6 MiB + 1, when `streamed`) or announced (100 MiB) on a new connection: the
/// server must answer 413 (and close).
async fn oversize(addr: SocketAddr, streamed: bool, bodies: &Bodies, report: &mut SoakReport) {
    let answer = if streamed {
        let mut conn = match connect(addr).await {
            Ok(c) => c,
            Err(e) => return report.bad("connect failed", e),
        };
        post(&mut conn, addr, bodies.oversize.clone()).await.map(|(s, _)| s.as_u16().to_string())
    } else {
        let head = "POST /invocations HTTP/1.1\r\nHost: loadgen\r\nContent-Type: text/csv\r\n\
                    Content-Length: 104857600\r\nConnection: close\r\n\r\n";
        request(addr, head.as_bytes(), &[], Duration::ZERO, Duration::from_secs(30))
            .await
            .map(|line| line.get(9..12).unwrap_or("").to_string())
    };
    match answer {
        Ok(status) if status == "413" => report.ok("oversize bodies refused with 413"),
        Ok(status) => report.bad(&format!("oversize answered {status}"), status),
        Err(e) => report.bad("oversize not answered", e),
    }
}

/// Checks the body of a request of `kind` answered with the expected status (sent at `sent`): the number of
/// predictions, or the row a malformed body's error names.
fn served(report: &mut SoakReport, kind: &'static str, answer: &[u8], sent: Instant) {
    let predictions = memchr::memmem::find_iter(answer, b"dot_product").count();
    let fine = match kind {
        "1-pair requests served" => predictions == 1,
        "100-pair requests served" => predictions == 100,
        _ => memchr::memmem::find(answer, b"row 2").is_some(),
    };
    if !fine {
        return report.bad(&format!("{kind}: wrong body"), String::from_utf8_lossy(&answer[..answer.len().min(200)]));
    }
    report.ok(kind);
    if kind == "1-pair requests served" {
        report.single.push(sent.elapsed());
    }
}

async fn mixed_client(addr: SocketAddr, seed: u64, end: Instant, bodies: &Bodies, small: &[Bytes]) -> SoakReport {
    let mut report = SoakReport::default();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ (seed + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let mut i = 0;
    while Instant::now() < end {
        i += 1;
        // Each client's first request is of a kind fixed by its number, so even a short soak sends every kind.
        let roll = if i == 1 { [500, 40, 10, 998, 999][seed as usize % 5] } else { dice.roll() };
        if roll >= 997 {
            sender = None;
            oversize(addr, roll == 999, bodies, &mut report).await;
            continue;
        }
        let conn = match &mut sender {
            Some(conn) => conn,
            None => match connect(addr).await {
                Ok(conn) => sender.insert(conn),
                Err(e) => {
                    report.bad("connect failed", e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let (kind, body, want) = match roll {
            0..=29 => ("malformed bodies refused with 400", bodies.malformed.clone(), StatusCode::BAD_REQUEST),
            30..=59 => ("100-pair requests served", bodies.batch.clone(), StatusCode::OK),
            _ => ("1-pair requests served", small[i % small.len()].clone(), StatusCode::OK),
        };
        let sent = Instant::now();
        match post(conn, addr, body).await {
            Ok((status, answer)) if status == want => served(&mut report, kind, &answer, sent),
            Ok((status, answer)) => {
                report.bad(
                    &format!("{kind}: status {status}"),
                    String::from_utf8_lossy(&answer[..answer.len().min(200)]),
                );
            }
            Err(e) => {
                report.bad(&format!("{kind}: transport error"), e);
                sender = None;
            }
        }
    }
    report
}

async fn slow_client(addr: SocketAddr, seed: u64, end: Instant, slow_limit: Duration) -> SoakReport {
    let mut report = SoakReport::default();
    let mut turn = seed;
    while Instant::now() < end {
        turn += 1;
        if turn.is_multiple_of(2) {
            match slowloris(addr, slow_limit).await {
                Ok(Some(_)) => report.ok("slowloris connections closed by the server"),
                Ok(None) => report.bad("slowloris connection still open", format!("after {slow_limit:?}")),
                Err(e) => report.bad("slowloris connect failed", e),
            }
        } else {
            let body = b"user_1,10.1.2.3\n";
            let head = format!(
                "POST /invocations HTTP/1.1\r\nHost: loadgen\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let pieces: [&[u8]; 3] = [&body[..5], &body[5..10], &body[10..]];
            match request(addr, head.as_bytes(), &pieces, Duration::from_millis(200), Duration::from_secs(30)).await {
                Ok(line) if line.starts_with("HTTP/1.1 200") => report.ok("slow bodies served"),
                Ok(line) => report.bad("slow body answered wrongly", line),
                Err(e) => report.bad("slow body not answered", e),
            }
        }
    }
    report
}
