//! Records: what a local endpoint, training job or binary says about itself, as JSON objects.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ipinsights_sagemaker_facts::TrainingJobStatus;
use serde::{Deserialize, Serialize};

/// What `ipinsights serve --ready-file FILE` writes once its endpoint answers `/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyRecord {
    /// The endpoint's name (`/endpoints/{name}/invocations`).
    pub endpoint_name: String,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The server's process id.
    pub pid: u32,
}

/// A local training job as DescribeTrainingJob would describe it; the facade writes it when the job starts and
/// again when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// `TrainingJobName`.
    pub training_job_name: String,
    /// `TrainingJobStatus`.
    pub training_job_status: TrainingJobStatus,
    /// `FailureReason`, when it failed: text shown to people, never matched (the status says it failed).
    pub failure_reason: Option<String>,
    /// `HyperParameters`: the values given, as SageMaker strings.
    pub hyperparameters: BTreeMap<String, String>,
    /// `OutputDataConfig.S3OutputPath`.
    pub output_path: String,
    /// `ModelArtifacts.S3ModelArtifacts` (`{output_path}/{job}/output/model.tar.gz`), once the job completed.
    pub model_artifacts: Option<String>,
    /// `TrainingStartTime`, Unix seconds.
    pub training_start_time: i64,
    /// `TrainingEndTime`, Unix seconds, once the job ended.
    pub training_end_time: Option<i64>,
    /// `TrainingTimeInSeconds`, once the job ended.
    pub training_time_in_seconds: Option<u64>,
}

/// A local endpoint as DescribeEndpoint would describe it, plus where its server is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRecord {
    /// `EndpointName`.
    pub endpoint_name: String,
    /// The server's base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The server's process id (signalled only after checking it is still this endpoint's server).
    pub pid: u32,
    /// The model folder it serves.
    pub model_dir: PathBuf,
    /// `CreationTime`, Unix seconds.
    pub creation_time: i64,
}

/// What `ipinsights contract` prints: the binary's contract version (in the envelope) and its package version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractInfo {
    /// The `ipinsights-cli` package version the binary was built from.
    pub package_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, encode};

    #[test]
    fn job_records_read_like_describe_training_job() {
        let record = JobRecord {
            training_job_name: "ipinsights-2019-12-16-23-48-18-052".into(),
            training_job_status: TrainingJobStatus::Completed,
            failure_reason: None,
            hyperparameters: BTreeMap::from([("vector_dim".into(), "128".into())]),
            output_path: "s3://bucket/prefix/output".into(),
            model_artifacts: Some(
                "s3://bucket/prefix/output/ipinsights-2019-12-16-23-48-18-052/output/model.tar.gz".into(),
            ),
            training_start_time: 1_576_540_098,
            training_end_time: Some(1_576_540_169),
            training_time_in_seconds: Some(71),
        };
        let json = encode(&record);
        assert!(json.contains("\"training_job_status\":\"Completed\""), "{json}");
        assert_eq!(decode::<JobRecord>(&json, "job.json").unwrap(), record);
        let odd = json.replace("\"Completed\"", "\"Finished\"");
        assert!(decode::<JobRecord>(&odd, "job.json").unwrap_err().to_string().contains("Finished"));
    }
}
