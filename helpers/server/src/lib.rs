//! The IP Insights inference endpoint: SageMaker's container contract (`GET /ping`,
//! `POST /invocations`) and runtime API path (`POST /endpoints/{name}/invocations`) over HTTP.
//!
//! Scoring is behind the [`Scorer`] trait (implemented by the engine's model), so the server is
//! generic and testable. [`spawn_endpoint`] runs a server on its own thread and runtime (for
//! blocking callers: CLI, notebooks, tests); [`serve`] runs one on the caller's runtime.

mod config;
mod error;
mod invoke;
mod routes;
mod run;
mod scorer;
mod state;

pub use config::ServerConfig;
pub use error::ApiError;
pub use routes::router;
pub use run::{serve, spawn_endpoint, EndpointHandle};
pub use scorer::Scorer;
pub use state::EndpointState;
