//! A local batch transform job: an `ipinsights transform` process over the local buckets, its log streamed into
//! the cell, its outcome read from its contract events (`TransformEvent`), its outputs written where SageMaker
//! writes them (`{output_path}/{name}.out`).

use std::path::{Path, PathBuf};
use std::process::Command;

use ipinsights_contract::{read_transform_events, ContractError, TransformEvent};

use crate::backend::{Output, TransformJobRequest};
use crate::error::{ErrorKind, Result, WorkshopError};
use crate::local::job_process::run_streaming;

/// A transform job to run: its request, with every path resolved.
#[derive(Debug, Clone)]
pub struct TransformSpec<'a> {
    /// The job as requested (options with the SDK's names).
    pub request: &'a TransformJobRequest,
    /// The folder of the model (holding `model.tar.gz`).
    pub model_dir: PathBuf,
    /// The input: one file, or a folder of them.
    pub input: PathBuf,
    /// Where `{name}.out` files go.
    pub output_dir: PathBuf,
    /// The events file.
    pub events: PathBuf,
}

/// Runs the job with `binary`, streaming its log to `out`; the error is the job's failure reason.
pub fn run(binary: &Path, spec: &TransformSpec<'_>, out: Output<'_>) -> Result<()> {
    if let Some(parent) = spec.events.parent() {
        std::fs::create_dir_all(parent).map_err(|e| WorkshopError::io("create", parent, e))?;
    }
    let mut command = Command::new(binary);
    command.arg("transform").arg("--model-dir").arg(&spec.model_dir).arg("--input").arg(&spec.input);
    command.arg("--output-dir").arg(&spec.output_dir).arg("--events").arg(&spec.events);
    let (request, options) = (spec.request, &spec.request.options);
    command.args(["--content-type", request.content_type.as_str(), "--split-type", request.split_type.as_str()]);
    command.args(["--accept", &options.accept, "--strategy", options.strategy.as_str()]);
    command.args(["--max-payload", &options.max_payload.to_string()]);
    let ended = run_streaming(&mut command, "the transform process", out).map_err(WorkshopError::new)?;
    let last = match read_transform_events(&spec.events) {
        Ok(mut events) => events.pop(),
        Err(ContractError::Io { .. }) => None, // the process died before it wrote any event
        Err(e) => return Err(WorkshopError::new(e.to_string())),
    };
    let failed = |reason: String| {
        let message = format!("Error for Transform job {}: Failed. Reason: {reason}", spec.request.job_name);
        WorkshopError::of(ErrorKind::JobFailed { job_name: spec.request.job_name.clone(), reason }, message)
    };
    match last {
        Some(TransformEvent::Completed { .. }) if ended.exit.success() => Ok(()),
        Some(TransformEvent::Failed { reason }) => Err(failed(reason)),
        _ => Err(failed(format!(
            "the transform process ended ({}) without reporting its outcome; its last words: {}",
            ended.exit,
            ended.last_words()
        ))),
    }
}
