//! Choosing an alert threshold from the scores of normal and anomalous events (workshop step 5).
//!
//! **Score convention: every score and threshold in this module is the tutorial's anomaly score,
//! `score = −dot_product` (higher = more anomalous).** A threshold `t` flags an event when
//! `score > t`, i.e. when `dot_product < −t` — the same rule as `ipinsights_engine::metrics`.
//! [`ThresholdAnalysis::from_dot_products`] takes raw `dot_product`s and negates them for you.
//!
//! Two rules, as the workshop asks: [`ThresholdRule::MaxFalsePositiveRate`] (few normal events
//! flagged, for costly analyst review) and [`ThresholdRule::MinRecall`] (most anomalies caught, for a
//! cheap step such as asking for MFA). Both choose among the exact ROC operating points and return
//! the Pareto-best one; the threshold itself is the shortest decimal number that realises that point.

mod choose;
#[cfg(test)]
mod tests;

use std::fmt;

use ipinsights_engine::metrics::{at_threshold, auc, histogram, roc_curve, Histogram, ThresholdStats};
use serde::Serialize;
use thiserror::Error;

/// How to pick a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", content = "target", rename_all = "snake_case")]
pub enum ThresholdRule {
    /// Flag at most this share of normal events (0–1), catching as many anomalies as possible.
    MaxFalsePositiveRate(f64),
    /// Catch at least this share of anomalies (0 < y ≤ 1), flagging as few normal events as possible.
    MinRecall(f64),
}

impl fmt::Display for ThresholdRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdRule::MaxFalsePositiveRate(x) => write!(f, "false positive rate ≤ {x}"),
            ThresholdRule::MinRecall(y) => write!(f, "recall ≥ {y}"),
        }
    }
}

/// Why a threshold could not be chosen.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ThresholdError {
    /// One class has no scores, so recall or the false-positive rate is undefined.
    #[error("no {class} scores: choosing a threshold needs both normal and anomalous scores (simulate anomalies with `random_ip_anomalies`)")]
    EmptyClass {
        /// `normal` or `anomalous`.
        class: &'static str,
    },
    /// A score is NaN or infinite.
    #[error("{class} score #{index} is {value}: scores must be finite")]
    NotFinite {
        /// `normal` or `anomalous`.
        class: &'static str,
        /// 0-based position of the score.
        index: usize,
        /// The value.
        value: f32,
    },
    /// The rule's target is out of range.
    #[error("{rule}: target out of range ({expected})")]
    InvalidTarget {
        /// The rule.
        rule: ThresholdRule,
        /// The valid range.
        expected: &'static str,
    },
    /// Only a useless threshold meets the rule (it flags no anomaly, or every normal event).
    #[error("{rule} is unreachable: {detail}")]
    Unreachable {
        /// The rule.
        rule: ThresholdRule,
        /// What the data allows instead.
        detail: String,
    },
}

/// A chosen threshold with its confusion counts and rates (anomaly scores: alert when `score > threshold`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ThresholdChoice {
    /// The rule it satisfies (JSON: flattened into `rule` and `target`).
    #[serde(flatten)]
    pub rule: ThresholdRule,
    /// The anomaly-score threshold: alert when `−dot_product > threshold`.
    pub threshold: f64,
    /// TP / (TP + FP) at the threshold (1 when nothing is flagged).
    pub precision: f64,
    /// TP / (TP + FN): share of anomalies flagged.
    pub recall: f64,
    /// FP / (FP + TN): share of normal events flagged.
    pub false_positive_rate: f64,
    /// Anomalies flagged.
    pub true_positives: u64,
    /// Normal events flagged.
    pub false_positives: u64,
    /// Normal events passed.
    pub true_negatives: u64,
    /// Anomalies missed.
    pub false_negatives: u64,
}

impl ThresholdChoice {
    /// The same threshold on the `dot_product` scale: alert when `dot_product < dot_product_threshold()`.
    pub fn dot_product_threshold(&self) -> f64 {
        -self.threshold
    }

    fn new(rule: ThresholdRule, s: ThresholdStats) -> Self {
        ThresholdChoice {
            rule,
            threshold: s.threshold,
            precision: s.precision,
            recall: s.recall,
            false_positive_rate: s.false_positive_rate,
            true_positives: s.true_positives,
            false_positives: s.false_positives,
            true_negatives: s.true_negatives,
            false_negatives: s.false_negatives,
        }
    }
}

impl fmt::Display for ThresholdChoice {
    /// `recall ≥ 0.95: threshold 1.5 (alert when score = −dot_product > 1.5): precision 0.9500, …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: threshold {} (alert when score = −dot_product > {}): precision {:.4}, recall {:.4}, \
             false positive rate {:.4} (TP {}, FP {}, TN {}, FN {})",
            self.rule,
            self.threshold,
            self.threshold,
            self.precision,
            self.recall,
            self.false_positive_rate,
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives
        )
    }
}

/// Anomaly scores of normal and anomalous events, with their ROC curve and AUC, ready for choosing
/// thresholds and for plotting (ROC points, histograms).
#[derive(Clone, Debug)]
pub struct ThresholdAnalysis {
    normal: Vec<f32>,
    anomalous: Vec<f32>,
    auc: f64,
    roc: Vec<ThresholdStats>,
}

impl ThresholdAnalysis {
    /// From anomaly scores (`−dot_product`, higher = more anomalous). Both classes must be non-empty
    /// and every score finite.
    pub fn from_scores(normal: Vec<f32>, anomalous: Vec<f32>) -> Result<Self, ThresholdError> {
        for (class, scores) in [("normal", &normal), ("anomalous", &anomalous)] {
            if scores.is_empty() {
                return Err(ThresholdError::EmptyClass { class });
            }
            if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
                return Err(ThresholdError::NotFinite { class, index, value });
            }
        }
        let roc = roc_curve(&normal, &anomalous);
        Ok(ThresholdAnalysis { auc: auc(&anomalous, &normal), roc, normal, anomalous })
    }

    /// From `dot_product`s (higher = more normal), negated into anomaly scores.
    pub fn from_dot_products(normal: &[f32], anomalous: &[f32]) -> Result<Self, ThresholdError> {
        let neg = |v: &[f32]| v.iter().map(|s| -s).collect();
        Self::from_scores(neg(normal), neg(anomalous))
    }

    /// ROC AUC: probability that a random anomaly scores higher than a random normal event (ties ½).
    pub fn auc(&self) -> f64 {
        self.auc
    }

    /// The ROC curve: one point per distinct anomaly score, from flagging nothing (FPR 0) to flagging
    /// everything (FPR 1), thresholds decreasing (the engine's `roc_curve`).
    pub fn roc(&self) -> &[ThresholdStats] {
        &self.roc
    }

    /// Confusion counts and rates at an anomaly-score threshold.
    pub fn at(&self, threshold: f64) -> ThresholdStats {
        at_threshold(&self.normal, &self.anomalous, threshold)
    }

    /// Histograms of the normal and anomalous anomaly scores over one common range (same edges).
    pub fn histograms(&self, bins: usize) -> (Histogram, Histogram) {
        let all = self.normal.iter().chain(&self.anomalous).map(|&s| f64::from(s));
        let lo = all.clone().fold(f64::INFINITY, f64::min);
        let hi = all.fold(f64::NEG_INFINITY, f64::max);
        (histogram(&self.normal, bins, Some((lo, hi))), histogram(&self.anomalous, bins, Some((lo, hi))))
    }

    /// Anomaly scores of the normal events, in input order.
    pub fn normal_scores(&self) -> &[f32] {
        &self.normal
    }

    /// Anomaly scores of the anomalous events, in input order.
    pub fn anomalous_scores(&self) -> &[f32] {
        &self.anomalous
    }

    /// The threshold `rule` picks; deterministic, exact on the given scores.
    ///
    /// `MaxFalsePositiveRate(x)`: among operating points with FPR ≤ x, the highest recall, then the
    /// lowest FPR. `MinRecall(y)`: among points with recall ≥ y, the lowest FPR, then the highest recall.
    /// A rule met only by flagging no anomaly, or (for `MinRecall`) by flagging every normal event,
    /// is [`ThresholdError::Unreachable`].
    pub fn choose(&self, rule: ThresholdRule) -> Result<ThresholdChoice, ThresholdError> {
        let point = choose::operating_point(&self.roc, rule)?;
        let threshold = choose::threshold_for(&self.normal, &self.anomalous, point);
        let stats = self.at(threshold);
        debug_assert_eq!((stats.true_positives, stats.false_positives), (point.true_positives, point.false_positives));
        Ok(ThresholdChoice::new(rule, stats))
    }
}
