//! Live detection from a notebook: the predictor as the detector's scorer, and detections as a table.

use crate::predictor::Predictor;
use crate::table::Table;
use ipinsights_detect::{Detection, Verdict};
use ipinsights_protocol::{Pair, ScoreError, Scorer};

impl Scorer for Predictor {
    /// One score per pair; a pair the endpoint cannot read (IPv6 on SageMaker: see [`Scorer::ipv4_only`], which
    /// the detector honours) is an error naming it.
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        let predictions = self.predict(pairs).map_err(|e| ScoreError::new(self.describe(), e))?;
        if let Some(skipped) = predictions.not_scorable.first() {
            let reason = format!("row {}: {},{}: {}", skipped.row + 1, skipped.entity, skipped.ip, skipped.reason);
            return Err(ScoreError::new(self.describe(), reason));
        }
        Ok(predictions.dot_products())
    }

    fn describe(&self) -> String {
        format!("endpoint {}", self.endpoint)
    }

    fn ipv4_only(&self) -> bool {
        Predictor::ipv4_only(self)
    }
}

/// The detections with verdict `keep` as a table: finding, principal, IP, scores and the explanation.
pub fn detections_table(detections: &[Detection], keep: Verdict) -> Table {
    let mut table =
        Table::new(["finding type", "severity", "principal", "ip", "score (−dot_product)", "threshold", "why"]);
    let chosen: Vec<&Detection> = detections.iter().filter(|d| d.verdict == keep).collect();
    for d in &chosen {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        table.push([
            text(&d.finding_type),
            d.severity.map(|s| s.to_string()).unwrap_or_default(),
            text(&d.principal),
            d.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            d.score.map(|s| format!("{s:.3}")).unwrap_or_default(),
            format!("{:.3}", d.threshold),
            d.explanation.as_ref().map(|e| e.summary.clone()).or_else(|| d.skip_reason.clone()).unwrap_or_default(),
        ]);
    }
    table.note = Some(format!("{} of {} records", chosen.len(), detections.len()));
    table
}
