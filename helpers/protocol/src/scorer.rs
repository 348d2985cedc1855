//! The one scoring seam: what serves, detects and thresholds need from a model, in this process or behind an
//! endpoint. Scores are SageMaker's `dot_product`: **higher = more normal**.

use std::error::Error;
use std::sync::Arc;

use ipinsights_engine::Model;

use crate::pair::Pair;
use crate::response::Prediction;

/// Why a scorer could not score.
#[derive(Debug, thiserror::Error)]
#[error("scoring with {scorer} failed: {source}")]
pub struct ScoreError {
    /// The scorer's [`Scorer::describe`].
    pub scorer: String,
    /// What went wrong.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

impl ScoreError {
    /// An error of `scorer` (its description) caused by `source`.
    pub fn new(scorer: impl Into<String>, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self { scorer: scorer.into(), source: source.into() }
    }
}

/// Scores ⟨entity, IP⟩ pairs: a [`Model`] in this process, or an endpoint (the client crate implements it).
pub trait Scorer: Send + Sync {
    /// A short description for messages, e.g. `local model (vector_dim 128)`.
    fn describe(&self) -> String;

    /// The `dot_product` of each pair, in order: exactly one per pair.
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError>;

    /// Each pair's prediction with both embeddings (SageMaker's verbose answer), in order. By default this
    /// scorer has no embeddings and says so.
    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        let _ = pairs;
        Err(ScoreError::new(self.describe(), "this scorer gives no embeddings (verbose predictions)"))
    }

    /// The embeddings' length when known before scoring (a model in this process); `None` when only an answer
    /// tells (an endpoint) or when there are no embeddings.
    fn vector_dim(&self) -> Option<usize> {
        None
    }

    /// Whether this scorer reads IPv4 addresses only (a SageMaker endpoint): callers then keep IPv6 pairs away
    /// from it (the detector records them as skipped). Models in this process and local endpoints read both.
    fn ipv4_only(&self) -> bool {
        false
    }
}

impl Scorer for Model {
    fn describe(&self) -> String {
        format!("local model (vector_dim {})", Model::vector_dim(self))
    }

    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Ok(self.score_pairs(pairs))
    }

    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        let scores = self.score_pairs(pairs);
        Ok(pairs
            .iter()
            .zip(scores)
            .map(|((entity, ip), dot_product)| Prediction {
                dot_product,
                entity_embedding: Some(self.entity_embedding(entity)),
                ip_embedding: Some(self.ip_embedding(*ip)),
            })
            .collect())
    }

    fn vector_dim(&self) -> Option<usize> {
        Some(Model::vector_dim(self))
    }
}

impl<S: Scorer + ?Sized> Scorer for Box<S> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn ipv4_only(&self) -> bool {
        (**self).ipv4_only()
    }
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        (**self).dot_products(pairs)
    }
    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        (**self).verbose_predictions(pairs)
    }
    fn vector_dim(&self) -> Option<usize> {
        (**self).vector_dim()
    }
}

impl<S: Scorer + ?Sized> Scorer for Arc<S> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn ipv4_only(&self) -> bool {
        (**self).ipv4_only()
    }
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        (**self).dot_products(pairs)
    }
    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        (**self).verbose_predictions(pairs)
    }
    fn vector_dim(&self) -> Option<usize> {
        (**self).vector_dim()
    }
}

/// Borrows owned rows as [`Pair`]s, for scorers fed from `(String, IpAddr)` data.
pub fn borrow_pairs<S: AsRef<str>>(rows: &[(S, std::net::IpAddr)]) -> Vec<Pair<'_>> {
    rows.iter().map(|(entity, ip)| (std::borrow::Cow::Borrowed(entity.as_ref()), *ip)).collect()
}
