//! A local training job: the `ipinsights train` process, its log streamed SDK-style, its artifact where
//! SageMaker puts it (`{output_path}/{job}/output/model.tar.gz`).

use crate::clock::log_timestamp;
use crate::error::{Result, WorkshopError};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

/// What to train.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// Training job name.
    pub name: String,
    /// The train channel's file.
    pub train: PathBuf,
    /// The validation channel's file, if any.
    pub validation: Option<PathBuf>,
    /// The job's folder: `{output_path}/{name}`.
    pub job_dir: PathBuf,
    /// Hyperparameters (SageMaker strings, already validated).
    pub hyperparameters: BTreeMap<String, String>,
}

/// A finished job.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// `{job_dir}/output` (holds model.ipinsights and model.tar.gz).
    pub model_dir: PathBuf,
    /// Wall-clock seconds of the job.
    pub training_seconds: u64,
}

fn status(out: &mut dyn FnMut(&str), status: &str, message: &str) {
    out(&format!("{} {status} - {message}", log_timestamp(SystemTime::now())));
}

/// Runs the job with `binary`, sending every line for the user to `out`.
pub fn run(binary: &Path, spec: &JobSpec, out: &mut dyn FnMut(&str)) -> Result<JobOutcome> {
    let started = Instant::now();
    let model_dir = spec.job_dir.join("output");
    std::fs::create_dir_all(&model_dir)?;
    status(out, "Starting", "Starting the training job...");
    status(out, "Starting", "Launching requested ML instances (local process)");
    let mut command = Command::new(binary);
    command.arg("train").arg("--train").arg(&spec.train).arg("--model-dir").arg(&model_dir).arg("--pack");
    if let Some(v) = &spec.validation {
        command.arg("--validation").arg(v);
    }
    for (k, v) in &spec.hyperparameters {
        command.arg("--hp").arg(format!("{k}={v}"));
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| WorkshopError::context(format!("cannot start {}", binary.display()), e))?;
    status(out, "Training", "Training image download completed. Training in progress.");
    let mut stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        if !line.starts_with("Model written to") && !line.starts_with("Artifact written to") {
            out(&line);
        }
    }
    let exit = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    if !exit.success() {
        status(out, "Failed", "Training job failed");
        let reason = errors
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("the training process failed")
            .trim_start_matches("error: ");
        write_description(spec, "Failed", started.elapsed().as_secs(), Some(reason))?;
        return Err(WorkshopError::new(format!("training job {} failed: {reason}", spec.name)));
    }
    for line in errors.lines().filter(|l| !l.trim().is_empty()) {
        out(line); // e.g. how many invalid rows were skipped
    }
    status(out, "Uploading", "Uploading generated training model");
    status(out, "Completed", "Training job completed");
    let training_seconds = started.elapsed().as_secs().max(1);
    write_description(spec, "Completed", training_seconds, None)?;
    out(&format!("Training seconds: {training_seconds}"));
    out("Billable seconds: 0 (local backend)");
    Ok(JobOutcome { model_dir, training_seconds })
}

/// Writes `{job_dir}/job.json`: what DescribeTrainingJob would say.
fn write_description(spec: &JobSpec, status: &str, seconds: u64, failure: Option<&str>) -> Result<()> {
    let description = serde_json::json!({
        "TrainingJobName": spec.name,
        "TrainingJobStatus": status,
        "FailureReason": failure,
        "HyperParameters": spec.hyperparameters,
        "TrainingTimeInSeconds": seconds,
        "ModelArtifacts": { "S3ModelArtifacts": spec.job_dir.join("output").join("model.tar.gz") },
    });
    let path = spec.job_dir.join("job.json");
    ipinsights_engine::atomic::write_atomically(&path, |w| {
        serde_json::to_writer_pretty(w, &description).map_err(std::io::Error::other)
    })?;
    Ok(())
}
