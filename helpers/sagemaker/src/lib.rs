//! SageMaker's facts, in one place and without the AWS SDK: what both backends, the engine and the notebook
//! facade must agree on.
//!
//! - [`image`]: the IP Insights algorithm image URI of every region and partition;
//! - [`names`] and [`utc`]: resource names with the SDK's timestamps (`ipinsights-YYYY-MM-DD-HH-MM-SS-mmm`), name
//!   rules, and the UTC times SageMaker's status lines print;
//! - [`s3`]: S3's bucket naming rules and `s3://bucket/key` URIs;
//! - [`hyperparameters`]: the ten IP Insights hyperparameters (names, ranges, defaults, the R + S constraint and
//!   the model-size limit), checked once into the only type training accepts;
//! - [`status`]: the statuses of a training job;
//! - [`limits`]: service limits the rest of the project checks against.
//!
//! Invariants: every fact has exactly one definition here, and nothing here performs I/O; other crates re-export
//! or call these items instead of restating them.

pub mod hyperparameters;
pub mod image;
pub mod limits;
pub mod names;
pub mod s3;
pub mod status;
pub mod utc;

pub use hyperparameters::{HyperParameterError, HyperParameterValues, HyperParameters, IpInsightsParams};
pub use image::{image_uri, known_regions, ImageError, ALGORITHM};
pub use names::{base_name_from_image, name_from_base, validate_resource_name, NameError, MAX_NAME_LEN};
pub use s3::{check_bucket_name, is_valid_bucket_name, BucketNameError, S3Uri, S3UriError};
pub use status::TrainingJobStatus;
