//! The AWS backend of the IP Insights workshop: S3 uploads and downloads, SageMaker training jobs and endpoints,
//! and SageMaker Runtime invocations, sending what the SageMaker Python SDK sends.
//!
//! Every public function is **synchronous** and plain data in, plain data out. With a plain [`AwsConfig`] each call
//! builds its own Tokio runtime and SDK clients, uses them and drops them before returning. A session instead
//! connects its configuration once ([`AwsConfig::connect`]): the SDK configuration is resolved once (credentials
//! cached until they expire), and every call runs on the connection's own runtime with its clients, reusing open
//! connections. The connection lives inside the value that holds it (the workshop's backend, reached through a
//! trait object, so its code is always the copy that built it, whichever evcxr cell calls it). Calling from inside
//! an async runtime returns [`AwsError::InsideAsyncRuntime`] instead of panicking.
//!
//! Where calls go and who signs them is an [`AwsConfig`]: everything left `None` comes from the standard
//! `aws-config` chain (environment, profile files, SSO, `credential_process`, web identity, ECS, IMDS).
//! Credentials are never printed, not even by `Debug`. SageMaker's facts (image URIs, names and times, bucket and S3
//! URI rules, hyperparameters) come from `ipinsights-sagemaker-facts` and are re-exported here. The execution role is found
//! as the SDK's `get_execution_role()` finds it (see [`find_execution_role`]). The region comes from `aws-config`'s
//! own chain, as boto3 resolves it (see [`AwsConfig`]); [`caller_identity`] tells which region and account a
//! configuration reaches.
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//! use ipinsights_aws_calls::*;
//!
//! # fn main() -> Result<(), AwsError> {
//! let cfg = AwsConfig::default(); // or AwsConfig::local_emulator("http://127.0.0.1:5000") for moto
//! println!("{}", check_bucket(&cfg, "my-bucket", "ipinsights")?); // Training input/output will be stored in: …
//! upload_file(&cfg, "cloudtrail_tuples.csv".as_ref(), "s3://my-bucket/ipinsights/train/", &mut |_, _| {})?;
//! let job = name_from_base(ALGORITHM, SystemTime::now());
//! let hp = IpInsightsParams::new(20_000, 128).check().expect("valid hyperparameters");
//! let request = TrainingJobRequest::new(
//!     &job,
//!     &image_uri(&resolve_region(&cfg)?, ALGORITHM)?,
//!     &execution_role(&cfg)?,
//!     S3Uri::parse("s3://my-bucket/ipinsights/train/cloudtrail_tuples.csv")?,
//!     S3Uri::parse("s3://my-bucket/ipinsights/output")?,
//!     hp,
//! )
//! .check()?;
//! create_training_job(&cfg, &request)?;
//! // Status lines and the job's CloudWatch log as they come, like the SDK's `fit(logs=True)`.
//! let done = wait_for_training_job_with_logs(&cfg, &job, Duration::from_secs(5), &mut |s| print!("{s}"))?;
//! let model_data = S3Uri::parse(&done.model_artifact.unwrap_or_default())?;
//! let model = ModelRequest::new(&job, &request.image_uri, model_data, &request.role);
//! let endpoint = EndpointRequest { model, endpoint_name: job.clone(), initial_instance_count: 1, instance_type: "ml.m5.xlarge".into() };
//! deploy(&cfg, &endpoint.check()?, Duration::from_secs(30), &mut |s| print!("{s}"))?;
//! let scores = invoke_endpoint(&cfg, &job, b"user-1,1.2.3.4\n".to_vec(), "text/csv", "application/json")?;
//! delete_endpoint(&cfg, &job)?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod bucket;
mod config;
mod error;
mod hosting;
mod instances;
mod invoke;
mod logs;
mod quotas;
mod role;
mod runtime;
pub mod sdk;
mod tagged;
mod training;
mod transfer;
mod transform;
mod transitions;
mod trust;
mod wait;

pub use bucket::{check_bucket, BucketCheck};
pub use config::{
    caller_identity, resolve_region, AwsConfig, CallerIdentity, Connection, StaticCredentials, NOTEBOOK_METADATA_FILE,
    WAIT_MAX_ATTEMPTS,
};
pub use error::{AwsError, ModelFailure, ServiceError};
pub use hosting::{
    create_model, delete_endpoint, deploy, describe_endpoint, describe_hosted_endpoint, wait_for_endpoint,
    wait_for_endpoint_deleted, DeletedEndpoint, EndpointInfo, HostedEndpoint,
};
pub use invoke::{invoke_endpoint, MAX_REQUEST_BYTES};
pub use ipinsights_sagemaker_facts::utc::format_utc;
pub use ipinsights_sagemaker_facts::WORKSHOP_TAG_KEY;
pub use ipinsights_sagemaker_facts::{
    image_uri, is_valid_bucket_name, known_regions, name_from_base, validate_resource_name, Channel, Checked,
    ContentType, EndpointRequest, EndpointStatus, HyperParameters, ImageError, IpInsightsParams, ModelRequest,
    S3DataDistribution, S3Uri, ServerSideEncryption, TrainingJobRequest, TrainingJobStatus, TrainingOptions,
    TransformJobRequest, TransformJobStatus, TransformOptions, VpcConfig, ALGORITHM,
};
pub use logs::{TRAINING_LOG_GROUP, TRANSFORM_LOG_GROUP};
pub use quotas::{check_instance_quota, InstanceQuota, InstanceUse, SAGEMAKER_SERVICE_CODE};
pub use role::{
    caller_role_arn, execution_role, find_execution_role, role_arn_for_caller, ExecutionRole, RoleSource, ROLE_ENV_VARS,
};
pub use tagged::{list_tagged, remove, Removal, ResourceKind, ResourceStatus, TaggedResource};
pub use training::{create_training_job, describe_training_job, StatusTransition, TrainingJobSummary};
pub use transfer::{download_file, upload_file, upload_file_with, TransferOptions, UploadSummary};
pub use transform::{create_transform_job, describe_transform_job, wait_for_transform_job, TransformJobSummary};
pub use trust::{sagemaker_trust, SageMakerTrust, SAGEMAKER_PRINCIPAL};
pub use wait::{wait_for_training_job, wait_for_training_job_with_logs, STOPPED_WARNING};
