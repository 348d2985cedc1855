//! Settings of one endpoint server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to run an endpoint server; `Default` binds 127.0.0.1:8080 (SageMaker's container port).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port (see [`crate::EndpointHandle::addr`]).
    pub addr: SocketAddr,
    /// Largest accepted request body in bytes (413 above); SageMaker's is 6,291,456.
    pub max_body_bytes: usize,
    /// Tokio worker threads; `None` = one per core.
    pub worker_threads: Option<usize>,
    /// Whether ctrl-c shuts the server down gracefully.
    pub shutdown_on_ctrl_c: bool,
    /// How long a graceful shutdown waits for in-flight requests before giving up on them.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            max_body_bytes: ipinsights_protocol::MAX_BODY_BYTES,
            worker_threads: None,
            shutdown_on_ctrl_c: false,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServerConfig {
    /// The default configuration on 127.0.0.1 with `port` (0 = any free port).
    pub fn localhost(port: u16) -> Self {
        Self { addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)), ..Self::default() }
    }
}
