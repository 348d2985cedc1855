//! An endpoint as a [`Scorer`]: the detector and the threshold tools score through it like through a model.

use ipinsights_protocol::{Pair, Prediction, ResponseFormat, ResponseKind, ScoreError, Scorer};

use crate::EndpointClient;

impl Scorer for EndpointClient {
    fn describe(&self) -> String {
        format!("endpoint {}", self.url())
    }

    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        let predictions = self.predict(pairs).map_err(|e| ScoreError::new(self.describe(), e))?;
        Ok(predictions.into_iter().map(|p| p.dot_product).collect())
    }

    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        self.predict_as(pairs, ResponseFormat::verbose(ResponseKind::Json))
            .map_err(|e| ScoreError::new(self.describe(), e))
    }
}
