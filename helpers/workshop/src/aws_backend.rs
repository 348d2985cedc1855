//! The AWS backend (feature `aws`): the seam's operations on Amazon S3 and SageMaker through `ipinsights-aws-calls`.
//!
//! It holds its configuration (an [`AwsConfig`], the region, the polling interval) and that configuration connected
//! once ([`AwsConfig::connect`]): the SDK configuration resolved once, one client per service and the runtime they
//! run on, reused by every call of the session (every 6 MiB InvokeEndpoint request, every poll). Only this
//! backend's own methods use the connection, and they are reached through the session's `dyn Backend`, so the code
//! that runs is always the copy of this crate that built it, whichever evcxr cell calls. A call refused for its
//! credentials (expired, say) drops the connection: the next call resolves them again, so `aws sso login` (or new
//! keys) and a rerun of the cell, or `Predictor::attach`, carry on in the same session.
//!
//! SageMaker's IP Insights reads IPv4 addresses only ([`Backend::ipv4_only`]): uploads of `.csv` files leave out
//! the rows whose address is IPv6, with one line saying how many and why (see [`crate::ipv4_rows`]), and the
//! predictor never sends IPv6 pairs.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipinsights_aws_calls::{AwsConfig, AwsError, CallerIdentity, InstanceQuota, InstanceUse, TransferOptions};
use ipinsights_sagemaker_facts::{
    S3Uri, ServerSideEncryption, TrainingJobStatus, TransformJobStatus, WORKSHOP_TAG_KEY,
};

use crate::backend::{
    AccountAccess, Backend, Checked, EndpointDescription, EndpointRequest, Leftover, ModelRequest, Output, Removal,
    ResourceKind, TrainingJobDescription, TrainingJobRequest, TransformJobDescription, TransformJobRequest,
};
use crate::cleanup::InstancePricing;
use crate::error::{ErrorKind, Missing, Result, WorkshopError};
use crate::ipv4_rows::{is_csv, without_ipv6_rows};

/// A failed AWS call as the facade's error: the kind it shares with the local backend's errors, its line, and the
/// `AwsError` itself kept as the source ([`WorkshopError::aws_error`]).
fn err(e: AwsError) -> WorkshopError {
    WorkshopError::from(e)
}

impl From<AwsError> for WorkshopError {
    fn from(e: AwsError) -> Self {
        WorkshopError::of(kind_of(&e), e.to_string()).caused_by(e)
    }
}

/// The facade's kind of an AWS error.
pub(crate) fn kind_of(e: &AwsError) -> ErrorKind {
    match e {
        AwsError::InvalidBucketName { .. }
        | AwsError::InvalidRoleArn { .. }
        | AwsError::InvalidS3Uri { .. }
        | AwsError::InvalidInput(_)
        | AwsError::InstanceTypeUnavailable { .. }
        | AwsError::Image(_) => ErrorKind::Validation,
        AwsError::BucketNotFound { bucket } => ErrorKind::NotFound { what: Missing::Bucket, name: bucket.clone() },
        AwsError::EndpointNotFound { endpoint_name, .. } => {
            ErrorKind::NotFound { what: Missing::Endpoint, name: endpoint_name.clone() }
        }
        AwsError::TrainingJobFailed { job_name, status: TrainingJobStatus::Stopped, .. }
        | AwsError::TransformJobFailed { job_name, status: TransformJobStatus::Stopped, .. } => {
            ErrorKind::Stopped { name: job_name.clone() }
        }
        AwsError::TrainingJobFailed { job_name, reason, .. }
        | AwsError::TransformJobFailed { job_name, reason, .. } => {
            ErrorKind::JobFailed { job_name: job_name.clone(), reason: reason.clone() }
        }
        AwsError::EndpointFailed { endpoint_name, reason, .. } => {
            ErrorKind::EndpointFailed { endpoint_name: endpoint_name.clone(), reason: reason.clone() }
        }
        AwsError::Io { path, .. } => ErrorKind::Io { path: Some(path.clone()) },
        e if e.is_throttling() => ErrorKind::Throttled,
        e if e.service_code() == Some("ValidationException") => ErrorKind::Validation,
        _ => ErrorKind::Aws,
    }
}

/// Amazon S3 and SageMaker, as configured.
#[derive(Debug, Clone)]
pub struct AwsBackend {
    config: AwsConfig,
    /// `config` connected, made again after a call was refused for its credentials.
    connection: Arc<Mutex<Option<AwsConfig>>>,
    region: String,
    poll_interval: Duration,
    /// Whether a failed quota listing was already reported (it is said once per session).
    quota_check_noted: Arc<AtomicBool>,
}

impl AwsBackend {
    /// The backend for `config`; its region is the configured one, else what the standard chain resolves
    /// (`AWS_REGION`, the profile's `region`, instance metadata). Training jobs and endpoints are polled every
    /// `poll_interval`.
    pub fn new(config: AwsConfig, poll_interval: Duration) -> Result<AwsBackend> {
        let config = config.unconnected();
        let connected = config.connect().map_err(err)?;
        let region = ipinsights_aws_calls::resolve_region(&connected).map_err(err)?;
        Ok(AwsBackend {
            config,
            connection: Arc::new(Mutex::new(Some(connected))),
            region,
            poll_interval,
            quota_check_noted: Arc::default(),
        })
    }

    /// The connected configuration every call uses (connected again after a credentials error).
    fn cfg(&self) -> Result<AwsConfig> {
        let mut connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(connected) = connection.as_ref() {
            return Ok(connected.clone());
        }
        let connected = self.config.connect().map_err(err)?;
        *connection = Some(connected.clone());
        Ok(connected)
    }

    /// A failed call as the facade's error; a refused credential also drops the connection, so the next call
    /// resolves credentials again (after `aws sso login`, say).
    fn err(&self, e: AwsError) -> WorkshopError {
        if e.is_credentials_error() {
            *self.connection.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        err(e)
    }

    /// Whether this backend holds a connection now (it drops it after a call refused for its credentials, until
    /// the next call).
    pub fn is_connected(&self) -> bool {
        self.connection.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The backend the environment describes: region, profile and credentials from the standard AWS chains
    /// exactly as boto3 resolves them (`AWS_REGION` / `AWS_DEFAULT_REGION`, then `region` of the profile named by
    /// `AWS_PROFILE` in `AWS_CONFIG_FILE` or `~/.aws/config`, then instance metadata);
    /// `IPINSIGHTS_AWS_ENDPOINT_URL` for an AWS-protocol endpoint such as a moto server (path-style S3);
    /// `IPINSIGHTS_POLL_SECONDS` for the polling interval (default 15).
    pub fn from_env() -> Result<AwsBackend> {
        let poll = std::env::var("IPINSIGHTS_POLL_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(15.0);
        let mut config = AwsConfig::default();
        if let Some(url) = std::env::var("IPINSIGHTS_AWS_ENDPOINT_URL").ok().filter(|u| !u.trim().is_empty()) {
            config.endpoint_url = Some(url);
            config.force_path_style = true;
        }
        AwsBackend::new(config, Duration::from_secs_f64(poll.clamp(0.01, 3600.0)))
    }

    /// Its AWS configuration (not connected: for code that runs its own runtime, like the account crate).
    pub fn config(&self) -> &AwsConfig {
        &self.config
    }

    /// The region and the account this backend reaches (STS GetCallerIdentity).
    pub fn identity(&self) -> Result<CallerIdentity> {
        ipinsights_aws_calls::caller_identity(&self.cfg()?).map_err(|e| {
            let message = format!(
                "cannot tell which AWS account this session uses ({e}): check your credentials (AWS_PROFILE, \
                 `aws sso login`, or the environment's keys)"
            );
            WorkshopError::of(kind_of(&e), message).caused_by(e)
        })
    }

    /// A finished training job as the facade reads it: Completed, or Stopped (the waiter printed the SDK's
    /// warning; its model may be there).
    fn description(summary: ipinsights_aws_calls::TrainingJobSummary) -> Result<TrainingJobDescription> {
        if !matches!(summary.status, TrainingJobStatus::Completed | TrainingJobStatus::Stopped) {
            return Err(WorkshopError::new(format!("training job {} ended {}", summary.job_name, summary.status)));
        }
        Ok(TrainingJobDescription {
            job_name: summary.job_name,
            status: summary.status,
            model_artifacts: summary.model_artifact,
            training_seconds: summary.training_seconds.unwrap_or(0).max(0).unsigned_abs(),
        })
    }

    /// A finished transform job as the facade reads it.
    fn transform_description(summary: ipinsights_aws_calls::TransformJobSummary) -> Result<TransformJobDescription> {
        if !matches!(summary.status, TransformJobStatus::Completed | TransformJobStatus::Stopped) {
            return Err(WorkshopError::new(format!("transform job {} ended {}", summary.job_name, summary.status)));
        }
        Ok(TransformJobDescription {
            job_name: summary.job_name,
            status: summary.status,
            data: S3Uri::parse(&summary.data_s3_uri)?,
            output_path: S3Uri::parse(&summary.output_path)?,
        })
    }
}

impl Backend for AwsBackend {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn instance_pricing(&self) -> InstancePricing {
        InstancePricing::SageMakerOnDemand
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn account_access(&self) -> Option<AccountAccess<'_>> {
        Some(AccountAccess::new(&self.config))
    }

    fn ipv4_only(&self) -> bool {
        true
    }

    fn execution_role(&self) -> Result<String> {
        let role = ipinsights_aws_calls::find_execution_role(&self.cfg()?, &mut |note| println!("{note}"))
            .map_err(|e| self.err(e))?;
        Ok(role.arn)
    }

    fn check_instance_type(&self, instance_type: &str, usage: InstanceUse, out: Output<'_>) -> Result<()> {
        match ipinsights_aws_calls::check_instance_quota(&self.cfg()?, instance_type, usage) {
            Ok(InstanceQuota::Available(_)) => Ok(()),
            Ok(InstanceQuota::NotListed) => {
                out(&format!(
                    "Service Quotas lists no SageMaker quota \"{}\" in region {}: {instance_type} is used unchecked.\n",
                    usage.quota_name(instance_type),
                    self.region
                ));
                Ok(())
            }
            Err(e @ AwsError::InstanceTypeUnavailable { .. }) => Err(err(e)),
            Err(e) => {
                if !self.quota_check_noted.swap(true, Ordering::Relaxed) {
                    out(&format!(
                        "Couldn't read SageMaker's instance quotas in region {} ({e}; it needs \
                         servicequotas:ListServiceQuotas): instance types are used unchecked.\n",
                        self.region
                    ));
                }
                Ok(())
            }
        }
    }

    fn check_bucket(&self, bucket: &str, _out: Output<'_>) -> Result<()> {
        ipinsights_aws_calls::check_bucket(&self.cfg()?, bucket, "").map(|_| ()).map_err(|e| self.err(e))
    }

    fn upload(
        &self,
        file: &Path,
        destination: &S3Uri,
        encryption: Option<&ServerSideEncryption>,
        out: Output<'_>,
    ) -> Result<()> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let scratch = std::env::temp_dir().join(format!("ipinsights-ipv4-{}-{nanos}.csv", std::process::id()));
        let copy = if is_csv(file) { without_ipv6_rows(file, &scratch)? } else { None };
        if let Some(copy) = &copy {
            out(&format!("{}\n", copy.summary(file)));
        }
        let source = copy.as_ref().map_or(file, |c| c.path.as_path());
        let mut last = 0u64;
        let mut progress = |done: u64, total: u64| {
            if total > 64 << 20 && done * 10 / total.max(1) > last {
                last = done * 10 / total.max(1);
                out(&format!("uploaded {} of {} MiB\n", done >> 20, total >> 20));
            }
        };
        let options = TransferOptions { server_side_encryption: encryption.cloned(), ..TransferOptions::default() };
        let uploaded = ipinsights_aws_calls::upload_file_with(
            &self.cfg()?,
            source,
            &destination.to_string(),
            &options,
            &mut progress,
        );
        if copy.is_some() {
            let _ = std::fs::remove_file(&scratch);
        }
        uploaded.map(|_| ()).map_err(|e| self.err(e))
    }

    fn download(&self, source: &S3Uri, file: &Path) -> Result<()> {
        ipinsights_aws_calls::download_file(&self.cfg()?, &source.to_string(), file, &mut |_, _| {})
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn train(&self, request: &Checked<TrainingJobRequest>, out: Output<'_>) -> Result<TrainingJobDescription> {
        ipinsights_aws_calls::create_training_job(&self.cfg()?, request).map_err(|e| self.err(e))?;
        let summary = ipinsights_aws_calls::wait_for_training_job_with_logs(
            &self.cfg()?,
            &request.job_name,
            self.poll_interval,
            out,
        )
        .map_err(|e| self.err(e))?;
        Self::description(summary)
    }

    fn attach_training_job(&self, job_name: &str, out: Output<'_>) -> Result<TrainingJobDescription> {
        let summary =
            ipinsights_aws_calls::wait_for_training_job_with_logs(&self.cfg()?, job_name, self.poll_interval, out)
                .map_err(|e| self.err(e))?;
        Self::description(summary)
    }

    fn create_model(&self, request: &Checked<ModelRequest>) -> Result<()> {
        ipinsights_aws_calls::create_model(&self.cfg()?, request).map(|_| ()).map_err(|e| self.err(e))
    }

    fn deploy(&self, request: &Checked<EndpointRequest>, out: Output<'_>) -> Result<EndpointDescription> {
        let info =
            ipinsights_aws_calls::deploy(&self.cfg()?, request, self.poll_interval, out).map_err(|e| self.err(e))?;
        Ok(EndpointDescription {
            endpoint_name: info.endpoint_name,
            status: info.status,
            instance_type: Some(request.instance_type.clone()),
            instance_count: Some(request.initial_instance_count),
        })
    }

    fn describe_endpoint(&self, endpoint_name: &str) -> Result<EndpointDescription> {
        let hosted =
            ipinsights_aws_calls::describe_hosted_endpoint(&self.cfg()?, endpoint_name).map_err(|e| self.err(e))?;
        Ok(EndpointDescription {
            endpoint_name: hosted.info.endpoint_name,
            status: hosted.info.status,
            instance_type: hosted.instance_type,
            instance_count: hosted.instance_count,
        })
    }

    fn find_endpoint(&self, endpoint_name: &str) -> Result<Option<EndpointDescription>> {
        match ipinsights_aws_calls::describe_hosted_endpoint(&self.cfg()?, endpoint_name) {
            Ok(hosted) => Ok(Some(EndpointDescription {
                endpoint_name: hosted.info.endpoint_name,
                status: hosted.info.status,
                instance_type: hosted.instance_type,
                instance_count: hosted.instance_count,
            })),
            Err(AwsError::EndpointNotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    fn attach_endpoint(&self, endpoint_name: &str, out: Output<'_>) -> Result<EndpointDescription> {
        let cfg = self.cfg()?;
        ipinsights_aws_calls::wait_for_endpoint(&cfg, endpoint_name, self.poll_interval, out)
            .map_err(|e| self.err(e))?;
        self.describe_endpoint(endpoint_name)
    }

    fn wait_endpoint_deleted(&self, endpoint_name: &str, out: Output<'_>) -> Result<()> {
        let cfg = self.cfg()?;
        ipinsights_aws_calls::wait_for_endpoint_deleted(&cfg, endpoint_name, self.poll_interval, out)
            .map_err(|e| self.err(e))
    }

    fn leftovers(&self) -> Result<Vec<Leftover>> {
        ipinsights_aws_calls::list_tagged(&self.cfg()?, WORKSHOP_TAG_KEY).map_err(|e| self.err(e))
    }

    fn remove(&self, kind: ResourceKind, name: &str) -> Result<Removal> {
        let cfg = self.cfg()?;
        if kind == ResourceKind::Endpoint {
            return match ipinsights_aws_calls::delete_endpoint(&cfg, name) {
                Ok(_) => Ok(Removal::Deleted),
                Err(AwsError::EndpointNotFound { .. }) => Ok(Removal::AlreadyGone),
                Err(e) => Err(self.err(e)),
            };
        }
        ipinsights_aws_calls::remove(&cfg, kind, name).map_err(|e| self.err(e))
    }

    fn invoke(&self, endpoint_name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>> {
        ipinsights_aws_calls::invoke_endpoint(&self.cfg()?, endpoint_name, body, content_type, accept)
            .map_err(|e| self.err(e))
    }

    fn delete_endpoint(&self, endpoint_name: &str) -> Result<()> {
        ipinsights_aws_calls::delete_endpoint(&self.cfg()?, endpoint_name).map(|_| ()).map_err(|e| self.err(e))
    }

    fn transform(&self, request: &Checked<TransformJobRequest>, out: Output<'_>) -> Result<TransformJobDescription> {
        ipinsights_aws_calls::create_transform_job(&self.cfg()?, request).map_err(|e| self.err(e))?;
        self.attach_transform_job(&request.job_name, out)
    }

    fn attach_transform_job(&self, job_name: &str, out: Output<'_>) -> Result<TransformJobDescription> {
        let summary = ipinsights_aws_calls::wait_for_transform_job(&self.cfg()?, job_name, self.poll_interval, out)
            .map_err(|e| self.err(e))?;
        Self::transform_description(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_that_ended_failed_or_stopped_is_told_apart_by_its_status_not_its_text() {
        let failed = |status| AwsError::TrainingJobFailed { job_name: "j".into(), status, reason: "oom".into() };
        let job_failed = ErrorKind::JobFailed { job_name: "j".into(), reason: "oom".into() };
        assert_eq!(kind_of(&failed(TrainingJobStatus::Failed)), job_failed);
        assert_eq!(kind_of(&failed(TrainingJobStatus::Stopped)), ErrorKind::Stopped { name: "j".into() });
        let transform = AwsError::TransformJobFailed {
            job_name: "t".into(),
            status: TransformJobStatus::Stopped,
            reason: "(No reason provided)".into(),
        };
        assert_eq!(kind_of(&transform), ErrorKind::Stopped { name: "t".into() });
        let endpoint = AwsError::EndpointFailed {
            endpoint_name: "ep".into(),
            status: ipinsights_sagemaker_facts::EndpointStatus::Failed,
            reason: "no capacity".into(),
        };
        let expected = ErrorKind::EndpointFailed { endpoint_name: "ep".into(), reason: "no capacity".into() };
        assert_eq!(kind_of(&endpoint), expected);
    }
}
