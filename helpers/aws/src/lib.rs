//! The AWS backend of the IP Insights workshop: S3 uploads and downloads, SageMaker training jobs and endpoints,
//! and SageMaker Runtime invocations, sending what the SageMaker Python SDK sends.
//!
//! Every public function is **synchronous** and plain data in, plain data out: each call builds its own Tokio
//! runtime and SDK clients, uses them and drops them before returning. Nothing async outlives a call, so the
//! functions work from any evcxr notebook cell (where runtimes kept across cells hang). Calling them from inside
//! an async runtime returns [`AwsError::InsideAsyncRuntime`] instead of panicking.
//!
//! Where calls go and who signs them is an [`AwsConfig`]: everything left `None` comes from the standard
//! `aws-config` chain (environment, profile files, SSO, `credential_process`, web identity, ECS, IMDS).
//! Credentials are never printed, not even by `Debug`.

#![warn(missing_docs)]

mod bucket;
mod config;
mod error;
mod hosting;
mod image;
mod invoke;
mod names;
mod runtime;
mod s3uri;
mod training;
mod transfer;
mod transitions;

pub use bucket::{check_bucket, is_valid_bucket_name, BucketCheck};
pub use config::{execution_role, resolve_region, AwsConfig, StaticCredentials, ROLE_ENV_VARS};
pub use error::{AwsError, ModelFailure, ServiceError};
pub use hosting::{
    delete_endpoint, deploy, describe_endpoint, wait_for_endpoint, DeletedEndpoint, DeploySpec, EndpointInfo,
};
pub use image::{image_uri, known_regions, ALGORITHM};
pub use invoke::{invoke_endpoint, MAX_REQUEST_BYTES};
pub use names::{format_utc, timestamped_name, training_job_name, validate_resource_name};
pub use s3uri::S3Uri;
pub use training::{
    create_training_job, describe_training_job, wait_for_training_job, JobStatus, StatusTransition, TrainingJobSpec,
    TrainingJobSummary,
};
pub use transfer::{download_file, upload_file, upload_file_with, TransferOptions, UploadSummary};
