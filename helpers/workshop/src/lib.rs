//! The notebook facade of the IP Insights workshop: what the workshop's cells call.
//!
//! Names follow the SageMaker Python SDK (`Session`, `Estimator`, `TrainingInput`, `fit`, `deploy`, `Predictor`,
//! `predict`, `delete_endpoint`). Every call is synchronous and builds what it needs, and every value a notebook
//! keeps is plain data, because the evcxr kernel loads a fresh copy of this crate into each cell (no global state
//! or async runtime survives between cells). Errors are one clear line.
//!
//! Scores are `dot_product` (higher = more normal) unless a name says `anomaly score` (= −dot_product).

/// Evaluates to `$e` with the `aws` feature, and to an error saying how to enable it without.
macro_rules! with_aws {
    ($e:expr) => {{
        #[cfg(feature = "aws")]
        {
            $e
        }
        #[cfg(not(feature = "aws"))]
        {
            Err($crate::error::WorkshopError::new(
                "this build has no AWS backend: load the helper crate with features = [\"aws\"] (see README, \"Switching to AWS\")",
            ))
        }
    }};
}

#[cfg(feature = "aws")]
pub mod aws_backend;

pub mod clock;
pub mod data;
pub mod detection;
pub mod error;
pub mod estimator;
pub mod figure;
pub mod images;
pub mod local;
pub mod plot;
#[cfg(feature = "png")]
mod png;
pub mod predictor;
pub mod scores;
pub mod session;
pub mod table;

pub use error::{Result, WorkshopError};
pub use estimator::{Estimator, TrainingInput, TrainingJob};
pub use images::image_uri;
pub use predictor::{Deserializer, Predictions, Predictor, Serializer};
pub use session::{Backend, Session};
pub use table::Table;

/// Everything a notebook cell needs, in one `use`.
pub mod prelude {
    pub use crate::data::{pairs, split_by_time, AsPair};
    pub use crate::detection::detections_table;
    pub use crate::plot::{
        histogram_figure, overlaid_histograms, roc_figure, Color, Figure, Marker, Series, BLUE, GREEN, ORANGE, PURPLE,
        RED,
    };
    pub use crate::scores::{anomaly_scores, compare, ScoreSummary};
    pub use crate::{
        image_uri, Backend, Deserializer, Estimator, Predictions, Predictor, Serializer, Session, Table, TrainingInput,
    };
    pub use ipinsights_detect as detect;
    pub use ipinsights_detect::{Detector, Familiarity, ThresholdAnalysis, ThresholdRule, Verdict};
    pub use ipinsights_engine as engine;
    pub use ipinsights_security as security;
}
