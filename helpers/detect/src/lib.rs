//! IP Insights for security findings: choose an alert threshold, index the principals' usual
//! networks, and score GuardDuty findings live (CLI, or an AWS Lambda function with feature `lambda`).
//!
//! **Score conventions.** Scorers return SageMaker's `dot_product` (higher = more normal). Thresholds
//! and the `score` of detection records are the tutorial's anomaly score `score = −dot_product`
//! (higher = more anomalous); an event is flagged when `score > threshold`, as in
//! `ipinsights_engine::metrics`.
//!
//! Pieces: [`threshold`] (ROC, AUC, rules `MaxFalsePositiveRate` / `MinRecall`), [`anomalies`]
//! (simulated anomalies for threshold choice), [`attacks`] (attacks of several kinds to grade it), [`familiarity`] (usual networks per principal),
//! [`scorer`] (model in-process or endpoint over HTTP), [`detector`] (findings → records) and
//! [`lambda`] (environment configuration and the Lambda handler).

#![warn(missing_docs)]

pub mod anomalies;
pub mod attacks;
pub mod detector;
mod error;
pub mod familiarity;
pub mod lambda;
pub mod scorer;
pub mod threshold;

pub use anomalies::{
    random_ip_anomalies, random_ip_anomaly_pairs, AnomalyError, MAX_ENTITY_BYTES, MAX_RANDOM_ANOMALIES,
};
pub use attacks::{simulate_attacks, AttackKind, Attacks, CLOUD_AND_VPN_RANGES};
pub use detector::{DetectSummary, Detection, Detector, Explanation, RemoteNetwork, Verdict};
pub use error::{DetectError, Result};
pub use familiarity::{FamiliarNetwork, Familiarity, FamiliarityReport};
pub use scorer::Scorer;
pub use threshold::{ThresholdAnalysis, ThresholdChoice, ThresholdError, ThresholdRule};
