//! The seam between the notebook facade and the services behind it: one trait of plain-data operations, one
//! implementation per backend ([`crate::local::LocalBackend`], and `crate::aws_backend::AwsBackend` with the
//! `aws` feature).
//!
//! Invariants:
//! - the backend is chosen once, when a [`crate::Session`] is built; `Session`, `Estimator` and `Predictor` call
//!   this trait and never ask which backend they talk to, nor read a backend's files;
//! - every argument and answer is plain data (names, S3 URIs, checked hyperparameters, byte bodies): nothing
//!   async, no client, no runtime crosses the seam, so values kept in notebook variables stay valid across cells;
//! - what the user should see while an operation runs goes to its [`Output`], in the SDK's format; errors are
//!   returned, never printed;
//! - names are made by the facade (`ipinsights_sagemaker::name_from_base`), so both backends name jobs and
//!   endpoints alike.

use std::fmt;
use std::path::Path;

use ipinsights_sagemaker::{HyperParameters, S3Uri, TrainingJobStatus};

use crate::error::{Result, WorkshopError};

/// Where a backend writes what the user sees while an operation runs: text fragments, line breaks included (the
/// SDK's `-` and `!` progress marks are fragments without one).
pub type Output<'a> = &'a mut dyn FnMut(&str);

/// Which services a session talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Everything on this machine (no AWS account needed).
    Local,
    /// Amazon S3 and SageMaker.
    Aws,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Local => "local",
            BackendKind::Aws => "aws",
        })
    }
}

/// A training channel as CreateTrainingJob takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// `train` or `validation`.
    pub name: String,
    /// The data: an object or a prefix.
    pub s3_data: S3Uri,
    /// `FullyReplicated` or `ShardedByS3Key`.
    pub distribution: String,
    /// `text/csv`.
    pub content_type: String,
}

/// The compute a training job runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingResources {
    /// `instance_count`.
    pub instance_count: u32,
    /// `instance_type`, e.g. `ml.m4.xlarge`.
    pub instance_type: String,
}

/// A training job to run (CreateTrainingJob).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingJobRequest {
    /// The job's name (`ipinsights-YYYY-MM-DD-HH-MM-SS-mmm`).
    pub job_name: String,
    /// The algorithm image.
    pub image_uri: String,
    /// The execution role.
    pub role: String,
    /// The channels, `train` first.
    pub channels: Vec<Channel>,
    /// Where the job writes `{job_name}/output/model.tar.gz`.
    pub output_path: S3Uri,
    /// The instances.
    pub resources: TrainingResources,
    /// The hyperparameters (checked).
    pub hyperparameters: HyperParameters,
}

/// What DescribeTrainingJob says about a job that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingJobDescription {
    /// `TrainingJobName`.
    pub job_name: String,
    /// `TrainingJobStatus`.
    pub status: TrainingJobStatus,
    /// `ModelArtifacts.S3ModelArtifacts`.
    pub model_artifacts: Option<String>,
    /// `TrainingTimeInSeconds` over all instances.
    pub training_seconds: u64,
}

/// A model to host on a new endpoint (CreateModel, CreateEndpointConfig, CreateEndpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    /// The model's name.
    pub model_name: String,
    /// The endpoint's (and its configuration's) name.
    pub endpoint_name: String,
    /// The inference image.
    pub image_uri: String,
    /// The model artifact, `s3://…/model.tar.gz`.
    pub model_data: S3Uri,
    /// The execution role.
    pub role: String,
    /// `initial_instance_count`.
    pub instance_count: u32,
    /// `instance_type`.
    pub instance_type: String,
}

/// What DescribeEndpoint says about an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDescription {
    /// `EndpointName`.
    pub endpoint_name: String,
    /// `EndpointStatus`, e.g. `InService`.
    pub status: String,
}

/// A batch transform job (CreateTransformJob, `transformer.transform(...)`): the slot issue 12 fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformRequest {
    /// The job's name.
    pub job_name: String,
    /// The model to run (`{model}` of CreateModel, or the artifact it was made from).
    pub model_data: S3Uri,
    /// The inference image.
    pub image_uri: String,
    /// The execution role.
    pub role: String,
    /// The input object or prefix (`data`).
    pub data: S3Uri,
    /// The input's content type (`content_type`, e.g. `text/csv`).
    pub content_type: String,
    /// How records are split (`split_type`, e.g. `Line`).
    pub split_type: String,
    /// Where `{input}.out` objects are written (`output_path`).
    pub output_path: S3Uri,
    /// The answers' content type (`accept`).
    pub accept: String,
    /// `instance_count`.
    pub instance_count: u32,
    /// `instance_type`.
    pub instance_type: String,
}

/// What DescribeTransformJob says about a transform job that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformJobDescription {
    /// `TransformJobName`.
    pub job_name: String,
    /// `TransformOutput.S3OutputPath`.
    pub output_path: S3Uri,
}

/// The operations the facade needs from a backend; see the module docs for the invariants.
pub trait Backend: fmt::Debug + Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// The region jobs and endpoints run in (the local backend answers `us-east-1`, for image URIs).
    fn region(&self) -> &str;

    /// The role jobs and models run with (`get_execution_role()`).
    fn execution_role(&self) -> Result<String>;

    /// Checks that `bucket` (already valid under S3's naming rules) exists and may be used; the error is the
    /// seed notebook's message.
    fn check_bucket(&self, bucket: &str, out: Output<'_>) -> Result<()>;

    /// Copies a local file to `destination`.
    fn upload(&self, file: &Path, destination: &S3Uri, out: Output<'_>) -> Result<()>;

    /// Runs a training job to its end, printing its status lines and log like the SDK's `fit(logs=True)`; a job
    /// that does not complete is an error naming the job and the reason.
    fn train(&self, request: &TrainingJobRequest, out: Output<'_>) -> Result<TrainingJobDescription>;

    /// Waits for an existing training job to end (printing like `train`) and describes it (`Estimator.attach`).
    fn attach_training_job(&self, job_name: &str, out: Output<'_>) -> Result<TrainingJobDescription>;

    /// Creates an endpoint serving a model and waits until it is in service, printing `-` per status check and
    /// `!` (or `*` on failure), then a line break.
    fn deploy(&self, request: &DeployRequest, out: Output<'_>) -> Result<EndpointDescription>;

    /// Describes an existing endpoint; one that does not exist is an error.
    fn describe_endpoint(&self, endpoint_name: &str) -> Result<EndpointDescription>;

    /// One InvokeEndpoint call: one body in, one body out (splitting and concurrency are the caller's).
    fn invoke(&self, endpoint_name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>>;

    /// Deletes an endpoint with its configuration and model; one that does not exist is an error.
    fn delete_endpoint(&self, endpoint_name: &str) -> Result<()>;

    /// The AWS configuration this backend calls with (the AWS backend only): what the account's own data and the
    /// live detector's deployment use, so they reach the same account, region and endpoint as the session.
    #[cfg(feature = "aws")]
    fn aws_config(&self) -> Option<&ipinsights_aws::AwsConfig> {
        None
    }

    /// Runs a batch transform job to its end (`transformer.transform(...)` then `wait()`).
    fn transform(&self, request: &TransformRequest, out: Output<'_>) -> Result<TransformJobDescription> {
        let _ = (request, out);
        Err(WorkshopError::new(format!("batch transform is not available on the {} backend yet", self.kind())))
    }
}
