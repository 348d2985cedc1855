//! GuardDuty findings → ⟨principal, IP⟩ tuples, whatever shape the findings arrive in.
//!
//! The entity of a finding is `resource.accessKeyDetails.principalId` before the first ':' under the engine's
//! entity rule, exactly as for CloudTrail: surrounding whitespace is not part of it, so `" alice"` is `alice`; a
//! missing principal id and a blank one (only whitespace, or nothing before ':') are counted skips of their own.

mod extract;
mod model;
mod outcome;
mod shape;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::Tuple;
use serde_json::Value;

use crate::error::{Result, SecurityError};
use crate::input::{list_files, named_stream, open_file};
use crate::skip::{FindingSkip, SkipCounts};
pub use extract::FindingTuple;
pub use model::Organization;
pub use outcome::{findings_in_value, FindingHeader, FindingResult};

/// The tuples read from GuardDuty findings, with what was read and skipped.
///
/// Invariant: `findings + skipped.get(NotAFinding) == findings_with_tuples + skipped.total()`.
#[derive(Clone, Debug, Default)]
pub struct GuardDutyExtract {
    /// Tuples in input order (one per remote IP; a PORT_PROBE finding gives one per probe detail).
    pub tuples: Vec<FindingTuple>,
    /// Files (or streams) read.
    pub files: usize,
    /// GuardDuty findings seen (other EventBridge events not included).
    pub findings: usize,
    /// Findings that gave at least one tuple.
    pub findings_with_tuples: usize,
    /// Findings (and foreign events) that gave no tuple, by reason.
    pub skipped: SkipCounts<FindingSkip>,
    /// Remote-IP details without a usable address inside findings that still gave other tuples.
    pub details_without_ip: usize,
    /// Files under input directories that were not read.
    pub ignored_files: Vec<PathBuf>,
}

impl GuardDutyExtract {
    /// The ⟨entity, IP⟩ pairs, in order (e.g. for the engine's `write_tuples`).
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = &Tuple> + '_ {
        self.tuples.iter().map(|t| &t.tuple)
    }
}

impl fmt::Display for GuardDutyExtract {
    /// `read 60 findings from 1 files: 45 tuples from 40 findings; skipped …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} findings from {} files: {} tuples from {} findings; {}",
            self.findings,
            self.files,
            self.tuples.len(),
            self.findings_with_tuples,
            self.skipped
        )?;
        if self.details_without_ip > 0 {
            write!(f, "; {} port-probe details without an IP", self.details_without_ip)?;
        }
        if !self.ignored_files.is_empty() {
            write!(f, "; ignored {} other files", self.ignored_files.len())?;
        }
        Ok(())
    }
}

/// True for finding files: `.json`, `.jsonl`, `.ndjson`, optionally gzipped.
pub fn is_findings_path(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".json", ".jsonl", ".ndjson"].iter().any(|ext| name.ends_with(ext))
}

/// Accumulates tuples from GuardDuty files, directories and streams in any supported shape.
#[derive(Debug, Default)]
pub struct GuardDutyReader {
    out: GuardDutyExtract,
}

impl GuardDutyReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a findings file (plain or gzip) or every findings file under a directory, in sorted order.
    pub fn add_path(&mut self, path: &Path) -> Result<()> {
        let (files, ignored) = list_files(path, is_findings_path)?;
        for file in files {
            self.add_stream(open_file(&file)?, &file.display().to_string())?;
        }
        self.out.ignored_files.extend(ignored);
        Ok(())
    }

    /// Reads findings from a stream: one JSON document or NDJSON, plain or gzip; `name` labels errors.
    pub fn add_reader<R: Read>(&mut self, reader: R, name: &str) -> Result<()> {
        let reader = named_stream(reader, name)?;
        self.add_stream(reader, name)
    }

    /// Parses every JSON value of the stream first, so a bad file adds nothing.
    fn add_stream<R: Read>(&mut self, reader: R, name: &str) -> Result<()> {
        let mut results = Vec::new();
        let values = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
        for (i, value) in values.enumerate() {
            let value = value.map_err(|e| SecurityError::from_json(name, "invalid JSON", e))?;
            let found = findings_in_value(value).map_err(|message| SecurityError::Shape {
                name: name.to_string(),
                item: i + 1,
                message,
            })?;
            results.extend(found);
        }
        self.out.files += 1;
        for result in results {
            self.add_result(result);
        }
        Ok(())
    }

    fn add_result(&mut self, result: FindingResult) {
        if !matches!(result.outcome, Err(FindingSkip::NotAFinding)) {
            self.out.findings += 1;
        }
        match result.outcome {
            Ok(tuples) => {
                self.out.findings_with_tuples += 1;
                self.out.details_without_ip += result.details_without_ip;
                self.out.tuples.extend(tuples);
            }
            Err(reason) => self.out.skipped.add(reason),
        }
    }

    /// The tuples and counts read so far.
    pub fn finish(self) -> GuardDutyExtract {
        self.out
    }
}

/// Reads tuples from a GuardDuty findings file or directory tree.
pub fn read_guardduty(path: &Path) -> Result<GuardDutyExtract> {
    let mut reader = GuardDutyReader::new();
    reader.add_path(path)?;
    Ok(reader.finish())
}
