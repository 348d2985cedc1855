//! The AWS backend of the facade (feature `aws`): the same calls on Amazon S3 and SageMaker, through
//! `ipinsights-aws`. Every call builds its configuration from the plain [`Session`] and lets the AWS crate build and
//! drop its own runtime, so nothing async survives between notebook cells.

use crate::error::{Result, WorkshopError};
use crate::session::Session;
use ipinsights_aws::{AwsConfig, AwsError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

fn err(e: AwsError) -> WorkshopError {
    WorkshopError::new(e.to_string())
}

/// Prints a fragment of SDK-style progress as it comes.
fn print_fragment(text: &str) {
    print!("{text}");
    let _ = std::io::stdout().flush();
}

/// The AWS configuration of a session.
pub fn config(session: &Session) -> AwsConfig {
    let mut cfg = match &session.aws_endpoint_url {
        Some(url) => AwsConfig::local_emulator(url),
        None => AwsConfig::default(),
    };
    cfg.region = Some(session.region.clone());
    cfg
}

/// The seed's bucket check on S3; prints the seed's message either way.
pub fn check_bucket(session: &Session, bucket: &str, prefix: &str) -> Result<()> {
    match ipinsights_aws::check_bucket(&config(session), bucket, prefix) {
        Ok(check) => {
            println!("{check}");
            Ok(())
        }
        Err(e) => {
            println!("{e}");
            Err(err(e))
        }
    }
}

/// The execution role (`get_execution_role()`): `SAGEMAKER_ROLE_ARN`, `IPINSIGHTS_ROLE_ARN`, else the role the
/// notebook is signed in with (STS); the rule lives in `ipinsights_aws::execution_role`.
pub fn execution_role(session: &Session) -> Result<String> {
    ipinsights_aws::execution_role(&config(session)).map_err(err)
}

/// Uploads a file to `uri`, with progress for big files.
pub fn upload(session: &Session, file: &Path, uri: &str) -> Result<()> {
    let mut last = 0u64;
    let mut progress = |done: u64, total: u64| {
        if total > 64 << 20 && done * 10 / total.max(1) > last {
            last = done * 10 / total.max(1);
            println!("uploaded {} of {} MiB", done >> 20, total >> 20);
        }
    };
    ipinsights_aws::upload_file(&config(session), file, uri, &mut progress).map(|_| ()).map_err(err)
}

/// What a SageMaker training job needs from the estimator.
pub struct FitRequest<'a> {
    /// Job name.
    pub job_name: &'a str,
    /// Image URI.
    pub image: &'a str,
    /// Role ARN.
    pub role: &'a str,
    /// Train channel URI.
    pub train: &'a str,
    /// Validation channel URI.
    pub validation: Option<&'a str>,
    /// Output path.
    pub output_path: &'a str,
    /// Instance type and count.
    pub instance: (&'a str, u32),
    /// Hyperparameters.
    pub hyperparameters: &'a BTreeMap<String, String>,
}

/// Runs a training job and waits for it like the SDK's `fit(logs=True)`, printing its status lines and its
/// CloudWatch log as they come; returns (model artifact URI, training seconds).
pub fn fit(session: &Session, request: &FitRequest<'_>) -> Result<(String, u64)> {
    let cfg = config(session);
    let mut spec = ipinsights_aws::TrainingJobSpec::new(
        request.job_name,
        request.image,
        request.role,
        request.train,
        request.output_path,
        request.hyperparameters.clone(),
    );
    spec.validation_s3_uri = request.validation.map(str::to_string);
    spec.instance_type = request.instance.0.to_string();
    spec.instance_count = request.instance.1;
    ipinsights_aws::create_training_job(&cfg, &spec).map_err(err)?;
    let summary = ipinsights_aws::wait_for_training_job_with_logs(
        &cfg,
        request.job_name,
        session.poll_interval,
        &mut print_fragment,
    )
    .map_err(err)?;
    let artifact = summary.model_artifact.unwrap_or_else(|| {
        format!("{}/{}/output/model.tar.gz", request.output_path.trim_end_matches('/'), request.job_name)
    });
    Ok((artifact, summary.training_seconds.unwrap_or(0).max(0) as u64))
}

/// Creates model, endpoint configuration and endpoint, printing `-`/`!` like the SDK.
pub fn deploy(
    session: &Session,
    name: &str,
    image: &str,
    model_data: &str,
    role: &str,
    instance: (&str, u32),
) -> Result<()> {
    let spec = ipinsights_aws::DeploySpec {
        model_name: name.into(),
        endpoint_name: name.into(),
        image: image.into(),
        model_data_url: model_data.into(),
        role_arn: role.into(),
        instance_type: instance.0.into(),
        instance_count: instance.1,
    };
    ipinsights_aws::deploy(&config(session), &spec, session.poll_interval, &mut print_fragment).map(|_| ()).map_err(err)
}

/// Checks that an endpoint exists.
pub fn describe(session: &Session, name: &str) -> Result<()> {
    ipinsights_aws::describe_endpoint(&config(session), name).map(|_| ()).map_err(err)
}

/// Sends one request body to an endpoint.
pub fn invoke(session: &Session, name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>> {
    ipinsights_aws::invoke_endpoint(&config(session), name, body, content_type, accept).map_err(err)
}

/// Deletes an endpoint with its configuration and model.
pub fn delete(session: &Session, name: &str) -> Result<()> {
    ipinsights_aws::delete_endpoint(&config(session), name, true).map(|_| ()).map_err(err)
}

/// Attaches to an existing training job, printing its log and waiting for it like the SDK if it is still
/// running; returns (model artifact URI, training seconds).
pub fn attach(session: &Session, job_name: &str) -> Result<(String, u64)> {
    let cfg = config(session);
    let summary =
        ipinsights_aws::wait_for_training_job_with_logs(&cfg, job_name, session.poll_interval, &mut print_fragment)
            .map_err(err)?;
    let artifact = summary
        .model_artifact
        .ok_or_else(|| WorkshopError::new(format!("training job {job_name} has no model artifact")))?;
    Ok((artifact, summary.training_seconds.unwrap_or(0).max(0) as u64))
}
