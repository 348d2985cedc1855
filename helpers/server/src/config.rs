//! Settings of one endpoint server: where it listens, its limits and its timeouts.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to run an endpoint server; `Default` binds 127.0.0.1:8080 (SageMaker's container port).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port (see [`crate::EndpointHandle::addr`]).
    pub addr: SocketAddr,
    /// Whether `addr` may be other than loopback. The endpoint has no authentication: anyone who can reach the
    /// port can score and read embeddings, so listening beyond this machine must be asked for explicitly.
    pub allow_remote: bool,
    /// Largest accepted request body in bytes (413 above); SageMaker's is 6,291,456.
    pub max_body_bytes: usize,
    /// Largest response body in bytes (424 `ModelError` above, verbose answers included); SageMaker's is 6,291,456.
    pub max_response_bytes: usize,
    /// Answer as SageMaker's IP Insights container does: a request holding an IPv6 address is refused (400
    /// `ValidationError` naming the row), since SageMaker reads IPv4 only. Off by default: the local engine scores
    /// both families.
    pub ipv4_only: bool,
    /// Most connections served at once; past it a new connection gets 503 with `Retry-After` and is closed. Lowered
    /// at start to what the process's open-file limit leaves room for (see [`crate::EndpointHandle::max_connections`]).
    pub max_connections: usize,
    /// Timeouts of every phase of a connection and a request.
    pub timeouts: Timeouts,
    /// Tokio worker threads; `None` = [`default_worker_threads`], half the cores.
    pub worker_threads: Option<usize>,
    /// Whether ctrl-c shuts the server down gracefully.
    pub shutdown_on_ctrl_c: bool,
    /// How long a graceful shutdown waits for in-flight requests before giving up on them.
    pub shutdown_grace: Duration,
}

/// Timeouts of each phase of a connection; every one is a deadline, not an inactivity timer, so a client that
/// trickles bytes cannot extend it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A request head (request line and headers) must be complete within this, counted from the connection's
    /// accept or from the first byte of a later request: what closes slowloris connections. Default 10 s.
    pub header_read: Duration,
    /// A kept-alive connection with no request in progress is closed after this. Default 60 s, longer than
    /// common clients keep idle connections pooled (ureq 15 s, botocore 60 s less jitter), so clients never reuse
    /// a connection the server is closing.
    pub keep_alive_idle: Duration,
    /// SageMaker's budget for one invocation, from its head to its answer: reading the body, waiting for a worker
    /// and scoring. Past it the answer is 424 `ModelError` (or 408 while the body is still arriving). Default 60 s.
    pub invocation: Duration,
    /// Longest wait for room in the shared request-body budget before answering 503 `ServiceUnavailable` with
    /// `Retry-After` (SageMaker's answer when overloaded). Default 5 s.
    pub budget_wait: Duration,
    /// Longest time a client may take to read an answer; a connection busy longer than `invocation` plus this is
    /// closed. Default 30 s.
    pub response_write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            keep_alive_idle: Duration::from_secs(60),
            invocation: Duration::from_secs(60),
            budget_wait: Duration::from_secs(5),
            response_write: Duration::from_secs(30),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            allow_remote: false,
            max_body_bytes: ipinsights_protocol::MAX_BODY_BYTES,
            max_response_bytes: ipinsights_protocol::MAX_RESPONSE_BYTES,
            ipv4_only: false,
            max_connections: 16_384,
            timeouts: Timeouts::default(),
            worker_threads: None,
            shutdown_on_ctrl_c: false,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The async worker threads a server starts with by default: half the cores, at least one.
///
/// The workers only read requests and write answers (a 1-pair request costs about 20 µs of CPU, kernel
/// included); scoring of larger requests runs on blocking threads, one per core, and large inputs use all cores
/// inside the engine. The endpoint usually shares its machine with its clients (the notebook, the load generator):
/// with one worker per core, the server's and the clients' threads outnumber the cores, the scheduler time-slices
/// them, and a worker holding ready connections is descheduled for whole slices. That, not the server's code,
/// was the 12 ms p99 of 1-pair requests with 64 clients on 2 cores (2.2 ms when no thread is preempted).
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

impl ServerConfig {
    /// The default configuration on 127.0.0.1 with `port` (0 = any free port).
    pub fn localhost(port: u16) -> Self {
        Self { addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)), ..Self::default() }
    }

    /// Refuses a non-loopback `addr` unless [`ServerConfig::allow_remote`] is set, and timeouts of zero.
    pub fn validate(&self) -> io::Result<()> {
        if !self.addr.ip().is_loopback() && !self.allow_remote {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to listen on {}: the endpoint has no authentication, so only loopback addresses are \
                     allowed unless remote access is asked for explicitly (`--allow-remote`)",
                    self.addr
                ),
            ));
        }
        let t = &self.timeouts;
        let named = [
            ("header_read", t.header_read),
            ("keep_alive_idle", t.keep_alive_idle),
            ("invocation", t.invocation),
            ("budget_wait", t.budget_wait),
            ("response_write", t.response_write),
        ];
        if let Some((name, _)) = named.iter().find(|(_, d)| d.is_zero()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("timeout {name} must be positive")));
        }
        if self.max_connections == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "max_connections must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_addresses_need_the_flag() {
        let remote = ServerConfig { addr: "0.0.0.0:8080".parse().unwrap(), ..ServerConfig::default() };
        let e = remote.validate().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("--allow-remote"), "{e}");
        assert!(ServerConfig { allow_remote: true, ..remote }.validate().is_ok());
        assert!(ServerConfig { addr: "[::1]:0".parse().unwrap(), ..ServerConfig::default() }.validate().is_ok());
        assert!(ServerConfig::localhost(0).validate().is_ok());
    }

    #[test]
    fn zero_timeouts_are_refused() {
        let mut config = ServerConfig::localhost(0);
        config.timeouts.budget_wait = Duration::ZERO;
        assert!(config.validate().unwrap_err().to_string().contains("budget_wait"));
    }
}
