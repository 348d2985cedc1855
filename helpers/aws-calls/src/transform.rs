//! Batch transform: CreateTransformJob as the SageMaker Python SDK's `Transformer.transform` sends it,
//! DescribeTransformJob, and waiting like the SDK's `wait(logs=True)`.

use std::time::Duration;

use aws_sdk_sagemaker::operation::create_transform_job::builders::CreateTransformJobFluentBuilder;
use aws_sdk_sagemaker::types::{
    AssemblyType, BatchStrategy, S3DataType, SplitType, TransformDataSource, TransformInput, TransformInstanceType,
    TransformOutput, TransformResources, TransformS3DataSource,
};
use aws_sdk_sagemaker::Client;
use ipinsights_sagemaker_facts::{Checked, TransformJobRequest, TransformJobStatus};

use crate::instances::check_instances;
use crate::logs::{LogTail, TRANSFORM_LOG_GROUP};
use crate::training::{count, parse_status, request_tags};
use crate::wait::{interrupted, Lines, RetryNotes, STOPPED_WARNING};
use crate::{AwsConfig, AwsError};

/// What DescribeTransformJob says about a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformJobSummary {
    /// The job.
    pub job_name: String,
    /// Its status.
    pub status: TransformJobStatus,
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

/// Starts a transform job as the SDK does (S3Prefix input); returns the job ARN. The request was checked when it
/// was built; the instance type is checked here, before any call.
pub fn create_transform_job(cfg: &AwsConfig, request: &Checked<TransformJobRequest>) -> Result<String, AwsError> {
    check_instances(&request.options.instance_type, request.options.instance_count)?;
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let out =
            transform_job_call(&client, request)?.send().await.map_err(|e| AwsError::sdk("CreateTransformJob", e))?;
        Ok(out.transform_job_arn().unwrap_or_default().to_string())
    })
}

/// The one mapping of a transform job request to the SDK's CreateTransformJob builder.
fn transform_job_call(
    client: &Client,
    request: &TransformJobRequest,
) -> Result<CreateTransformJobFluentBuilder, AwsError> {
    let o = &request.options;
    let source =
        TransformS3DataSource::builder().s3_data_type(S3DataType::S3Prefix).s3_uri(request.data.to_string()).build();
    let input = TransformInput::builder()
        .data_source(TransformDataSource::builder().s3_data_source(source).build())
        .content_type(request.content_type.as_str())
        .split_type(SplitType::from(request.split_type.as_str()))
        .build();
    let output = TransformOutput::builder()
        .s3_output_path(request.output_path.to_string())
        .set_kms_key_id(o.output_kms_key.clone())
        .assemble_with(AssemblyType::from(o.assemble_with.as_str()))
        .accept(&o.accept)
        .build();
    let resources = TransformResources::builder()
        .instance_type(TransformInstanceType::from(o.instance_type.as_str()))
        .instance_count(count(o.instance_count)?)
        .set_volume_kms_key_id(o.volume_kms_key.clone())
        .build();
    Ok(client
        .create_transform_job()
        .transform_job_name(&request.job_name)
        .model_name(&request.model_name)
        .batch_strategy(BatchStrategy::from(o.strategy.as_str()))
        .max_payload_in_mb(count(o.max_payload)?)
        .transform_input(input)
        .transform_output(output)
        .transform_resources(resources)
        .set_tags(request_tags(&o.tags)))
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
        status: parse_status("DescribeTransformJob", out.transform_job_status().map_or("", |s| s.as_str()))?,
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
            let ended = !matches!(job.status, TransformJobStatus::InProgress | TransformJobStatus::Stopping);
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
        TransformJobStatus::Completed => Ok(job),
        TransformJobStatus::Stopped => {
            out(&format!("Warning: transform job {} {STOPPED_WARNING}\n", job.job_name));
            Ok(job)
        }
        _ => Err(AwsError::TransformJobFailed {
            job_name: job.job_name,
            status: job.status,
            reason: job.failure_reason.unwrap_or_else(|| "(No reason provided)".into()),
        }),
    }
}
