//! Blocking client of an IP Insights endpoint (the local server or any SageMaker-protocol URL).
//!
//! Every call is synchronous and owns what it needs (no async runtime), so it works from
//! Jupyter/evcxr cells. [`EndpointClient::predict`] splits large inputs into bodies under
//! SageMaker's 6 MiB limit, sends them on a few threads and returns predictions in input order.

mod error;
mod predict;

use std::time::Duration;

pub use error::ClientError;
pub use ipinsights_protocol::{Prediction, RequestFormat, ResponseFormat, ResponseKind};

/// A handle on one endpoint's invocation URL; cheap to clone, safe to share across threads.
#[derive(Clone)]
pub struct EndpointClient {
    url: String,
    agent: ureq::Agent,
    threads: usize,
    max_body_bytes: usize,
    request_format: RequestFormat,
}

impl std::fmt::Debug for EndpointClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointClient").field("url", &self.url).field("threads", &self.threads).finish()
    }
}

impl EndpointClient {
    /// A client for `url`: a full invocation URL (`.../invocations`), or a server or
    /// `.../endpoints/{name}` URL to which `/invocations` is appended.
    pub fn new(url: impl AsRef<str>) -> Self {
        let url = url.as_ref().trim().trim_end_matches('/');
        let url = if url.ends_with("/invocations") { url.to_string() } else { format!("{url}/invocations") };
        let threads = 4;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .max_idle_connections_per_host(threads)
            .build()
            .into();
        Self {
            url,
            agent,
            threads,
            max_body_bytes: ipinsights_protocol::MAX_BODY_BYTES,
            request_format: RequestFormat::Csv,
        }
    }

    /// Uses `threads` concurrent requests (at least 1) in [`EndpointClient::predict`]; default 4.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Caps each request body at `bytes` (default and maximum useful value: 6,291,456).
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Encodes [`EndpointClient::predict`]'s requests as `format` (default CSV).
    pub fn with_request_format(mut self, format: RequestFormat) -> Self {
        self.request_format = format;
        self
    }

    /// The invocation URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one raw invocation and returns the response body (an error for any non-2xx status).
    pub fn invoke(&self, body: &[u8], content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        let transport = |source| ClientError::Transport { url: self.url.clone(), source: Box::new(source) };
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type)
            .header("Accept", accept)
            .send(body)
            .map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.body_mut().with_config().limit(u64::MAX).read_to_vec().map_err(transport)?;
        if (200..300).contains(&status) {
            Ok(bytes)
        } else {
            Err(ClientError::from_status(status, &bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_the_invocations_path_once() {
        assert_eq!(EndpointClient::new("http://127.0.0.1:8080").url(), "http://127.0.0.1:8080/invocations");
        assert_eq!(EndpointClient::new("http://h:1/").url(), "http://h:1/invocations");
        assert_eq!(EndpointClient::new("http://h:1/endpoints/e").url(), "http://h:1/endpoints/e/invocations");
        assert_eq!(EndpointClient::new("http://h:1/invocations").url(), "http://h:1/invocations");
    }

    #[test]
    fn a_closed_port_is_a_transport_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = EndpointClient::new(format!("http://127.0.0.1:{port}")).invoke(
            b"a,1.2.3.4",
            "text/csv",
            "application/json",
        );
        assert!(matches!(err, Err(ClientError::Transport { .. })), "{err:?}");
    }
}
