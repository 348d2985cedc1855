//! The HTTP transport: one endpoint's invocation URL, over ureq with timeouts.

use std::net::IpAddr;
use std::time::Duration;

use ipinsights_protocol::{Prediction, RequestFormat, ResponseFormat, MAX_RESPONSE_BYTES};

use crate::{predict_with, ClientError, SplitLimits, Transport};

/// Longest wait for a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest whole call: upload, SageMaker's 60 s invocation budget, download.
const CALL_TIMEOUT: Duration = Duration::from_secs(90);

/// A handle on one endpoint's invocation URL; cheap to clone, safe to share across threads.
#[derive(Clone)]
pub struct EndpointClient {
    url: String,
    agent: ureq::Agent,
    max_body_bytes: usize,
    request_format: RequestFormat,
}

impl std::fmt::Debug for EndpointClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointClient").field("url", &self.url).finish()
    }
}

impl EndpointClient {
    /// A client for `url`: a full invocation URL (`.../invocations`), or a server or
    /// `.../endpoints/{name}` URL to which `/invocations` is appended.
    pub fn new(url: impl AsRef<str>) -> Self {
        let url = url.as_ref().trim().trim_end_matches('/');
        let url = if url.ends_with("/invocations") { url.to_string() } else { format!("{url}/invocations") };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(CALL_TIMEOUT))
            .max_idle_connections_per_host(crate::MAX_CONCURRENT_REQUESTS)
            .build()
            .into();
        Self { url, agent, max_body_bytes: ipinsights_protocol::MAX_BODY_BYTES, request_format: RequestFormat::Csv }
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

    /// Scores `(entity, ip)` rows; same result as one call, whatever the input size (see [`crate::predict_via`]).
    pub fn predict<S: AsRef<str>>(&self, rows: &[(S, IpAddr)]) -> Result<Vec<Prediction>, ClientError> {
        self.predict_as(rows, ResponseFormat::default())
    }

    /// Like [`EndpointClient::predict`], asking for `format` (e.g. verbose, to get embeddings).
    pub fn predict_as<S: AsRef<str>>(
        &self,
        rows: &[(S, IpAddr)],
        format: ResponseFormat,
    ) -> Result<Vec<Prediction>, ClientError> {
        let limits = SplitLimits { max_body_bytes: self.max_body_bytes, ..SplitLimits::default() };
        predict_with(self, rows, self.request_format, format, limits)
    }

    /// Sends one raw invocation and returns the response body (an error for any non-2xx status).
    pub fn invoke(&self, body: &[u8], content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        let failed =
            |source: ureq::Error| ClientError::Transport { target: self.url.clone(), source: Box::new(source) };
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type)
            .header("Accept", accept)
            .send(body)
            .map_err(failed)?;
        let status = response.status().as_u16();
        let bytes = response.body_mut().with_config().limit(MAX_RESPONSE_BYTES as u64).read_to_vec().map_err(failed)?;
        if (200..300).contains(&status) {
            Ok(bytes)
        } else {
            Err(ClientError::from_status(status, &bytes))
        }
    }
}

impl Transport for EndpointClient {
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        EndpointClient::invoke(self, &body, content_type, accept)
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
