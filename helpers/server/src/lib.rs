//! The IP Insights inference endpoint: SageMaker's container contract (`GET /ping`,
//! `POST /invocations`) and runtime API path (`POST /endpoints/{name}/invocations`) over HTTP.
//!
//! Scoring is behind the one [`Scorer`] trait (implemented by the engine's model), so the server is generic and
//! testable. [`spawn_endpoint`] runs a server on its own thread and runtime (for blocking callers: CLI, notebooks,
//! tests); [`serve`] runs one on the caller's runtime. Every phase of a connection and of a request has a
//! deadline ([`Timeouts`]), connections are capped, request bodies share a memory budget, answers stay under
//! SageMaker's 6 MiB, and only loopback is served unless remote access is asked for.

mod answer;
mod body;
mod budget;
mod config;
mod conn;
mod error;
mod invoke;
mod limits;
mod routes;
mod run;
mod state;

pub use config::{default_worker_threads, ServerConfig, Timeouts};
pub use error::ApiError;
pub use ipinsights_protocol::Scorer;
pub use routes::router;
pub use run::{serve, spawn_endpoint, EndpointHandle};
pub use state::EndpointState;
