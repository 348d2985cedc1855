//! Batch transform: CreateTransformJob as the SageMaker Python SDK's `Transformer.transform` sends it,
//! DescribeTransformJob, and waiting like the SDK's `wait(logs=True)`.

use std::time::Duration;

use aws_sdk_sagemaker::types::{
    AssemblyType, BatchStrategy, CompressionType, S3DataType, SplitType, TransformDataSource, TransformInput,
    TransformInstanceType, TransformOutput, TransformResources, TransformS3DataSource,
};
use aws_sdk_sagemaker::Client;
use ipinsights_sagemaker::training::{check_kms_key, check_tags};
use ipinsights_sagemaker::transform::{check_choice, check_max_payload, ASSEMBLE_WITH, BATCH_STRATEGIES, SPLIT_TYPES};

use crate::instances::check_instances;
use crate::logs::{LogTail, TRANSFORM_LOG_GROUP};
use crate::training::{count, option_err, request_tags};
use crate::wait::{interrupted, Lines, RetryNotes, STOPPED_WARNING};
use crate::{validate_resource_name, AwsConfig, AwsError, JobStatus, S3Uri};

/// Everything CreateTransformJob needs. The optional fields go into the request only when set, as the SDK sends
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformJobSpec {
    /// The job's name.
    pub job_name: String,
    /// The SageMaker model it runs (see [`crate::create_model`]).
    pub model_name: String,
    /// `data`: the S3 prefix whose objects are transformed (`S3Prefix`).
    pub data_s3_uri: String,
    /// `content_type` of the input, e.g. `text/csv`.
    pub content_type: Option<String>,
    /// `split_type`: `Line` or `None`.
    pub split_type: Option<String>,
    /// `compression_type`: `Gzip` or `None`.
    pub compression_type: Option<String>,
    /// `output_path`: where `{object}.out` is written.
    pub output_path: String,
    /// `accept`: the format of the answers, e.g. `application/jsonlines`.
    pub accept: Option<String>,
    /// `assemble_with`: `Line` or `None`.
    pub assemble_with: Option<String>,
    /// `output_kms_key`.
    pub output_kms_key: Option<String>,
    /// `instance_type`, e.g. `ml.m5.xlarge`.
    pub instance_type: String,
    /// `instance_count`.
    pub instance_count: u32,
    /// `volume_kms_key`.
    pub volume_kms_key: Option<String>,
    /// `strategy`: `MultiRecord` or `SingleRecord`.
    pub strategy: Option<String>,
    /// `max_payload` in MB (1–100; SageMaker's default is 6).
    pub max_payload_mb: Option<u32>,
    /// `max_concurrent_transforms`.
    pub max_concurrent_transforms: Option<u32>,
    /// `tags`.
    pub tags: Vec<(String, String)>,
}

/// What DescribeTransformJob says about a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformJobSummary {
    /// The job.
    pub job_name: String,
    /// Its status.
    pub status: JobStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The model it ran.
    pub model_name: String,
    /// The input prefix.
    pub data_s3_uri: String,
    /// Where its outputs are.
    pub output_path: String,
    /// The number of instances.
    pub instance_count: u32,
}

/// Starts a transform job as the SDK does (S3Prefix input); returns the job ARN. Checked before any call.
pub fn create_transform_job(cfg: &AwsConfig, spec: &TransformJobSpec) -> Result<String, AwsError> {
    check_spec(spec)?;
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let source =
            TransformS3DataSource::builder().s3_data_type(S3DataType::S3Prefix).s3_uri(&spec.data_s3_uri).build();
        let input = TransformInput::builder()
            .data_source(TransformDataSource::builder().s3_data_source(source).build())
            .set_content_type(spec.content_type.clone())
            .set_compression_type(spec.compression_type.as_deref().map(CompressionType::from))
            .set_split_type(spec.split_type.as_deref().map(SplitType::from))
            .build();
        let output = TransformOutput::builder()
            .s3_output_path(&spec.output_path)
            .set_kms_key_id(spec.output_kms_key.clone())
            .set_assemble_with(spec.assemble_with.as_deref().map(AssemblyType::from))
            .set_accept(spec.accept.clone())
            .build();
        let resources = TransformResources::builder()
            .instance_type(TransformInstanceType::from(spec.instance_type.as_str()))
            .instance_count(count(spec.instance_count)?)
            .set_volume_kms_key_id(spec.volume_kms_key.clone())
            .build();
        let out = client
            .create_transform_job()
            .transform_job_name(&spec.job_name)
            .model_name(&spec.model_name)
            .set_batch_strategy(spec.strategy.as_deref().map(BatchStrategy::from))
            .set_max_concurrent_transforms(spec.max_concurrent_transforms.map(count).transpose()?)
            .set_max_payload_in_mb(spec.max_payload_mb.map(count).transpose()?)
            .transform_input(input)
            .transform_output(output)
            .transform_resources(resources)
            .set_tags(request_tags(&spec.tags))
            .send()
            .await
            .map_err(|e| AwsError::sdk("CreateTransformJob", e))?;
        Ok(out.transform_job_arn().unwrap_or_default().to_string())
    })
}

/// Describes a transform job.
pub fn describe_transform_job(cfg: &AwsConfig, job_name: &str) -> Result<TransformJobSummary, AwsError> {
    cfg.run(async { describe(&cfg.sagemaker().await?, job_name).await })
}

async fn describe(client: &Client, job_name: &str) -> Result<TransformJobSummary, AwsError> {
    let out = client
        .describe_transform_job()
        .transform_job_name(job_name)
        .send()
        .await
        .map_err(|e| AwsError::sdk("DescribeTransformJob", e))?;
    let data = out.transform_input().and_then(|i| i.data_source()).and_then(|d| d.s3_data_source());
    Ok(TransformJobSummary {
        job_name: out.transform_job_name().unwrap_or(job_name).to_string(),
        status: JobStatus::parse(out.transform_job_status().map_or("", |s| s.as_str())),
        failure_reason: out.failure_reason().map(String::from),
        model_name: out.model_name().unwrap_or_default().to_string(),
        data_s3_uri: data.and_then(|d| d.s3_uri()).unwrap_or_default().to_string(),
        output_path: out.transform_output().and_then(|o| o.s3_output_path()).unwrap_or_default().to_string(),
        instance_count: out.transform_resources().and_then(|r| r.instance_count()).unwrap_or(1).max(1).unsigned_abs(),
    })
}

/// Waits for a transform job like the SDK's `wait(logs=True)`: a `.` per poll until its CloudWatch log (group
/// `/aws/sagemaker/TransformJobs`, streams `{job}/…`) has lines, then the lines as they come. A Completed job is
/// returned; a Stopped one after the SDK v2's warning; a Failed one is [`AwsError::TransformJobFailed`]. Polls use
/// raised retries, and a wait that loses track of the job is [`AwsError::WaitInterrupted`] (the job keeps
/// running).
pub fn wait_for_transform_job(
    cfg: &AwsConfig,
    job_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<TransformJobSummary, AwsError> {
    let retries = RetryNotes::default();
    let waited = cfg.run(async {
        let sagemaker = cfg.sagemaker_for_waits(&retries.log).await?;
        let logs = cfg.logs_for_waits(&retries.log).await?;
        let mut retries = retries.clone();
        let mut lines = Lines::default();
        let mut tail: Option<LogTail> = None;
        loop {
            let job = describe(&sagemaker, job_name).await?;
            let ended = !matches!(job.status, JobStatus::InProgress | JobStatus::Stopping);
            let tail = tail.get_or_insert_with(|| LogTail::new(TRANSFORM_LOG_GROUP, job_name, job.instance_count));
            let mut text = String::new();
            for note in retries.news() {
                lines.push(&mut text, &note);
            }
            text += &lines.render(Vec::new(), tail.poll(&logs).await?);
            if text.is_empty() && !ended && !tail.has_streams() {
                text = lines.dot();
            }
            if ended {
                text.push_str(&lines.closing("\n"));
            }
            if !text.is_empty() {
                out(&text);
            }
            if ended {
                return Ok(job);
            }
            tokio::time::sleep(poll).await;
        }
    });
    let resume = format!("`Transformer::attach`: `Transformer::attach(&session, \"{job_name}\")?` in a new cell");
    let job = interrupted("transform job", job_name, &resume, waited)?;
    match job.status {
        JobStatus::Completed => Ok(job),
        JobStatus::Stopped => {
            out(&format!("Warning: transform job {} {STOPPED_WARNING}\n", job.job_name));
            Ok(job)
        }
        _ => Err(AwsError::TransformJobFailed {
            job_name: job.job_name,
            status: job.status.to_string(),
            reason: job.failure_reason.unwrap_or_else(|| "(No reason provided)".into()),
        }),
    }
}

/// Checks a spec before any call.
fn check_spec(spec: &TransformJobSpec) -> Result<(), AwsError> {
    validate_resource_name("transform job", &spec.job_name)?;
    validate_resource_name("model", &spec.model_name)?;
    S3Uri::parse(&spec.data_s3_uri)?;
    S3Uri::parse(&spec.output_path)?;
    check_instances(&spec.instance_type, spec.instance_count)?;
    let choices = [
        ("split_type", &spec.split_type, &SPLIT_TYPES[..]),
        ("strategy", &spec.strategy, &BATCH_STRATEGIES[..]),
        ("assemble_with", &spec.assemble_with, &ASSEMBLE_WITH[..]),
        ("compression_type", &spec.compression_type, &["Gzip", "None"][..]),
    ];
    for (option, value, allowed) in choices {
        if let Some(value) = value {
            check_choice(option, value, allowed).map_err(option_err)?;
        }
    }
    if let Some(mb) = spec.max_payload_mb {
        check_max_payload(mb).map_err(option_err)?;
    }
    for (option, key) in [("volume_kms_key", &spec.volume_kms_key), ("output_kms_key", &spec.output_kms_key)] {
        if let Some(key) = key {
            check_kms_key(option, key).map_err(option_err)?;
        }
    }
    check_tags(&spec.tags).map_err(option_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TransformJobSpec {
        TransformJobSpec {
            job_name: "ipinsights-2019-12-16-23-39-04-000".into(),
            model_name: "ipinsights-2019-12-16-23-39-03-000".into(),
            data_s3_uri: "s3://workshop-bucket/ipinsights/test/test.csv".into(),
            content_type: Some("text/csv".into()),
            split_type: Some("Line".into()),
            compression_type: None,
            output_path: "s3://workshop-bucket/ipinsights/transform".into(),
            accept: Some("application/jsonlines".into()),
            assemble_with: Some("Line".into()),
            output_kms_key: None,
            instance_type: "ml.m5.xlarge".into(),
            instance_count: 1,
            volume_kms_key: None,
            strategy: Some("MultiRecord".into()),
            max_payload_mb: Some(6),
            max_concurrent_transforms: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn specs_are_checked_before_any_call() {
        check_spec(&spec()).unwrap();
        type Breaker = fn(&mut TransformJobSpec);
        let cases: [(&str, Breaker); 6] = [
            ("invalid split_type \"RecordIO\"", |s| s.split_type = Some("RecordIO".into())),
            ("invalid max_payload \"101\"", |s| s.max_payload_mb = Some(101)),
            ("invalid strategy", |s| s.strategy = Some("Batch".into())),
            ("invalid S3 URI", |s| s.data_s3_uri = "test.csv".into()),
            ("invalid model name", |s| s.model_name = "my_model".into()),
            ("instance_count must be at least 1", |s| s.instance_count = 0),
        ];
        for (expected, break_it) in cases {
            let mut s = spec();
            break_it(&mut s);
            // No region, no credentials: the check must fail before any call.
            let err = create_transform_job(&AwsConfig::default(), &s).unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }
}
