//! The seam between the notebook facade and the services behind it: one trait of plain-data operations, one
//! implementation per backend ([`crate::local::LocalBackend`], and `crate::aws_backend::AwsBackend` with the
//! `aws` feature).
//!
//! Invariants:
//! - the backend is chosen once, when a [`crate::Session`] is built; `Session`, `Estimator` and `Predictor` call
//!   this trait and never ask which backend they talk to, nor read a backend's files; what differs between the
//!   services is asked of the backend as a fact (e.g. [`Backend::ipv4_only`]), never by its kind;
//! - every argument and answer is plain data (names, S3 URIs, the checked requests of
//!   `ipinsights_sagemaker_facts::requests`, byte bodies): nothing
//!   async, no client, no runtime crosses the seam, so values kept in notebook variables stay valid across cells;
//! - what the user should see while an operation runs goes to its [`Output`], in the SDK's format; errors are
//!   returned, never printed;
//! - names are made by the facade (`ipinsights_sagemaker_facts::name_from_base`), so both backends name jobs and
//!   endpoints alike.

use std::fmt;
use std::path::Path;

use ipinsights_sagemaker_facts::{
    EndpointStatus, InstanceUse, S3Uri, ServerSideEncryption, TrainingJobStatus, TransformJobStatus,
};

use crate::cleanup::InstancePricing;
use crate::error::{Result, WorkshopError};

/// Where a backend writes what the user sees while an operation runs: text fragments, line breaks included (the
/// SDK's `-` and `!` progress marks are fragments without one).
pub type Output<'a> = &'a mut dyn FnMut(&str);

/// What reaching the AWS account itself takes (its CloudTrail and GuardDuty, the live detector's deployment): the
/// session's AWS configuration, so those calls reach the same account, region and endpoint. Only the AWS backend
/// lends one ([`Backend::account_access`]); in a build without the `aws` feature no value of it exists.
#[derive(Debug, Clone, Copy)]
pub struct AccountAccess<'a> {
    #[cfg(feature = "aws")]
    config: &'a ipinsights_aws_calls::AwsConfig,
    #[cfg(not(feature = "aws"))]
    never: std::convert::Infallible,
    #[cfg(not(feature = "aws"))]
    lifetime: std::marker::PhantomData<&'a ()>,
}

#[cfg(feature = "aws")]
impl<'a> AccountAccess<'a> {
    /// Access through this configuration.
    pub fn new(config: &'a ipinsights_aws_calls::AwsConfig) -> Self {
        AccountAccess { config }
    }

    /// The AWS configuration the account's calls use.
    pub fn aws_config(&self) -> &'a ipinsights_aws_calls::AwsConfig {
        self.config
    }
}

#[cfg(not(feature = "aws"))]
impl AccountAccess<'_> {
    /// Unreachable: no value exists without the `aws` feature.
    pub fn unreachable(&self) -> ! {
        let _ = self.lifetime;
        match self.never {}
    }
}

pub use ipinsights_sagemaker_facts::{Checked, EndpointRequest, ModelRequest, TrainingJobRequest, TransformJobRequest};

/// What DescribeTrainingJob says about a job that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingJobDescription {
    /// `TrainingJobName`.
    pub job_name: String,
    /// `TrainingJobStatus`: Completed, or Stopped (after the SDK v2's warning).
    pub status: TrainingJobStatus,
    /// `ModelArtifacts.S3ModelArtifacts` (a stopped job may have none).
    pub model_artifacts: Option<String>,
    /// `TrainingTimeInSeconds` over all instances.
    pub training_seconds: u64,
}

/// What DescribeEndpoint says about an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDescription {
    /// `EndpointName`.
    pub endpoint_name: String,
    /// `EndpointStatus`.
    pub status: EndpointStatus,
    /// The instance type it runs on, when known.
    pub instance_type: Option<String>,
    /// How many instances, when known.
    pub instance_count: Option<u32>,
}

pub use ipinsights_sagemaker_facts::tags::{Removal, ResourceKind};

/// A resource carrying the workshop's tag that is still there (what a sweep lists), on either backend.
pub type Leftover = ipinsights_sagemaker_facts::tags::TaggedResource;

/// What DescribeTransformJob says about a transform job that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformJobDescription {
    /// `TransformJobName`.
    pub job_name: String,
    /// `TransformJobStatus`: Completed, or Stopped (after the SDK v2's warning).
    pub status: TransformJobStatus,
    /// `TransformInput.DataSource.S3DataSource.S3Uri`.
    pub data: S3Uri,
    /// `TransformOutput.S3OutputPath`.
    pub output_path: S3Uri,
}

/// The operations the facade needs from a backend; see the module docs for the invariants.
pub trait Backend: fmt::Debug + Send + Sync {
    /// The backend's name in messages: `local` or `aws`.
    fn name(&self) -> &'static str;

    /// What its instances cost: nothing on this machine, SageMaker's on-demand prices on AWS.
    fn instance_pricing(&self) -> InstancePricing {
        InstancePricing::Free
    }

    /// What reaching the AWS account itself takes, when this backend can (the AWS backend); `None` otherwise.
    fn account_access(&self) -> Option<AccountAccess<'_>> {
        None
    }

    /// The region jobs and endpoints run in (the local backend answers `us-east-1`, for image URIs).
    fn region(&self) -> &str;

    /// The role jobs and models run with (`get_execution_role()`).
    fn execution_role(&self) -> Result<String>;

    /// Checks that `bucket` (already valid under S3's naming rules) exists and may be used; the error is the
    /// seed notebook's message.
    fn check_bucket(&self, bucket: &str, out: Output<'_>) -> Result<()>;

    /// Checks, before the first billable call of a job or endpoint, that `instance_type` can be used for `usage`
    /// where this backend runs (on AWS: SageMaker's quota in Service Quotas is above 0); what could not be checked
    /// goes to `out`. The local backend runs on this machine and accepts any type.
    fn check_instance_type(&self, _instance_type: &str, _usage: InstanceUse, _out: Output<'_>) -> Result<()> {
        Ok(())
    }

    /// Whether the service reads IPv4 addresses only (SageMaker's IP Insights): then IPv6 rows are dropped from
    /// uploads and IPv6 pairs are not sent for scoring. The local engine reads both families.
    fn ipv4_only(&self) -> bool {
        false
    }

    /// Copies a local file to `destination`, asking for server-side encryption when given (the local backend has
    /// nothing to encrypt with and ignores it).
    fn upload(
        &self,
        file: &Path,
        destination: &S3Uri,
        encryption: Option<&ServerSideEncryption>,
        out: Output<'_>,
    ) -> Result<()>;

    /// Copies the object `source` to the local file `file` (written atomically).
    fn download(&self, source: &S3Uri, file: &Path) -> Result<()>;

    /// Runs a training job to its end, printing its status lines and log like the SDK's `fit(logs=True)`; a job
    /// that does not complete is an error naming the job and the reason.
    fn train(&self, request: &Checked<TrainingJobRequest>, out: Output<'_>) -> Result<TrainingJobDescription>;

    /// Waits for an existing training job to end (printing like `train`) and describes it (`Estimator.attach`).
    fn attach_training_job(&self, job_name: &str, out: Output<'_>) -> Result<TrainingJobDescription>;

    /// Creates a model (CreateModel) for batch transform; the local backend keeps no models (its transform jobs
    /// read the artifact named in their request) and does nothing.
    fn create_model(&self, request: &Checked<ModelRequest>) -> Result<()>;

    /// Creates an endpoint serving a model and waits until it is in service, printing `-` per status check and
    /// `!` (or `*` on failure), then a line break.
    fn deploy(&self, request: &Checked<EndpointRequest>, out: Output<'_>) -> Result<EndpointDescription>;

    /// Describes an existing endpoint; one that does not exist is an error.
    fn describe_endpoint(&self, endpoint_name: &str) -> Result<EndpointDescription>;

    /// Describes an endpoint if it exists (`None` when it does not).
    fn find_endpoint(&self, endpoint_name: &str) -> Result<Option<EndpointDescription>>;

    /// Waits until an existing endpoint is in service (one still being created is waited for, printing like
    /// `deploy`), and describes it: how a new cell (or a new kernel) picks up an endpoint.
    fn attach_endpoint(&self, endpoint_name: &str, out: Output<'_>) -> Result<EndpointDescription>;

    /// Waits until a deleted endpoint is gone, so that its name can be used again (SageMaker deletes endpoints
    /// asynchronously; the local backend at once).
    fn wait_endpoint_deleted(&self, endpoint_name: &str, out: Output<'_>) -> Result<()> {
        let _ = (endpoint_name, out);
        Ok(())
    }

    /// Every resource carrying the workshop's tag (any session's) that is still there: endpoints, endpoint
    /// configs, models, and jobs still running.
    fn leftovers(&self) -> Result<Vec<Leftover>>;

    /// Deletes a resource (an endpoint with its endpoint config and model) or stops a running job.
    fn remove(&self, kind: ResourceKind, name: &str) -> Result<Removal>;

    /// One InvokeEndpoint call: one body in, one body out (splitting and concurrency are the caller's).
    fn invoke(&self, endpoint_name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>>;

    /// Deletes an endpoint with its configuration and model; one that does not exist is an error.
    fn delete_endpoint(&self, endpoint_name: &str) -> Result<()>;

    /// Runs a batch transform job to its end (`transformer.transform(...)` then `wait()`), printing its progress
    /// and log; a job that fails is an error naming the job and the reason.
    fn transform(&self, request: &Checked<TransformJobRequest>, out: Output<'_>) -> Result<TransformJobDescription>;

    /// Waits for an existing transform job to end and describes it (`Transformer.attach`).
    fn attach_transform_job(&self, job_name: &str, out: Output<'_>) -> Result<TransformJobDescription> {
        let _ = out;
        Err(WorkshopError::unsupported(format!(
            "transform job {job_name}: the {} backend runs transform jobs inside the cell that starts them, so there \
             is nothing to attach to",
            self.name()
        )))
    }
}
