//! Blocking client of an IP Insights endpoint (the local server or any SageMaker-protocol URL).
//!
//! Every call is synchronous and owns what it needs (no async runtime), so it works from Jupyter/evcxr cells.
//! [`predict_via`] is the one splitting path for every backend: it scores any number of pairs through a
//! [`Transport`] (HTTP here, SageMaker's InvokeEndpoint elsewhere), keeping each request and each answer under
//! SageMaker's 6 MiB, a few requests at a time, predictions in input order. [`EndpointClient`] is the HTTP
//! transport, and a [`Scorer`](ipinsights_protocol::Scorer) for the detector.

mod error;
mod http;
mod predict;
mod scorer;
mod transport;

pub use error::ClientError;
pub use http::EndpointClient;
pub use ipinsights_protocol::{Prediction, RequestFormat, ResponseFormat, ResponseKind};
pub use predict::{predict_via, predict_with, SplitLimits, MAX_CONCURRENT_REQUESTS};
pub use transport::Transport;
