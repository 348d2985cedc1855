//! The half-open benchmark: thousands of connections that send a request line and one header and then nothing,
//! while a normal client keeps asking; the server must answer it, close every half-open one on time, and give
//! its file descriptors back.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::load::{connect, post, Target};
use crate::raw::wait_closed;
use crate::stats::{open_fds, Latencies};

/// Connections being opened at once.
const OPENING: usize = 256;
/// Normal requests timed while the half-open connections are held.
const PROBES: usize = 50;

/// What the half-open benchmark saw.
pub struct HalfOpenReport {
    wanted: usize,
    opened: usize,
    open_failures: usize,
    first_failure: Option<String>,
    probes: Latencies,
    probe_errors: usize,
    closed: usize,
    last_closed_after: Duration,
    fds: [Option<usize>; 3],
}

impl HalfOpenReport {
    /// Half-open connections the server did not close in time, and probe requests that failed.
    pub fn failures(&self) -> usize {
        (self.opened - self.closed) + self.probe_errors
    }
}

impl fmt::Display for HalfOpenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = |v: Option<usize>| v.map_or("n/a".to_string(), |n| n.to_string());
        writeln!(
            f,
            "half-open: {} of {} connections held open (request line + one header){}",
            self.opened,
            self.wanted,
            match &self.first_failure {
                Some(e) => format!(", {} failed to open (first: {e})", self.open_failures),
                None => String::new(),
            }
        )?;
        let p = &self.probes;
        writeln!(
            f,
            "half-open: {} normal 1-pair requests meanwhile (new connection each): p50 {} µs, max {} µs, {} errors",
            p.len(),
            p.percentile(50.0),
            p.percentile(100.0),
            self.probe_errors
        )?;
        write!(
            f,
            "half-open: {} of {} closed by the server, the last {:.2} s after its header; server fds {} before, {} \
             while held, {} after",
            self.closed,
            self.opened,
            self.last_closed_after.as_secs_f64(),
            fd(self.fds[0]),
            fd(self.fds[1]),
            fd(self.fds[2])
        )
    }
}

/// How the held connections ended.
struct Closing {
    /// Closed by the server.
    closed: usize,
    /// The longest a connection stayed open.
    last_closed_after: Duration,
    /// Connections that could not be opened.
    open_failures: usize,
    /// The first of those errors.
    first_failure: Option<String>,
}

/// Waits for every held connection's task: closed by the server (and after how long), or failed to open.
async fn closing(tasks: Vec<JoinHandle<Result<Option<Duration>, String>>>) -> Result<Closing, String> {
    let mut c = Closing { closed: 0, last_closed_after: Duration::ZERO, open_failures: 0, first_failure: None };
    for task in tasks {
        match task.await.map_err(|e| e.to_string())? {
            Ok(Some(after)) => {
                c.closed += 1;
                c.last_closed_after = c.last_closed_after.max(after);
            }
            Ok(None) => {}
            Err(e) => {
                c.open_failures += 1;
                c.first_failure.get_or_insert(e);
            }
        }
    }
    Ok(c)
}

/// Small requests on fresh connections while the half-open ones are held: their sorted latencies and the number
/// that failed or took over 5 s.
async fn probe(target: &Target) -> (Latencies, usize) {
    let addr = target.addr();
    let (mut probes, mut probe_errors) = (Latencies::default(), 0);
    for i in 0..PROBES {
        let started = Instant::now();
        let answered = async {
            let mut sender = connect(addr).await?;
            post(&mut sender, addr, target.small_body(i)).await
        };
        match tokio::time::timeout(Duration::from_secs(5), answered).await {
            Ok(Ok((status, _))) if status.is_success() => probes.push(started.elapsed()),
            _ => probe_errors += 1,
        }
    }
    probes.sort();
    (probes, probe_errors)
}

/// Holds `count` half-open connections, probes the endpoint meanwhile, and waits (at most `limit` per
/// connection) for the server to close them.
pub async fn half_open(
    target: &Target,
    count: usize,
    server_pid: Option<u32>,
    limit: Duration,
) -> Result<HalfOpenReport, String> {
    let addr = target.addr();
    let fds_before = server_pid.and_then(open_fds);
    let opening = Arc::new(Semaphore::new(OPENING));
    let (opened, settled) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let (opening, opened, settled) = (opening.clone(), opened.clone(), settled.clone());
        tasks.push(tokio::spawn(async move {
            let permit = opening.acquire_owned().await.map_err(|e| e.to_string());
            let connected = async {
                let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                tcp.write_all(b"POST /invocations HTTP/1.1\r\nHost: loadgen\r\n").await.map_err(|e| e.to_string())?;
                Ok::<_, String>(tcp)
            }
            .await;
            drop(permit);
            let mut tcp = match connected {
                Ok(tcp) => tcp,
                Err(e) => {
                    settled.fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
            };
            let sent = Instant::now();
            opened.fetch_add(1, Ordering::Relaxed);
            settled.fetch_add(1, Ordering::Relaxed);
            Ok(wait_closed(&mut tcp, limit).await.map(|()| sent.elapsed()))
        }));
    }
    while settled.load(Ordering::Relaxed) < count {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let fds_held = server_pid.and_then(open_fds);
    let (probes, probe_errors) = probe(target).await;
    let closing = closing(tasks).await?;
    tokio::time::sleep(Duration::from_millis(500)).await; // let the server finish closing
    let fds_after = server_pid.and_then(open_fds);
    Ok(HalfOpenReport {
        wanted: count,
        opened: opened.load(Ordering::Relaxed),
        open_failures: closing.open_failures,
        first_failure: closing.first_failure,
        probes,
        probe_errors,
        closed: closing.closed,
        last_closed_after: closing.last_closed_after,
        fds: [fds_before, fds_held, fds_after],
    })
}
