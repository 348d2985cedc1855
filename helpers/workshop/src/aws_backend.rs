//! The AWS backend (feature `aws`): the seam's operations on Amazon S3 and SageMaker through `ipinsights-aws`.
//!
//! It holds only its configuration (an [`AwsConfig`], the region, the polling interval): every call lets the AWS
//! crate build and drop its own runtime and clients, so nothing async survives between notebook cells.

use std::path::Path;
use std::time::Duration;

use ipinsights_aws::{AwsConfig, AwsError};
use ipinsights_sagemaker::{S3Uri, TrainingJobStatus};

use crate::backend::{
    Backend, BackendKind, DeployRequest, EndpointDescription, Output, TrainingJobDescription, TrainingJobRequest,
};
use crate::error::{Result, WorkshopError};

fn err(e: AwsError) -> WorkshopError {
    WorkshopError::new(e.to_string())
}

/// Amazon S3 and SageMaker, as configured.
#[derive(Debug, Clone)]
pub struct AwsBackend {
    config: AwsConfig,
    region: String,
    poll_interval: Duration,
}

impl AwsBackend {
    /// The backend for `config`, whose region must be set; training jobs and endpoints are polled every
    /// `poll_interval`.
    pub fn new(config: AwsConfig, poll_interval: Duration) -> Result<AwsBackend> {
        let region = config
            .region
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| WorkshopError::new("the AWS backend needs a region"))?;
        Ok(AwsBackend { config, region, poll_interval })
    }

    /// The backend the environment describes: region from `AWS_REGION` / `AWS_DEFAULT_REGION` (else us-east-1),
    /// `IPINSIGHTS_AWS_ENDPOINT_URL` for an AWS-protocol endpoint such as a moto server (with its test
    /// credentials), `IPINSIGHTS_POLL_SECONDS` for the polling interval (default 15).
    pub fn from_env() -> Result<AwsBackend> {
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into());
        let poll = std::env::var("IPINSIGHTS_POLL_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(15.0);
        let endpoint = std::env::var("IPINSIGHTS_AWS_ENDPOINT_URL").ok().filter(|u| !u.trim().is_empty());
        let mut config = match endpoint {
            Some(url) => AwsConfig::local_emulator(&url),
            None => AwsConfig::default(),
        };
        config.region = Some(region);
        AwsBackend::new(config, Duration::from_secs_f64(poll.clamp(0.01, 3600.0)))
    }

    /// Its AWS configuration.
    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    /// A finished job as the facade reads it.
    fn description(summary: ipinsights_aws::TrainingJobSummary) -> Result<TrainingJobDescription> {
        let status = match summary.status {
            ipinsights_aws::JobStatus::Completed => TrainingJobStatus::Completed,
            other => {
                return Err(WorkshopError::new(format!("training job {} ended {other}", summary.job_name)));
            }
        };
        Ok(TrainingJobDescription {
            job_name: summary.job_name,
            status,
            model_artifacts: summary.model_artifact,
            training_seconds: summary.training_seconds.unwrap_or(0).max(0).unsigned_abs(),
        })
    }
}

impl Backend for AwsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Aws
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn aws_config(&self) -> Option<&AwsConfig> {
        Some(&self.config)
    }

    fn execution_role(&self) -> Result<String> {
        ipinsights_aws::execution_role(&self.config).map_err(err)
    }

    fn check_bucket(&self, bucket: &str, _out: Output<'_>) -> Result<()> {
        ipinsights_aws::check_bucket(&self.config, bucket, "").map(|_| ()).map_err(err)
    }

    fn upload(&self, file: &Path, destination: &S3Uri, out: Output<'_>) -> Result<()> {
        let mut last = 0u64;
        let mut progress = |done: u64, total: u64| {
            if total > 64 << 20 && done * 10 / total.max(1) > last {
                last = done * 10 / total.max(1);
                out(&format!("uploaded {} of {} MiB\n", done >> 20, total >> 20));
            }
        };
        ipinsights_aws::upload_file(&self.config, file, &destination.to_string(), &mut progress)
            .map(|_| ())
            .map_err(err)
    }

    fn train(&self, request: &TrainingJobRequest, out: Output<'_>) -> Result<TrainingJobDescription> {
        let channel = |name: &str| request.channels.iter().find(|c| c.name == name);
        let train = channel("train").ok_or_else(|| WorkshopError::new("a training job needs a \"train\" channel"))?;
        let mut spec = ipinsights_aws::TrainingJobSpec::new(
            &request.job_name,
            &request.image_uri,
            &request.role,
            &train.s3_data.to_string(),
            request.output_path.to_string().trim_end_matches('/'),
            request.hyperparameters.clone(),
        );
        spec.validation_s3_uri = channel("validation").map(|c| c.s3_data.to_string());
        spec.instance_type = request.resources.instance_type.clone();
        spec.instance_count = request.resources.instance_count;
        ipinsights_aws::create_training_job(&self.config, &spec).map_err(err)?;
        let summary =
            ipinsights_aws::wait_for_training_job_with_logs(&self.config, &request.job_name, self.poll_interval, out)
                .map_err(err)?;
        Self::description(summary)
    }

    fn attach_training_job(&self, job_name: &str, out: Output<'_>) -> Result<TrainingJobDescription> {
        let summary = ipinsights_aws::wait_for_training_job_with_logs(&self.config, job_name, self.poll_interval, out)
            .map_err(err)?;
        Self::description(summary)
    }

    fn deploy(&self, request: &DeployRequest, out: Output<'_>) -> Result<EndpointDescription> {
        let spec = ipinsights_aws::DeploySpec {
            model_name: request.model_name.clone(),
            endpoint_name: request.endpoint_name.clone(),
            image: request.image_uri.clone(),
            model_data_url: request.model_data.to_string(),
            role_arn: request.role.clone(),
            instance_type: request.instance_type.clone(),
            instance_count: request.instance_count,
        };
        let info = ipinsights_aws::deploy(&self.config, &spec, self.poll_interval, out).map_err(err)?;
        Ok(EndpointDescription { endpoint_name: info.endpoint_name, status: info.status })
    }

    fn describe_endpoint(&self, endpoint_name: &str) -> Result<EndpointDescription> {
        let info = ipinsights_aws::describe_endpoint(&self.config, endpoint_name).map_err(err)?;
        Ok(EndpointDescription { endpoint_name: info.endpoint_name, status: info.status })
    }

    fn invoke(&self, endpoint_name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>> {
        ipinsights_aws::invoke_endpoint(&self.config, endpoint_name, body, content_type, accept).map_err(err)
    }

    fn delete_endpoint(&self, endpoint_name: &str) -> Result<()> {
        ipinsights_aws::delete_endpoint(&self.config, endpoint_name, true).map(|_| ()).map_err(err)
    }
}
