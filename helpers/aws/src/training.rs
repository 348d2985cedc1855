//! SageMaker training jobs: CreateTrainingJob as the Python SDK sends it, and DescribeTrainingJob.

use std::fmt;

use crate::instances::check_instances;
use crate::role::check_role_arn;
use crate::{validate_resource_name, AwsConfig, AwsError, HyperParameters, S3Uri};
use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, CheckpointConfig, DataSource, OutputDataConfig, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, Tag, TrainingInputMode, TrainingInstanceType,
    VpcConfig,
};
use aws_sdk_sagemaker::Client;
use ipinsights_sagemaker::training::{check_distribution, check_kms_key, check_stopping, check_tags, check_vpc};

/// One input channel of a training job (`TrainingInput`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    /// `train` or `validation`.
    pub name: String,
    /// An `s3://` object or prefix of headerless `entity,ip` CSV.
    pub s3_uri: String,
    /// `FullyReplicated` or `ShardedByS3Key` (`S3DataDistributionType`).
    pub distribution: String,
}

impl ChannelSpec {
    /// A fully replicated channel.
    pub fn new(name: &str, s3_uri: &str) -> Self {
        ChannelSpec { name: name.into(), s3_uri: s3_uri.into(), distribution: "FullyReplicated".into() }
    }
}

/// A VPC for the job's instances (`subnets` and `security_group_ids`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VpcSpec {
    /// Subnet ids (`subnet-…`).
    pub subnets: Vec<String>,
    /// Security group ids (`sg-…`).
    pub security_group_ids: Vec<String>,
}

impl VpcSpec {
    /// Whether it names no VPC (both lists empty).
    pub fn is_empty(&self) -> bool {
        self.subnets.is_empty() && self.security_group_ids.is_empty()
    }

    /// The request's `VpcConfig`, when one is set.
    pub(crate) fn request(&self) -> Option<VpcConfig> {
        (!self.is_empty()).then(|| {
            VpcConfig::builder()
                .set_subnets(Some(self.subnets.clone()))
                .set_security_group_ids(Some(self.security_group_ids.clone()))
                .build()
        })
    }
}

/// Tags as the request takes them (`None` when there are none, as the SDK sends them).
pub(crate) fn request_tags(tags: &[(String, String)]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect())
}

/// Everything CreateTrainingJob needs for the built-in IP Insights algorithm. Options carry the SageMaker Python
/// SDK's `Estimator` names in their docs, and go into the request only when set, as the SDK sends them.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingJobSpec {
    /// The job name (see [`crate::name_from_base`]).
    pub job_name: String,
    /// The algorithm image (see [`crate::image_uri`]).
    pub image: String,
    /// The execution role SageMaker assumes (see [`crate::execution_role`]).
    pub role_arn: String,
    /// The channels: `train`, optionally `validation`.
    pub channels: Vec<ChannelSpec>,
    /// Where SageMaker writes `{job_name}/output/model.tar.gz`.
    pub output_path: String,
    /// The instance type, e.g. `ml.m5.xlarge`.
    pub instance_type: String,
    /// The number of instances.
    pub instance_count: u32,
    /// `volume_size`: the ML storage volume per instance, in GB (the SDK's 30).
    pub volume_gb: u32,
    /// `max_run`: the stopping condition in seconds (the SDK's 86,400).
    pub max_runtime_s: u32,
    /// `volume_kms_key`: the KMS key encrypting the instances' volumes.
    pub volume_kms_key: Option<String>,
    /// `output_kms_key`: the KMS key encrypting the model artifact in S3.
    pub output_kms_key: Option<String>,
    /// `subnets` and `security_group_ids`: the VPC the instances run in.
    pub vpc: VpcSpec,
    /// `encrypt_inter_container_traffic`.
    pub encrypt_inter_container_traffic: bool,
    /// `enable_network_isolation`: the container gets no network access.
    pub enable_network_isolation: bool,
    /// `use_spot_instances`: managed spot training (needs `max_wait_s`).
    pub use_spot_instances: bool,
    /// `max_wait`: the longest wait for spot capacity plus training, in seconds (at least `max_runtime_s`).
    pub max_wait_s: Option<u32>,
    /// `checkpoint_s3_uri`: where SageMaker keeps the algorithm's checkpoints.
    pub checkpoint_s3_uri: Option<String>,
    /// `tags`: (key, value) pairs on the job.
    pub tags: Vec<(String, String)>,
    /// The hyperparameters, checked by their type; the request carries the values that were given, as the SDK
    /// sends them.
    pub hyperparameters: HyperParameters,
}

impl TrainingJobSpec {
    /// The workshop's job: 1 × ml.m5.xlarge, 30 GB, at most 24 h, a fully replicated `train` channel, no other
    /// option set.
    pub fn new(
        job_name: &str,
        image: &str,
        role_arn: &str,
        train_s3_uri: &str,
        output_path: &str,
        hyperparameters: HyperParameters,
    ) -> Self {
        TrainingJobSpec {
            job_name: job_name.into(),
            image: image.into(),
            role_arn: role_arn.into(),
            channels: vec![ChannelSpec::new("train", train_s3_uri)],
            output_path: output_path.into(),
            instance_type: "ml.m5.xlarge".into(),
            instance_count: 1,
            volume_gb: 30,
            max_runtime_s: 86_400,
            volume_kms_key: None,
            output_kms_key: None,
            vpc: VpcSpec::default(),
            encrypt_inter_container_traffic: false,
            enable_network_isolation: false,
            use_spot_instances: false,
            max_wait_s: None,
            checkpoint_s3_uri: None,
            tags: Vec::new(),
            hyperparameters,
        }
    }
}

/// A training job's `TrainingJobStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Running.
    InProgress,
    /// Finished with a model.
    Completed,
    /// Finished without a model (see `failure_reason`).
    Failed,
    /// Being stopped.
    Stopping,
    /// Stopped by a user or the stopping condition.
    Stopped,
    /// A status this crate does not know.
    Other(String),
}

impl JobStatus {
    pub(crate) fn parse(s: &str) -> JobStatus {
        match s {
            "InProgress" => JobStatus::InProgress,
            "Completed" => JobStatus::Completed,
            "Failed" => JobStatus::Failed,
            "Stopping" => JobStatus::Stopping,
            "Stopped" => JobStatus::Stopped,
            other => JobStatus::Other(other.into()),
        }
    }

    /// The status as SageMaker spells it.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::InProgress => "InProgress",
            JobStatus::Completed => "Completed",
            JobStatus::Failed => "Failed",
            JobStatus::Stopping => "Stopping",
            JobStatus::Stopped => "Stopped",
            JobStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
    pub status: JobStatus,
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

/// Starts a training job exactly as the SageMaker Python SDK's `Estimator.fit` does (File mode, S3Prefix channels
/// of `text/csv`, each with its distribution; every option set in the spec, and only those); returns the job ARN.
/// The spec is checked before any call (the hyperparameters are valid by their type).
pub fn create_training_job(cfg: &AwsConfig, spec: &TrainingJobSpec) -> Result<String, AwsError> {
    check_spec(spec)?;
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let stopping = StoppingCondition::builder()
            .max_runtime_in_seconds(count(spec.max_runtime_s)?)
            .set_max_wait_time_in_seconds(spec.max_wait_s.map(count).transpose()?)
            .build();
        let mut request = client
            .create_training_job()
            .training_job_name(&spec.job_name)
            .algorithm_specification(
                AlgorithmSpecification::builder()
                    .training_image(&spec.image)
                    .training_input_mode(TrainingInputMode::File)
                    .build(),
            )
            .role_arn(&spec.role_arn)
            .set_input_data_config(Some(spec.channels.iter().map(channel).collect()))
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path(&spec.output_path)
                    .set_kms_key_id(spec.output_kms_key.clone())
                    .build(),
            )
            .resource_config(
                ResourceConfig::builder()
                    .instance_type(TrainingInstanceType::from(spec.instance_type.as_str()))
                    .instance_count(count(spec.instance_count)?)
                    .volume_size_in_gb(count(spec.volume_gb)?)
                    .set_volume_kms_key_id(spec.volume_kms_key.clone())
                    .build(),
            )
            .stopping_condition(stopping)
            .set_hyper_parameters(Some(spec.hyperparameters.to_request_map().into_iter().collect()))
            .set_vpc_config(spec.vpc.request())
            .set_tags(request_tags(&spec.tags));
        // Flags go out only when set, as the SDK sends them.
        if spec.enable_network_isolation {
            request = request.enable_network_isolation(true);
        }
        if spec.encrypt_inter_container_traffic {
            request = request.enable_inter_container_traffic_encryption(true);
        }
        if spec.use_spot_instances {
            request = request.enable_managed_spot_training(true);
        }
        if let Some(uri) = &spec.checkpoint_s3_uri {
            request = request.checkpoint_config(CheckpointConfig::builder().s3_uri(uri).build());
        }
        let out = request.send().await.map_err(|e| AwsError::sdk("CreateTrainingJob", e))?;
        Ok(out.training_job_arn().unwrap_or_default().to_string())
    })
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
    Ok(summary(job_name, &out))
}

/// Plain data from a DescribeTrainingJob answer.
fn summary(job_name: &str, out: &DescribeTrainingJobOutput) -> TrainingJobSummary {
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
    TrainingJobSummary {
        job_name: out.training_job_name().unwrap_or(job_name).to_string(),
        status: JobStatus::parse(out.training_job_status().map_or("", |s| s.as_str())),
        secondary_status: out.secondary_status().map(|s| s.as_str().to_string()),
        failure_reason: out.failure_reason().map(String::from),
        instance_count: instance_count.unsigned_abs(),
        training_seconds: out.training_time_in_seconds().map(|s| i64::from(s) * instances),
        billable_seconds: out.billable_time_in_seconds().map(|s| i64::from(s) * instances),
        model_artifact: out.model_artifacts().and_then(|m| m.s3_model_artifacts()).map(String::from),
        transitions,
        last_modified: out.last_modified_time().map(|d| d.secs()),
    }
}

/// Checks a spec before any call.
fn check_spec(spec: &TrainingJobSpec) -> Result<(), AwsError> {
    validate_resource_name("training job", &spec.job_name)?;
    if spec.image.trim().is_empty() {
        return Err(AwsError::InvalidInput("the training image is empty (see image_uri)".into()));
    }
    check_role_arn(&spec.role_arn)?;
    if !spec.channels.iter().any(|c| c.name == "train") {
        return Err(AwsError::InvalidInput("a training job needs a \"train\" channel".into()));
    }
    for c in &spec.channels {
        S3Uri::parse(&c.s3_uri)?;
        check_distribution(&c.distribution).map_err(option_err)?;
    }
    S3Uri::parse(&spec.output_path)?;
    if let Some(uri) = &spec.checkpoint_s3_uri {
        S3Uri::parse(uri)?;
    }
    check_stopping(spec.max_runtime_s, spec.use_spot_instances, spec.max_wait_s).map_err(option_err)?;
    check_vpc(&spec.vpc.subnets, &spec.vpc.security_group_ids).map_err(option_err)?;
    check_tags(&spec.tags).map_err(option_err)?;
    for (option, key) in [("volume_kms_key", &spec.volume_kms_key), ("output_kms_key", &spec.output_kms_key)] {
        if let Some(key) = key {
            check_kms_key(option, key).map_err(option_err)?;
        }
    }
    check_instances(&spec.instance_type, spec.instance_count)?;
    for (name, value) in [("volume_gb", spec.volume_gb), ("max_runtime_s", spec.max_runtime_s)] {
        if value == 0 {
            return Err(AwsError::InvalidInput(format!("{name} must be at least 1")));
        }
    }
    Ok(())
}

/// An option SageMaker would refuse, as [`AwsError::InvalidInput`].
pub(crate) fn option_err(e: impl fmt::Display) -> AwsError {
    AwsError::InvalidInput(e.to_string())
}

/// An S3Prefix channel of `text/csv` with its distribution.
fn channel(spec: &ChannelSpec) -> Channel {
    let source = S3DataSource::builder()
        .s3_data_type(S3DataType::S3Prefix)
        .s3_uri(&spec.s3_uri)
        .s3_data_distribution_type(S3DataDistribution::from(spec.distribution.as_str()))
        .build();
    Channel::builder()
        .channel_name(&spec.name)
        .data_source(DataSource::builder().s3_data_source(source).build())
        .content_type("text/csv")
        .build()
}

/// A count for the API's `i32` fields.
pub(crate) fn count(n: u32) -> Result<i32, AwsError> {
    i32::try_from(n).map_err(|_| AwsError::InvalidInput(format!("{n} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TrainingJobSpec {
        let hp = crate::IpInsightsParams::new(20_000, 128).epochs(5).check().unwrap();
        TrainingJobSpec::new(
            "ipinsights-2019-12-16-23-39-04-000",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            "arn:aws:iam::123456789012:role/r",
            "s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv",
            "s3://workshop-bucket/ipinsights/output",
            hp,
        )
    }

    #[test]
    fn specs_are_checked_before_any_call() {
        check_spec(&spec()).unwrap();
        type Breaker = fn(&mut TrainingJobSpec);
        let cases: [(&str, Breaker); 12] = [
            ("distribution: \"Sharded\" is not an S3 data distribution", |s| {
                s.channels[0].distribution = "Sharded".into()
            }),
            ("max_wait: spot training", |s| s.use_spot_instances = true),
            ("security_group_ids: a VPC configuration needs security groups", |s| {
                s.vpc.subnets = vec!["subnet-0abc".into()]
            }),
            ("tags: tag \"aws:owner\"", |s| s.tags = vec![("aws:owner".into(), "me".into())]),
            ("output_kms_key: give a KMS key", |s| s.output_kms_key = Some(" ".into())),
            ("needs a \"train\" channel", |s| s.channels[0].name = "validation".into()),
            ("invalid S3 URI", |s| s.output_path = "s3://My_Bucket/output".into()),
            ("invalid training job name", |s| s.job_name = "bad_name".into()),
            ("not an IAM role ARN", |s| s.role_arn = "MyRole".into()),
            ("invalid S3 URI", |s| s.channels[0].s3_uri = "/local/file.csv".into()),
            ("not a SageMaker instance type", |s| s.instance_type = "m5.xlarge".into()),
            ("instance_count must be at least 1", |s| s.instance_count = 0),
        ];
        for (expected, break_it) in cases {
            let mut s = spec();
            break_it(&mut s);
            // No region, no credentials: the check must fail before any call.
            let err = create_training_job(&AwsConfig::default(), &s).unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["InProgress", "Completed", "Failed", "Stopping", "Stopped", "Weird"] {
            assert_eq!(JobStatus::parse(s).to_string(), s);
        }
        assert_eq!(JobStatus::parse("Weird"), JobStatus::Other("Weird".into()));
    }
}
