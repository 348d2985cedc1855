//! Live detection from a notebook: the predictor as the detector's scorer (`predictor.detector(threshold)`), the
//! findings the data-source cell read, and detections as a table.

use std::fmt;
use std::ops::Deref;

use crate::account::SecurityData;
use crate::error::{Result, WorkshopError};
use crate::predictor::Predictor;
use crate::table::Table;
use ipinsights_detect::{Detection, Detector, Familiarity, Verdict};
use ipinsights_engine::tuples::Tuple;
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

/// The detector a notebook wires up (`predictor.detector(threshold)`): the predictor as its scorer, the alert
/// threshold on the anomaly score, and optionally the principals' usual networks to explain each alert.
#[derive(Debug)]
pub struct FindingDetector {
    inner: Detector,
}

impl Predictor {
    /// A detector scoring findings on this endpoint and alerting when the anomaly score (−dot_product) is above
    /// `threshold`; a threshold that is not a finite number is an error.
    pub fn detector(&self, threshold: f64) -> Result<FindingDetector> {
        let inner = Detector::new(self.clone(), threshold)
            .map_err(|e| WorkshopError::new(format!("detector for endpoint {}: {e}", self.endpoint)))?;
        Ok(FindingDetector { inner })
    }
}

impl FindingDetector {
    /// This detector, explaining each alert with the principal's most familiar networks in `tuples` (the training
    /// tuples).
    pub fn with_familiarity(self, tuples: &[Tuple]) -> Self {
        FindingDetector { inner: self.inner.with_familiarity(Familiarity::from_tuples(tuples)) }
    }

    /// The alert threshold on the anomaly score.
    pub fn threshold(&self) -> f64 {
        self.inner.threshold()
    }

    /// Scores every GuardDuty finding of `data` (the file the data-source cell wrote) and returns one record each.
    pub fn detect(&self, data: &SecurityData) -> Result<Detections> {
        let path = &data.findings_path;
        let text = std::fs::read_to_string(path)
            .map_err(|e| WorkshopError::new(format!("reading the findings {}: {e}", path.display())))?;
        let records =
            self.inner.detect_str(&text).map_err(|e| WorkshopError::new(format!("{}: {e}", path.display())))?;
        Ok(Detections { records, threshold: self.threshold() })
    }
}

/// What a detector made of the findings: one record per finding (and per skipped one), at one threshold.
#[derive(Debug, Clone)]
pub struct Detections {
    /// The records, in finding order.
    pub records: Vec<Detection>,
    /// The threshold they were judged at.
    pub threshold: f64,
}

impl Detections {
    /// How many records are alerts.
    pub fn alerts(&self) -> usize {
        self.records.iter().filter(|d| d.verdict == Verdict::Alert).count()
    }
}

impl Deref for Detections {
    type Target = [Detection];
    fn deref(&self) -> &[Detection] {
        &self.records
    }
}

impl fmt::Display for Detections {
    /// `N findings scored: M alerts at threshold T`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} findings scored: {} alerts at threshold {:.3}", self.records.len(), self.alerts(), self.threshold)
    }
}
