//! Where `dot_product`s come from: a model in this process, or an endpoint over HTTP.

use std::net::IpAddr;

use ipinsights_client::EndpointClient;
use ipinsights_engine::Model;

use crate::error::{DetectError, Result};

/// Scores (entity, IP) pairs. Scores are SageMaker's `dot_product`: **higher = more normal**.
pub trait Scorer: Send + Sync {
    /// The `dot_product` of each pair, in order (one per pair).
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>>;
    /// A short description for messages, e.g. `endpoint http://127.0.0.1:8080/invocations`.
    fn describe(&self) -> String;
}

impl Scorer for Model {
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>> {
        Ok(self.score_pairs(pairs))
    }
    fn describe(&self) -> String {
        format!("local model (vector_dim {})", self.vector_dim())
    }
}

impl Scorer for EndpointClient {
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>> {
        let predictions = self
            .predict(pairs)
            .map_err(|e| DetectError::Score { scorer: Scorer::describe(self), source: Box::new(e) })?;
        Ok(predictions.into_iter().map(|p| p.dot_product).collect())
    }
    fn describe(&self) -> String {
        format!("endpoint {}", self.url())
    }
}

impl<S: Scorer + ?Sized> Scorer for Box<S> {
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>> {
        (**self).dot_products(pairs)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<S: Scorer + ?Sized> Scorer for std::sync::Arc<S> {
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>> {
        (**self).dot_products(pairs)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
