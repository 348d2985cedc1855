//! IP Insights, the local engine: a faithful, fast implementation of Amazon SageMaker's IP Insights algorithm.
//!
//! Pieces: [`hyperparams`] (SageMaker's names, ranges and defaults, from `ipinsights-sagemaker-facts`), [`hash`] and [`ip`] (how entities and
//! addresses become table rows), [`model`] (the encoder and the `dot_product` score), [`train`] (the training job
//! with SageMaker-format logs), [`model_file`] (the artifact), [`tuples`] (tuple CSV files), [`metrics`] (AUC, ROC,
//! thresholds, histograms) and [`synth`] (the tutorial-style synthetic data set).

mod adam;
/// The one atomic file writer (its own crate, so the AWS crate writes downloads with it too).
pub use ipinsights_atomic_file as atomic;
pub mod hash;
pub mod hyperparams;
pub mod ip;
pub mod linalg;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod parallel;
pub mod synth;
pub mod train;
pub mod tuples;

pub use hyperparams::{HyperParameterError, HyperParameters, IpInsightsParams};
pub use model::Model;
pub use model_file::ModelFileError;
pub use train::{train, EpochMetrics, TrainEvent, TrainOptions, TrainOutcome};
pub use tuples::{read_tuples, ReadOptions, Tuple, TupleFile};
