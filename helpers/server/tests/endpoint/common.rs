//! Shared helpers: a tiny model trained with the engine, servers on 127.0.0.1, raw HTTP requests.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use ipinsights_engine::{train, IpInsightsParams, Model, TrainOptions, Tuple};
use ipinsights_server::{spawn_endpoint, EndpointHandle, EndpointState, Scorer, ServerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The endpoint name every test server uses.
pub const NAME: &str = "test-endpoint";

/// A small model trained once per test binary: 40 users, each seen from two /24 networks.
pub fn model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let mut rng = StdRng::seed_from_u64(7);
            let tuples: Vec<Tuple> = (0..40u8)
                .flat_map(|user| (0..30).map(move |i| (user, i)))
                .map(|(user, i)| {
                    let net = if i % 3 == 0 { [172, 16, user, 0] } else { [10, user, 7, 0] };
                    let ip = IpAddr::from([net[0], net[1], net[2], rng.gen()]);
                    Tuple::new(format!("user_{user}"), ip)
                })
                .collect();
            let hp = IpInsightsParams::new(100, 16).epochs(3).mini_batch_size(100).learning_rate(0.01).check().unwrap();
            let options = TrainOptions { threads: 1, ..TrainOptions::default() };
            Arc::new(train(&hp, &tuples, None, &options, &mut |_| {}).unwrap().model)
        })
        .clone()
}

/// A server for [`model`] on 127.0.0.1 with a free port.
pub fn start() -> EndpointHandle {
    start_with(ServerConfig::localhost(0), model())
}

/// A server for `scorer` with `config`.
pub fn start_with(config: ServerConfig, scorer: Arc<dyn Scorer>) -> EndpointHandle {
    spawn_endpoint(&config, EndpointState::ready(NAME, scorer)).unwrap()
}

/// `n` seeded random rows: known users and others, IPv4 (mostly in the users' networks) and IPv6.
pub fn rows(n: usize, seed: u64) -> Vec<(String, IpAddr)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let user: u8 = rng.gen_range(0..50);
            let ip = match rng.gen_range(0..10) {
                0 => IpAddr::from(rng.gen::<[u16; 8]>()),
                1..=3 => IpAddr::from(rng.gen::<[u8; 4]>()),
                _ => IpAddr::from([10, user, 7, rng.gen()]),
            };
            (format!("user_{user}"), ip)
        })
        .collect()
}

/// The in-process scores of `rows`.
pub fn expected(rows: &[(String, IpAddr)]) -> Vec<f32> {
    model().score_pairs(rows)
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub error_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        let json: serde_json::Value = serde_json::from_slice(&self.body).expect("error bodies are JSON");
        assert_eq!(json["__type"].as_str(), self.error_type.as_deref(), "header and body agree on the type");
        json["message"].as_str().expect("a message").to_string()
    }
}

/// A client that never waits more than a minute, so a server that hangs fails the test instead of stalling it.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into()
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (content_type, error_type) = (header("content-type"), header("x-amzn-errortype"));
    let body = response.body_mut().with_config().limit(u64::MAX).read_to_vec().unwrap();
    Answer { status: response.status().as_u16(), content_type, error_type, body }
}

/// POSTs `body` to `url` with optional `Content-Type` and `Accept` headers.
pub fn post(url: &str, content_type: Option<&str>, accept: Option<&str>, body: &[u8]) -> Answer {
    let mut request = agent().post(url);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    answer(request.send(body).unwrap())
}

/// GETs `url`.
pub fn get(url: &str) -> Answer {
    answer(agent().get(url).call().unwrap())
}

/// POSTs `body` as a chunked stream (no `Content-Length`).
pub fn post_chunked(url: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let reader = std::io::Cursor::new(body);
    let request = agent().post(url).header("Content-Type", content_type);
    answer(request.send(ureq::SendBody::from_owned_reader(reader)).unwrap())
}

/// A raw TCP connection to a test server, for what HTTP clients will not do (stall, trickle, hold).
pub struct Raw(pub std::net::TcpStream);

impl Raw {
    /// Connects to `addr`.
    pub fn connect(addr: std::net::SocketAddr) -> Raw {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw(stream)
    }

    /// Writes `bytes` (a write error means the server closed the connection: returned as false).
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        std::io::Write::write_all(&mut self.0, bytes).is_ok()
    }

    /// Reads until the server closes the connection (EOF or reset) or `limit` passes; returns what was read and
    /// when the connection closed (`None` if it was still open at `limit`).
    pub fn read_until_closed(&mut self, limit: std::time::Duration) -> (Vec<u8>, Option<std::time::Duration>) {
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let left = limit.saturating_sub(started.elapsed());
            if left.is_zero() {
                return (got, None);
            }
            self.0.set_read_timeout(Some(left)).unwrap();
            match std::io::Read::read(&mut self.0, &mut buf) {
                Ok(0) => return (got, Some(started.elapsed())),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return (got, None)
                }
                Err(_) => return (got, Some(started.elapsed())), // reset: closed too
            }
        }
    }

    /// Reads one HTTP/1.1 response with a `Content-Length` body (at most `limit` to wait); the status, the
    /// head's text and the body.
    pub fn read_response(&mut self, limit: std::time::Duration) -> (u16, String, Vec<u8>) {
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if got.len() >= end + 4 + length {
                    let status = head[9..12].parse().unwrap();
                    return (status, head, got[end + 4..end + 4 + length].to_vec());
                }
            }
            let left = limit.saturating_sub(started.elapsed());
            assert!(!left.is_zero(), "no complete response within {limit:?}: {}", String::from_utf8_lossy(&got));
            self.0.set_read_timeout(Some(left)).unwrap();
            match std::io::Read::read(&mut self.0, &mut buf) {
                Ok(0) => panic!("connection closed mid-response: {}", String::from_utf8_lossy(&got)),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => panic!("reading the response: {e}; got {}", String::from_utf8_lossy(&got)),
            }
        }
    }
}

/// A complete keep-alive CSV request to `/invocations`.
pub fn csv_request(body: &str) -> Vec<u8> {
    format!(
        "POST /invocations HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
