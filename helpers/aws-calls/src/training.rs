//! SageMaker training jobs: CreateTrainingJob as the Python SDK sends it, and DescribeTrainingJob.

use std::str::FromStr;

use crate::instances::check_instances;
use crate::role::check_role_arn;
use crate::{AwsConfig, AwsError};
use aws_sdk_sagemaker::operation::create_training_job::builders::CreateTrainingJobFluentBuilder;
use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, CheckpointConfig, DataSource, OutputDataConfig, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, Tag, TrainingInputMode, TrainingInstanceType,
    VpcConfig,
};
use aws_sdk_sagemaker::Client;
use ipinsights_sagemaker_facts::{Checked, TrainingJobRequest, TrainingJobStatus};

/// The request's `VpcConfig`, when one is set.
pub(crate) fn vpc_config(vpc: &ipinsights_sagemaker_facts::VpcConfig) -> Option<VpcConfig> {
    (!vpc.is_empty()).then(|| {
        VpcConfig::builder()
            .set_subnets(Some(vpc.subnets.clone()))
            .set_security_group_ids(Some(vpc.security_group_ids.clone()))
            .build()
    })
}

/// Tags as the request takes them (`None` when there are none, as the SDK sends them).
pub(crate) fn request_tags(tags: &[(String, String)]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect())
}

/// A status SageMaker answered, as its enum; one this crate does not know is an error naming the operation.
pub(crate) fn parse_status<T: FromStr>(operation: &'static str, status: &str) -> Result<T, AwsError> {
    status.parse().map_err(|_| AwsError::UnknownStatus { operation, status: status.into() })
}

/// One entry of `SecondaryStatusTransitions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusTransition {
    /// The secondary status, e.g. `Downloading`.
    pub status: String,
    /// Its message, e.g. `Downloading input data`.
    pub message: String,
    /// When it started (Unix seconds).
    pub start_time: Option<i64>,
}

/// What DescribeTrainingJob says about a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainingJobSummary {
    /// The job.
    pub job_name: String,
    /// Its primary status.
    pub status: TrainingJobStatus,
    /// Its secondary status (`Starting`, `Downloading`, `Training`, …).
    pub secondary_status: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The number of instances.
    pub instance_count: u32,
    /// Training time over all instances (per-instance seconds × instance count, as the SDK prints it).
    pub training_seconds: Option<i64>,
    /// Billable time over all instances (as the SDK prints it).
    pub billable_seconds: Option<i64>,
    /// The model artifact, `{output_path}/{job_name}/output/model.tar.gz`.
    pub model_artifact: Option<String>,
    /// The secondary status transitions so far.
    pub transitions: Vec<StatusTransition>,
    /// When the job last changed (Unix seconds).
    pub last_modified: Option<i64>,
}

/// Starts a training job exactly as the SageMaker Python SDK's `Estimator.fit` does (File mode, S3Prefix channels,
/// each with its content type and distribution; every option set in the request, and only those); returns the job
/// ARN. The request was checked when it was built; the role ARN and the instance type are checked here, before any
/// call.
pub fn create_training_job(cfg: &AwsConfig, request: &Checked<TrainingJobRequest>) -> Result<String, AwsError> {
    check_role_arn(&request.role)?;
    check_instances(&request.instance_type, request.instance_count)?;
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let out =
            training_job_call(&client, request)?.send().await.map_err(|e| AwsError::sdk("CreateTrainingJob", e))?;
        Ok(out.training_job_arn().unwrap_or_default().to_string())
    })
}

/// The one mapping of a training job request to the SDK's CreateTrainingJob builder.
fn training_job_call(
    client: &Client,
    request: &TrainingJobRequest,
) -> Result<CreateTrainingJobFluentBuilder, AwsError> {
    let o = &request.options;
    let stopping = StoppingCondition::builder()
        .max_runtime_in_seconds(count(o.max_run)?)
        .set_max_wait_time_in_seconds(o.max_wait.map(count).transpose()?)
        .build();
    let algorithm = AlgorithmSpecification::builder()
        .training_image(&request.image_uri)
        .training_input_mode(TrainingInputMode::File)
        .build();
    let output = OutputDataConfig::builder()
        .s3_output_path(request.output_path.to_string().trim_end_matches('/'))
        .set_kms_key_id(o.output_kms_key.clone())
        .build();
    let resources = ResourceConfig::builder()
        .instance_type(TrainingInstanceType::from(request.instance_type.as_str()))
        .instance_count(count(request.instance_count)?)
        .volume_size_in_gb(count(o.volume_size)?)
        .set_volume_kms_key_id(o.volume_kms_key.clone())
        .build();
    // Flags go out only when set, as the SDK sends them.
    Ok(client
        .create_training_job()
        .training_job_name(&request.job_name)
        .algorithm_specification(algorithm)
        .role_arn(&request.role)
        .set_input_data_config(Some(request.channels.iter().map(channel).collect()))
        .output_data_config(output)
        .resource_config(resources)
        .stopping_condition(stopping)
        .set_hyper_parameters(Some(request.hyperparameters.to_request_map().into_iter().collect()))
        .set_vpc_config(vpc_config(&o.vpc))
        .set_tags(request_tags(&o.tags))
        .set_enable_network_isolation(o.enable_network_isolation.then_some(true))
        .set_enable_inter_container_traffic_encryption(o.encrypt_inter_container_traffic.then_some(true))
        .set_enable_managed_spot_training(o.use_spot_instances.then_some(true))
        .set_checkpoint_config(o.checkpoint_s3_uri.as_ref().map(|uri| CheckpointConfig::builder().s3_uri(uri).build())))
}

/// Describes a training job (e.g. to attach to one started earlier).
pub fn describe_training_job(cfg: &AwsConfig, job_name: &str) -> Result<TrainingJobSummary, AwsError> {
    cfg.run(async { describe(&cfg.sagemaker().await?, job_name).await })
}

/// DescribeTrainingJob as plain data.
pub(crate) async fn describe(client: &Client, job_name: &str) -> Result<TrainingJobSummary, AwsError> {
    let out = client
        .describe_training_job()
        .training_job_name(job_name)
        .send()
        .await
        .map_err(|e| AwsError::sdk("DescribeTrainingJob", e))?;
    summary(job_name, &out)
}

/// Plain data from a DescribeTrainingJob answer.
fn summary(job_name: &str, out: &DescribeTrainingJobOutput) -> Result<TrainingJobSummary, AwsError> {
    let instance_count = out.resource_config().and_then(|r| r.instance_count()).unwrap_or(1).max(1);
    let instances = i64::from(instance_count);
    let transitions = out
        .secondary_status_transitions()
        .iter()
        .map(|t| StatusTransition {
            status: t.status().map_or("", |s| s.as_str()).to_string(),
            message: t.status_message().unwrap_or_default().to_string(),
            start_time: t.start_time().map(|d| d.secs()),
        })
        .collect();
    Ok(TrainingJobSummary {
        job_name: out.training_job_name().unwrap_or(job_name).to_string(),
        status: parse_status("DescribeTrainingJob", out.training_job_status().map_or("", |s| s.as_str()))?,
        secondary_status: out.secondary_status().map(|s| s.as_str().to_string()),
        failure_reason: out.failure_reason().map(String::from),
        instance_count: instance_count.unsigned_abs(),
        training_seconds: out.training_time_in_seconds().map(|s| i64::from(s) * instances),
        billable_seconds: out.billable_time_in_seconds().map(|s| i64::from(s) * instances),
        model_artifact: out.model_artifacts().and_then(|m| m.s3_model_artifacts()).map(String::from),
        transitions,
        last_modified: out.last_modified_time().map(|d| d.secs()),
    })
}

/// An S3Prefix channel with its content type and distribution.
fn channel(input: &ipinsights_sagemaker_facts::Channel) -> Channel {
    let source = S3DataSource::builder()
        .s3_data_type(S3DataType::S3Prefix)
        .s3_uri(input.s3_data.to_string())
        .s3_data_distribution_type(S3DataDistribution::from(input.distribution.as_str()))
        .build();
    Channel::builder()
        .channel_name(&input.name)
        .data_source(DataSource::builder().s3_data_source(source).build())
        .content_type(input.content_type.as_str())
        .build()
}

/// A count for the API's `i32` fields.
pub(crate) fn count(n: u32) -> Result<i32, AwsError> {
    i32::try_from(n).map_err(|_| AwsError::InvalidInput(format!("{n} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipinsights_sagemaker_facts::{IpInsightsParams, S3Uri};

    fn request() -> TrainingJobRequest {
        TrainingJobRequest::new(
            "ipinsights-2019-12-16-23-39-04-000",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            "arn:aws:iam::123456789012:role/r",
            S3Uri::parse("s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv").unwrap(),
            S3Uri::parse("s3://workshop-bucket/ipinsights/output").unwrap(),
            IpInsightsParams::new(20_000, 128).epochs(5).check().unwrap(),
        )
    }

    #[test]
    fn what_only_aws_checks_is_checked_before_any_call() {
        type Breaker = fn(&mut TrainingJobRequest);
        let cases: [(&str, Breaker); 2] = [
            ("not an IAM role ARN", |r| r.role = "MyRole".into()),
            ("not a SageMaker instance type", |r| r.instance_type = "m5.xlarge".into()),
        ];
        for (expected, break_it) in cases {
            let mut r = request();
            break_it(&mut r);
            // No region, no credentials: the check must fail before any call.
            let err = create_training_job(&AwsConfig::default(), &r.check().unwrap()).unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn unknown_statuses_are_errors_naming_the_operation() {
        let status: TrainingJobStatus = parse_status("DescribeTrainingJob", "Stopped").unwrap();
        assert_eq!(status, TrainingJobStatus::Stopped);
        let err = parse_status::<TrainingJobStatus>("DescribeTrainingJob", "Weird").unwrap_err().to_string();
        assert!(err.contains("DescribeTrainingJob") && err.contains("\"Weird\""), "{err}");
    }
}
