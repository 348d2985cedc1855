//! One endpoint of a backend as the client crate's [`Transport`] (one body in, one body out), so that every
//! backend splits, sends and decodes through the same `ipinsights_client::predict_via`: requests and answers under
//! SageMaker's 6 MiB limits, a bounded number in flight, predictions in input order.

use std::net::IpAddr;

use ipinsights_client::{ClientError, Prediction, RequestFormat, ResponseFormat, Transport};

use crate::backend::Backend;
use crate::error::{Result, WorkshopError};

/// One endpoint of a backend.
#[derive(Clone, Copy)]
pub(crate) struct Invoker<'a> {
    /// The session's backend.
    pub backend: &'a dyn Backend,
    /// The endpoint's name.
    pub endpoint: &'a str,
}

impl Transport for Invoker<'_> {
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> std::result::Result<Vec<u8>, ClientError> {
        self.backend
            .invoke(self.endpoint, body, content_type, accept)
            .map_err(|e| ClientError::Transport { target: format!("endpoint {}", self.endpoint), source: e.into() })
    }
}

/// Scores `pairs` on the invoker's endpoint. Not generic over the entity type, so that it is compiled with the
/// helper crate (optimised) rather than inside each notebook cell.
pub(crate) fn predict_via(
    invoker: &Invoker<'_>,
    pairs: &[(&str, IpAddr)],
    request: RequestFormat,
    response: ResponseFormat,
) -> Result<Vec<Prediction>> {
    ipinsights_client::predict_via(invoker, pairs, request, response).map_err(|e| match e {
        // The backend's own error already names the endpoint and says what went wrong; it keeps its kind.
        ClientError::Transport { source, .. } => match source.downcast::<WorkshopError>() {
            Ok(backend_error) => *backend_error,
            Err(other) => WorkshopError::new(other.to_string()),
        },
        other => WorkshopError::context(format!("endpoint {}", invoker.endpoint), other),
    })
}
