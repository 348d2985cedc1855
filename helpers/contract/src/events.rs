//! Job events: what `ipinsights train --events FILE` and `ipinsights transform --events FILE` report for
//! programs, one JSON line per event.
//!
//! A training job's event file holds [`TrainingEvent::Started`] once the channels are read, then exactly one of
//! [`TrainingEvent::Completed`] or [`TrainingEvent::Failed`] as its last line. A transform job's holds
//! [`TransformEvent::Started`], one [`TransformEvent::Object`] per output written, then
//! [`TransformEvent::Completed`] or [`TransformEvent::Failed`]. A file without a final event belongs to a process
//! that died (killed, out of memory): the reader of the file decides what that means.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{decode, encode, ContractError};

/// The events file of a local training job, in its job folder.
pub const EVENTS_FILE: &str = "events.jsonl";

/// A training channel as the job read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// The file read.
    pub path: PathBuf,
    /// Tuples read from it.
    pub tuples: u64,
    /// Rows skipped as invalid (only when the job was asked to skip them).
    pub skipped_rows: u64,
}

/// One event of a training job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainingEvent {
    /// The channels are read; training starts.
    Started {
        /// The train channel.
        train: ChannelSummary,
        /// The validation channel, if any.
        validation: Option<ChannelSummary>,
        /// All ten hyperparameters the job trains with, as SageMaker strings.
        hyperparameters: BTreeMap<String, String>,
    },
    /// The model is written: the job succeeded.
    Completed {
        /// Where the model was written: `model.ipinsights`, or when packing was asked for, the artifact
        /// `model.tar.gz` that holds it (as SageMaker's training output) and nothing beside it.
        model: PathBuf,
        /// Seconds spent training (reading the channels excluded).
        training_seconds: f64,
    },
    /// The job failed (the kind a program reads); `reason` is the error shown to people, never matched.
    Failed {
        /// Why.
        reason: String,
    },
}

impl TrainingEvent {
    /// Whether this event ends a job.
    pub fn is_final(&self) -> bool {
        matches!(self, TrainingEvent::Completed { .. } | TrainingEvent::Failed { .. })
    }
}

/// One event of a batch transform job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TransformEvent {
    /// The input objects are listed; scoring starts.
    Started {
        /// How many input objects the job reads.
        objects: u64,
    },
    /// One input object is transformed and its output written (atomically, never partially).
    Object {
        /// The input object.
        input: PathBuf,
        /// Its output, `{relative}.out` under the output folder.
        output: PathBuf,
        /// Records scored (one output record each).
        records: u64,
        /// Requests the records were batched into.
        requests: u64,
    },
    /// Every object is transformed: the job succeeded.
    Completed {
        /// Records scored over all objects.
        records: u64,
        /// Seconds spent transforming.
        seconds: f64,
    },
    /// The job failed (the kind a program reads); `reason` is the error shown to people, never matched.
    Failed {
        /// Why.
        reason: String,
    },
}

impl TransformEvent {
    /// Whether this event ends a job.
    pub fn is_final(&self) -> bool {
        matches!(self, TransformEvent::Completed { .. } | TransformEvent::Failed { .. })
    }
}

/// Writes events to a file, one flushed line each, so a reader sees every event as soon as it happened.
#[derive(Debug)]
pub struct EventWriter {
    file: std::fs::File,
}

impl EventWriter {
    /// Creates (or truncates) the events file.
    pub fn create(path: &Path) -> std::io::Result<EventWriter> {
        Ok(EventWriter { file: std::fs::File::create(path)? })
    }

    /// Appends one event ([`TrainingEvent`] or [`TransformEvent`]).
    pub fn emit<E: Serialize>(&mut self, event: &E) -> std::io::Result<()> {
        let mut line = encode(event);
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}

/// Every event of a training job's events file, in order; errors name the file and line.
pub fn read_events(path: &Path) -> Result<Vec<TrainingEvent>, ContractError> {
    read_lines(path)
}

/// Every event of a transform job's events file, in order; errors name the file and line.
pub fn read_transform_events(path: &Path) -> Result<Vec<TransformEvent>, ContractError> {
    read_lines(path)
}

fn read_lines<E: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<E>, ContractError> {
    let what = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ContractError::Io { what: what.clone(), source })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| decode(line, &format!("{what}, line {}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CONTRACT_VERSION;

    fn channel(tuples: u64) -> ChannelSummary {
        ChannelSummary { path: "train.csv".into(), tuples, skipped_rows: 0 }
    }

    #[test]
    fn events_round_trip_through_a_file_one_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(EVENTS_FILE);
        let events = vec![
            TrainingEvent::Started {
                train: channel(10),
                validation: None,
                hyperparameters: BTreeMap::from([("vector_dim".to_string(), "128".to_string())]),
            },
            TrainingEvent::Completed { model: "m.tar.gz".into(), training_seconds: 1.5 },
        ];
        let mut writer = EventWriter::create(&path).unwrap();
        for event in &events {
            writer.emit(event).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let prefix = format!("{{\"version\":{CONTRACT_VERSION},\"event\":");
        assert!(text.lines().all(|l| l.starts_with(&prefix)), "{text}");
        assert_eq!(read_events(&path).unwrap(), events);
        assert!(events[1].is_final() && !events[0].is_final());
    }

    #[test]
    fn transform_events_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transform-events.jsonl");
        let events = vec![
            TransformEvent::Started { objects: 1 },
            TransformEvent::Object {
                input: "in/t.csv".into(),
                output: "out/t.csv.out".into(),
                records: 3,
                requests: 1,
            },
            TransformEvent::Completed { records: 3, seconds: 0.25 },
        ];
        let mut writer = EventWriter::create(&path).unwrap();
        for event in &events {
            writer.emit(event).unwrap();
        }
        assert_eq!(read_transform_events(&path).unwrap(), events);
        assert!(events[2].is_final() && !events[1].is_final());
        // A training job's events are not a transform job's.
        assert!(read_events(&path).is_err());
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(EVENTS_FILE);
        let failed = encode(&TrainingEvent::Failed { reason: "no tuples".into() });
        let other = CONTRACT_VERSION + 1;
        std::fs::write(&path, format!("{failed}\n{{\"version\":{other},\"event\":\"failed\",\"reason\":\"x\"}}\n"))
            .unwrap();
        let err = read_events(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}, line 2 speaks version {other} of", path.display())), "{err}");
        std::fs::write(&path, format!("{failed}\nModel written to /tmp/m\n")).unwrap();
        let err = read_events(&path).unwrap_err().to_string();
        assert!(err.contains("line 2 is not a valid record"), "{err}");
        assert!(read_events(&dir.path().join("missing")).unwrap_err().to_string().starts_with("cannot read"));
    }
}
