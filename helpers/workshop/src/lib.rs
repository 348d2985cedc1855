//! The notebook facade of the IP Insights workshop: what the workshop's cells call.
//!
//! Names follow the SageMaker Python SDK (`Session`, `Estimator`, `TrainingInput`, `fit`, `attach`, `deploy`,
//! `Predictor`, `predict`, `delete_endpoint`, `transformer`, `Transformer`, `transform`, `wait`). Every call is synchronous and every value a notebook keeps is plain
//! data, because the evcxr kernel loads a fresh copy of this crate into each cell (no global state or async
//! runtime survives between cells). Errors are one clear line.
//!
//! The shape (see [`backend`] for the seam's invariants):
//!
//! ```text
//! Session ── Arc<dyn Backend> ──┬─ local::LocalBackend: folders as buckets; `ipinsights train` / `serve`
//!   ▲                           │    processes driven through the process contract (ipinsights-contract)
//! Estimator, Predictor,         └─ aws_backend::AwsBackend (feature `aws`): S3 and SageMaker via ipinsights-aws-calls
//! Transformer
//! ```
//!
//! The backend is chosen once, when the `Session` is built; SageMaker's facts (image URIs, names, bucket and S3
//! rules, hyperparameters) come from `ipinsights-sagemaker-facts`. Scores are `dot_product` (higher = more normal)
//! unless a name says `anomaly score` (= −dot_product).

#[cfg(feature = "aws")]
pub mod aws_backend;

pub mod account;
pub mod attacks;
pub mod backend;
pub mod cleanup;
pub mod data;
pub mod detection;
pub mod error;
pub mod estimator;
pub mod figure;
pub mod ipv4_rows;
pub mod local;
pub mod plot;
#[cfg(feature = "png")]
mod png;
pub mod predictor;
pub mod scores;
pub mod session;
pub mod table;
pub mod transformer;
pub mod tutorial;

pub use backend::Backend;
pub use cleanup::Leftovers;
pub use error::{ErrorKind, Missing, Result, WorkshopError};
pub use estimator::{Estimator, TrainingInput, TrainingJob};
pub use ipinsights_sagemaker_facts::ServerSideEncryption;
pub use ipinsights_sagemaker_facts::{image_uri, HyperParameters, IpInsightsParams};
pub use predictor::{Deserializer, NotScorable, PairEmbeddings, Predictions, Predictor, RowResult, Serializer};
pub use session::Session;
pub use table::Table;
pub use transformer::{TransformJob, Transformer};

/// Everything a notebook cell needs, in one `use`.
pub mod prelude {
    pub use crate::account;
    pub use crate::attacks::{simulate_attacks, AttackGrades};
    pub use crate::data::{distinct_principals, split_by_time, AsPair};
    pub use crate::detection::{detections_table, Detections, FindingDetector};
    pub use crate::plot::{
        histogram_figure, overlaid_histograms, roc_figure, Color, Figure, Marker, Series, BLUE, GREEN, ORANGE, PURPLE,
        RED,
    };
    pub use crate::scores::{anomaly_scores, compare, count_equal, ScoreSummary};
    pub use crate::tutorial::{dot, synthetic_logins, Stopwatch};
    pub use crate::{
        image_uri, Deserializer, ErrorKind, Estimator, IpInsightsParams, Missing, Predictions, Predictor, Serializer,
        ServerSideEncryption, Session, Table, TrainingInput, Transformer,
    };
    pub use ipinsights_detect as detect;
    pub use ipinsights_detect::{Detector, Familiarity, ThresholdAnalysis, ThresholdRule, Verdict};
    pub use ipinsights_engine as engine;
    pub use ipinsights_sagemaker_facts::InstanceUse;
    pub use ipinsights_security_logs as security_logs;
    pub use ipinsights_simulated_account as simulated_account;
}
