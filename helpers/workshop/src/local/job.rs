//! A local training job: an `ipinsights train` process whose log is streamed into the cell in the SDK's format,
//! whose outcome comes from its contract events, and whose artifact lands where SageMaker puts it
//! (`{output_path}/{job}/output/model.tar.gz`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use ipinsights_contract::{read_events, read_record, ContractError, JobRecord, TrainingEvent, EVENTS_FILE};
use ipinsights_sagemaker_facts::utc::{log_time, unix_millis};
use ipinsights_sagemaker_facts::{HyperParameters, TrainingJobStatus};

use crate::backend::Output;
use crate::error::{ErrorKind, Missing, Result, WorkshopError};
use crate::local::job_process::run_streaming;

/// A job to run, with every path resolved.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The job's name.
    pub name: String,
    /// The train channel's file.
    pub train: PathBuf,
    /// The validation channel's file, if any.
    pub validation: Option<PathBuf>,
    /// The job's folder, `{output_path}/{name}` (holds `output/` and the events file).
    pub job_dir: PathBuf,
    /// `{output_path}` as an S3 URI, for the record.
    pub output_path: String,
    /// The hyperparameters.
    pub hyperparameters: HyperParameters,
    /// Where the job's record goes (`{root}/training-jobs/{name}.json`).
    pub record: PathBuf,
}

impl JobSpec {
    /// The folder the model is written to.
    pub fn model_dir(&self) -> PathBuf {
        self.job_dir.join("output")
    }

    /// `ModelArtifacts.S3ModelArtifacts`.
    pub fn model_artifacts(&self) -> String {
        format!("{}/{}/output/model.tar.gz", self.output_path.trim_end_matches('/'), self.name)
    }
}

/// Writes one SDK-style status line: `YYYY-MM-DD HH:MM:SS {status} - {message}`.
fn status(out: Output<'_>, status: &str, message: &str) {
    out(&format!("{} {status} - {message}\n", log_time(SystemTime::now())));
}

/// Runs the job with `binary`, streaming its log to `out`; returns its final record (Completed), or the
/// failure, which is also recorded.
pub fn run(binary: &Path, spec: &JobSpec, out: Output<'_>) -> Result<JobRecord> {
    let started = Instant::now();
    let model_dir = spec.model_dir();
    std::fs::create_dir_all(&model_dir).map_err(|e| WorkshopError::io("create", &model_dir, e))?;
    let mut record = JobRecord {
        training_job_name: spec.name.clone(),
        training_job_status: TrainingJobStatus::InProgress,
        failure_reason: None,
        hyperparameters: spec.hyperparameters.to_request_map(),
        output_path: spec.output_path.clone(),
        model_artifacts: None,
        training_start_time: unix_millis(SystemTime::now()).0,
        training_end_time: None,
        training_time_in_seconds: None,
    };
    write_record(&spec.record, &record)?;
    status(out, "Starting", "Starting the training job...");
    let events = spec.job_dir.join(EVENTS_FILE);
    let outcome = train(binary, spec, &events, out);
    let seconds = started.elapsed().as_secs().max(1);
    record.training_end_time = Some(unix_millis(SystemTime::now()).0);
    record.training_time_in_seconds = Some(seconds);
    match outcome {
        Ok(()) => {
            status(out, "Completed", "Training job completed");
            out(&format!("Training seconds: {seconds}\nBillable seconds: 0 (local backend)\n"));
            record.training_job_status = TrainingJobStatus::Completed;
            record.model_artifacts = Some(spec.model_artifacts());
            write_record(&spec.record, &record)?;
            Ok(record)
        }
        Err(reason) => {
            status(out, "Failed", "Training job failed");
            record.training_job_status = TrainingJobStatus::Failed;
            record.failure_reason = Some(reason.clone());
            write_record(&spec.record, &record)?;
            let message = format!("training job {} failed: {reason}", spec.name);
            Err(WorkshopError::of(ErrorKind::JobFailed { job_name: spec.name.clone(), reason }, message))
        }
    }
}

/// Runs `ipinsights train` and reads its outcome from its events; the error is the failure reason.
fn train(binary: &Path, spec: &JobSpec, events: &Path, out: Output<'_>) -> Result<(), String> {
    let mut command = Command::new(binary);
    command.arg("train").arg("--train").arg(&spec.train).arg("--model-dir").arg(spec.model_dir());
    command.arg("--pack").arg("--events").arg(events);
    if let Some(v) = &spec.validation {
        command.arg("--validation").arg(v);
    }
    for (k, v) in spec.hyperparameters.to_request_map() {
        command.arg("--hp").arg(format!("{k}={v}"));
    }
    status(out, "Training", "Training on this machine: an `ipinsights train` process reads the channels in place");
    let ended = run_streaming(&mut command, "the training process", out)?;
    let last = match read_events(events) {
        Ok(mut read) => read.pop(),
        Err(ContractError::Io { .. }) => None, // the process died before it wrote any event
        Err(e) => return Err(e.to_string()),
    };
    match last {
        Some(TrainingEvent::Completed { model: artifact, .. }) if ended.exit.success() => {
            let expected = spec.model_dir().join("model.tar.gz");
            if artifact != expected {
                return Err(format!(
                    "the job reported its artifact at {}, not {}",
                    artifact.display(),
                    expected.display()
                ));
            }
            for line in ended.stderr.lines().filter(|l| !l.trim().is_empty()) {
                out(&format!("{line}\n")); // e.g. how many invalid rows were skipped
            }
            Ok(())
        }
        Some(TrainingEvent::Failed { reason }) => Err(reason),
        _ => Err(format!(
            "the training process ended ({}) without reporting its outcome; its last words: {}",
            ended.exit,
            ended.last_words()
        )),
    }
}

/// Writes a job record atomically.
fn write_record(path: &Path, record: &JobRecord) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| WorkshopError::io("create", parent, e))?;
    }
    let json = ipinsights_contract::encode(record);
    ipinsights_engine::atomic::write_atomically(path, |w| std::io::Write::write_all(w, json.as_bytes()))
        .map_err(|e| WorkshopError::io("write the job record", path, e))
}

/// The record of a job, if there is one.
pub fn find(path: &Path, job_name: &str) -> Result<JobRecord> {
    if !path.is_file() {
        let message = format!("no training job {job_name} on the local backend");
        return Err(WorkshopError::not_found(Missing::TrainingJob, job_name, message));
    }
    read_record(path).map_err(|e| WorkshopError::context(format!("training job {job_name}"), e))
}
