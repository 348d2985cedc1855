//! What the server needs from a model.

use std::net::IpAddr;

use ipinsights_protocol::Pair;

/// A trained IP Insights model as the server sees it: immutable, shareable across threads.
pub trait Scorer: Send + Sync + 'static {
    /// Length of the embeddings.
    fn vector_dim(&self) -> usize;
    /// `dot_product` of each pair, in order (higher = more normal).
    fn score_pairs(&self, pairs: &[Pair<'_>]) -> Vec<f32>;
    /// The entity's embedding (`vector_dim` long).
    fn entity_embedding(&self, entity: &str) -> Vec<f32>;
    /// The IP address's embedding (`vector_dim` long).
    fn ip_embedding(&self, ip: IpAddr) -> Vec<f32>;
}

impl Scorer for ipinsights_engine::Model {
    fn vector_dim(&self) -> usize {
        ipinsights_engine::Model::vector_dim(self)
    }
    fn score_pairs(&self, pairs: &[Pair<'_>]) -> Vec<f32> {
        ipinsights_engine::Model::score_pairs(self, pairs)
    }
    fn entity_embedding(&self, entity: &str) -> Vec<f32> {
        ipinsights_engine::Model::entity_embedding(self, entity)
    }
    fn ip_embedding(&self, ip: IpAddr) -> Vec<f32> {
        ipinsights_engine::Model::ip_embedding(self, ip)
    }
}
