//! SageMaker's facts, in one place and without the AWS SDK: what both backends, the engine and the notebook
//! facade must agree on.
//!
//! - [`image`]: the IP Insights algorithm image URI of every region and partition;
//! - [`names`] and [`utc`]: resource names with the SDK's timestamps (`ipinsights-YYYY-MM-DD-HH-MM-SS-mmm`), name
//!   rules, and the UTC times SageMaker's status lines print;
//! - [`s3`]: S3's bucket naming rules and `s3://bucket/key` URIs;
//! - [`hyperparameters`]: the ten IP Insights hyperparameters (names, ranges, defaults, the R + S constraint and
//!   the model-size limit), checked once into the only type training accepts;
//! - [`requests`]: one request type per SageMaker operation (training job, model, endpoint, transform job),
//!   checked once, which both backends take;
//! - [`values`]: the values request options take (distribution, content type, split type, …) as enums;
//! - [`status`]: the statuses of training jobs, transform jobs and endpoints;
//! - [`tags`]: the tag every resource the workshop creates carries;
//! - [`limits`]: service limits the rest of the project checks against, and IP Insights' IPv4-only rule;
//! - [`training`]: the rules of request options (tags, VPC, spot, KMS keys);
//! - [`transform`]: batch transform's output objects.
//!
//! Invariants: every fact has exactly one definition here, and nothing here performs I/O; other crates re-export
//! or call these items instead of restating them.

pub mod hyperparameters;
pub mod image;
pub mod instances;
pub mod limits;
pub mod names;
pub mod requests;
pub mod s3;
pub mod status;
pub mod tags;
pub mod training;
pub mod transform;
pub mod utc;
pub mod values;

pub use hyperparameters::{HyperParameterError, HyperParameterValues, HyperParameters, IpInsightsParams};
pub use image::{image_uri, known_regions, ImageError, ALGORITHM};
pub use instances::InstanceUse;
pub use limits::{ipv6_notation, sagemaker_reads, IPV4_ONLY};
pub use names::{base_name_from_image, name_from_base, validate_resource_name, NameError, MAX_NAME_LEN};
pub use requests::{
    Channel, Checked, EndpointRequest, ModelRequest, TrainingJobRequest, TrainingOptions, TransformJobRequest,
    TransformOptions, VpcConfig,
};
pub use s3::{check_bucket_name, is_valid_bucket_name, BucketNameError, S3Uri, S3UriError, ServerSideEncryption};
pub use status::{EndpointStatus, TrainingJobStatus, TransformJobStatus};
pub use tags::{Removal, ResourceKind, ResourceStatus, TaggedResource, WORKSHOP_TAG_KEY};
pub use training::OptionError;
pub use values::{AssemblyType, BatchStrategy, ContentType, S3DataDistribution, SplitType, ValueError};
