//! The process contract between the notebook facade (`ipinsights-workshop`) and the `ipinsights` binary.
//!
//! The local backend mirrors SageMaker: a training job is an `ipinsights train` process, an endpoint an
//! `ipinsights serve` process, and the facade is the control plane that starts them and records what a
//! Describe* call would say. Everything that crosses the process boundary, or stays on disk for another kernel,
//! is one of the serde types below, never text to be matched:
//!
//! | type | written by | read by | form |
//! |---|---|---|---|
//! | [`TrainingEvent`] | `ipinsights train --events FILE` | the facade; the emulated AWS account | JSON lines, one event per line |
//! | [`TransformEvent`] | `ipinsights transform --events FILE` | the facade; the emulated AWS account | JSON lines, one event per line |
//! | [`ReadyRecord`] | `ipinsights serve --ready-file FILE`, once `/ping` answers | the facade; the emulated AWS account | one JSON object, written atomically |
//! | [`JobRecord`] | the facade (the local DescribeTrainingJob) | the facade (`fit`, `attach`) | `{output_path}/{job}/job.json` |
//! | [`EndpointRecord`] | the facade (the local DescribeEndpoint) | the facade (`Predictor::attach`, delete) | `{root}/endpoints/{name}.json` |
//! | [`ContractInfo`] | `ipinsights contract` | the facade, to refuse a binary that speaks another version | one JSON object on stdout |
//!
//! What a program may read is typed: an event's kind, a status, names, paths, counts, times. Text for people sits
//! in fields named for it and nowhere else: a failure's `reason` ([`TrainingEvent::Failed`],
//! [`TransformEvent::Failed`]) and [`JobRecord`]'s `failure_reason` (SageMaker's `FailureReason`) are shown
//! verbatim, never matched; that a job failed is the event's kind or the record's status. Humans also read the
//! binary's stdout (SageMaker-format log lines: the text SageMaker's CloudWatch log would hold, shown verbatim in
//! the notebook) and its stderr (errors); no program parses either.
//!
//! Versioning: every JSON object above carries `"version": CONTRACT_VERSION` (see [`encode`]). A reader checks
//! the version before anything else and refuses any other with [`ContractError::UnsupportedVersion`]; the
//! version is bumped whenever a type here changes incompatibly.

mod events;
mod records;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use events::{
    read_events, read_transform_events, ChannelSummary, EventWriter, TrainingEvent, TransformEvent, EVENTS_FILE,
};
pub use records::{ContractInfo, EndpointRecord, JobRecord, ReadyRecord};

/// The version of this contract; every record and event line carries it.
pub const CONTRACT_VERSION: u32 = 2;

/// A record or event that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// Written by a binary or facade that speaks another version of the contract.
    #[error(
        "{what} speaks version {found} of the ipinsights process contract, this build speaks version \
         {CONTRACT_VERSION}"
    )]
    UnsupportedVersion {
        /// What was read (a file, a line of a file, a command's output).
        what: String,
        /// The version it carries.
        found: u32,
    },
    /// Not JSON of the expected shape (or no `version` at all).
    #[error("{what} is not a valid record of the ipinsights process contract: {source}")]
    Malformed {
        /// What was read.
        what: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The file could not be read.
    #[error("cannot read {what}: {source}")]
    Io {
        /// What was read.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// A value with the contract's version beside its own fields.
#[derive(Serialize, Deserialize)]
struct Versioned<T> {
    version: u32,
    #[serde(flatten)]
    value: T,
}

/// The version field alone, read before anything else.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// `value` as one line of JSON with `"version": CONTRACT_VERSION` (no trailing newline).
pub fn encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(&Versioned { version: CONTRACT_VERSION, value })
        .expect("contract types serialise to JSON: string keys, no non-finite numbers")
}

/// Reads a value written by [`encode`]; `what` names it in errors (e.g. the file). The version is checked first.
pub fn decode<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, ContractError> {
    let malformed = |source| ContractError::Malformed { what: what.into(), source };
    let VersionOnly { version } = serde_json::from_str(json).map_err(malformed)?;
    if version != CONTRACT_VERSION {
        return Err(ContractError::UnsupportedVersion { what: what.into(), found: version });
    }
    let Versioned::<T> { value, .. } = serde_json::from_str(json).map_err(malformed)?;
    Ok(value)
}

/// Reads and decodes a record file.
pub fn read_record<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, ContractError> {
    let what = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ContractError::Io { what: what.clone(), source })?;
    decode(&text, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_carries_the_version_and_other_versions_are_refused() {
        let ready = ReadyRecord { endpoint_name: "e".into(), url: "http://127.0.0.1:1".into(), pid: 42 };
        let json = encode(&ready);
        assert!(json.starts_with(&format!("{{\"version\":{CONTRACT_VERSION},")), "{json}");
        assert_eq!(decode::<ReadyRecord>(&json, "ready.json").unwrap(), ready);

        let future = json.replacen(&format!("\"version\":{CONTRACT_VERSION}"), "\"version\":99", 1);
        let err = decode::<ReadyRecord>(&future, "ready.json").unwrap_err();
        assert!(matches!(err, ContractError::UnsupportedVersion { found: 99, .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!("ready.json speaks version 99 of the ipinsights process contract, this build speaks version {CONTRACT_VERSION}")
        );
        // A version mismatch is reported even when the rest would not parse.
        let err = decode::<ReadyRecord>(r#"{"version": 0, "url": 7}"#, "x").unwrap_err();
        assert!(matches!(err, ContractError::UnsupportedVersion { found: 0, .. }), "{err}");
    }

    #[test]
    fn unversioned_or_malformed_objects_are_errors() {
        let legacy = r#"{"url": "http://127.0.0.1:1", "name": "e", "pid": 42}"#;
        let err = decode::<ReadyRecord>(legacy, "ready.json").unwrap_err().to_string();
        assert!(err.starts_with("ready.json is not a valid record") && err.contains("version"), "{err}");
        let err = decode::<ReadyRecord>(&format!(r#"{{"version": {CONTRACT_VERSION}, "url": "u"}}"#), "r")
            .unwrap_err()
            .to_string();
        assert!(err.contains("endpoint_name"), "{err}");
        assert!(decode::<ReadyRecord>("not json", "r").is_err());
    }
}
