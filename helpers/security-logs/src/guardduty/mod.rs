//! GuardDuty findings → ⟨principal, IP⟩ tuples, whatever shape the findings arrive in.
//!
//! The entity of a finding is `resource.accessKeyDetails` under the one entity rule
//! ([`entity_of`](crate::principal::entity_of)), exactly as for CloudTrail: the principal id, whole, except that a
//! role session counts as its role unless the role is IAM Identity Center's; surrounding whitespace is not part of
//! it, so `" alice"` is `alice`; a missing principal id and a blank one (only whitespace, or nothing before ':') are
//! counted skips of their own.
//!
//! Inputs are read as streams, one finding at a time ([`stream_findings`]), bounded by the input limits
//! ([`MAX_DECOMPRESSED_BYTES`](crate::MAX_DECOMPRESSED_BYTES), [`MAX_COMPRESSION_RATIO`](crate::MAX_COMPRESSION_RATIO),
//! [`MAX_FINDING_BYTES`]): what a file costs in memory is its tuples, never the document.

mod extract;
mod model;
mod outcome;
mod shape;
mod stream;

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::Tuple;

use crate::error::{Result, SecurityError};
use crate::input::{list_files, named_stream, open_file};
use crate::skip::{FindingSkip, SkipCounts};
pub use extract::FindingTuple;
pub use model::Organization;
pub use outcome::{findings_in_value, FindingHeader, FindingResult, FindingScope};
pub use stream::{stream_findings, StreamEvent, MAX_FINDING_BYTES};

/// The tuples read from GuardDuty findings, with what was read and skipped.
///
/// Invariant: `findings + skipped.get(NotAFinding) == findings_with_tuples + skipped.total()`.
#[derive(Clone, Debug, Default)]
pub struct GuardDutyExtract {
    /// Tuples in input order (one per remote IP; a PORT_PROBE finding gives one per probe detail), with their
    /// finding's context; empty in a pairs-only read ([`GuardDutyReader::pairs_only`]).
    pub tuples: Vec<FindingTuple>,
    /// The pairs of a pairs-only read ([`GuardDutyReader::pairs_only`]), in input order, without their context
    /// (empty otherwise).
    pub bare_pairs: Vec<Tuple>,
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
    /// Findings with tuples whose entity is a role session counted as its role: the entity rule's merges.
    pub role_sessions_folded: usize,
    /// Files under input directories that were not read.
    pub ignored_files: Vec<PathBuf>,
}

impl GuardDutyExtract {
    /// The ⟨entity, IP⟩ pairs, in order (e.g. for the engine's `write_tuples`), of a full or a pairs-only read.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = &Tuple> + '_ {
        Pairs { with_context: self.tuples.iter(), bare: self.bare_pairs.iter() }
    }

    /// Tuples read, with or without their context.
    pub fn tuple_count(&self) -> usize {
        self.tuples.len() + self.bare_pairs.len()
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
            self.tuple_count(),
            self.findings_with_tuples,
            self.skipped
        )?;
        if self.role_sessions_folded > 0 {
            write!(f, "; {} role-session findings counted as their role", self.role_sessions_folded)?;
        }
        if self.details_without_ip > 0 {
            write!(f, "; {} port-probe details without an IP", self.details_without_ip)?;
        }
        if !self.ignored_files.is_empty() {
            write!(f, "; ignored {} other files", self.ignored_files.len())?;
        }
        Ok(())
    }
}

/// [`GuardDutyExtract::pairs`]: the pairs with context, then the bare ones (one of the two is empty).
struct Pairs<'a> {
    with_context: std::slice::Iter<'a, FindingTuple>,
    bare: std::slice::Iter<'a, Tuple>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = &'a Tuple;

    fn next(&mut self) -> Option<&'a Tuple> {
        self.with_context.next().map(|t| &t.tuple).or_else(|| self.bare.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.with_context.len() + self.bare.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

impl GuardDutyExtract {
    fn add_result(&mut self, result: FindingResult, pairs_only: bool) {
        if !matches!(result.outcome, Err(FindingSkip::NotAFinding)) {
            self.findings += 1;
        }
        match result.outcome {
            Ok(tuples) => {
                self.findings_with_tuples += 1;
                self.details_without_ip += result.details_without_ip;
                self.role_sessions_folded += usize::from(result.session_folded);
                if pairs_only {
                    self.bare_pairs.extend(tuples.into_iter().map(|t| t.tuple));
                } else {
                    self.tuples.extend(tuples);
                }
            }
            Err(reason) => self.skipped.add(reason),
        }
    }

    fn merge(&mut self, other: GuardDutyExtract) {
        self.tuples.extend(other.tuples);
        self.bare_pairs.extend(other.bare_pairs);
        self.files += other.files;
        self.findings += other.findings;
        self.findings_with_tuples += other.findings_with_tuples;
        self.skipped.merge(&other.skipped);
        self.details_without_ip += other.details_without_ip;
        self.role_sessions_folded += other.role_sessions_folded;
        self.ignored_files.extend(other.ignored_files);
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
    pairs_only: bool,
    scope: FindingScope,
}

impl GuardDutyReader {
    /// An empty reader keeping each tuple with its finding's context.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty reader keeping only the ⟨entity, IP⟩ pairs ([`GuardDutyExtract::bare_pairs`]), a small fraction of
    /// what the tuples with their context cost: what a tuple file needs.
    pub fn pairs_only() -> Self {
        GuardDutyReader { pairs_only: true, ..Self::default() }
    }

    /// Which findings are read besides live ones (by default archived and sample findings are skipped, counted).
    pub fn with_scope(mut self, scope: FindingScope) -> Self {
        self.scope = scope;
        self
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

    /// Reads the stream one finding at a time, adding its findings only once all are read, so a bad file adds
    /// nothing.
    fn add_stream<R: Read>(&mut self, reader: R, name: &str) -> Result<()> {
        let mut file = GuardDutyExtract { files: 1, ..GuardDutyExtract::default() };
        let (mut shape_error, pairs_only, scope) = (None, self.pairs_only, self.scope);
        let streamed = stream_findings(reader, &mut |event| match event {
            StreamEvent::Findings { results: Ok(results), .. } => {
                results.into_iter().for_each(|result| file.add_result(result.within(scope), pairs_only));
                ControlFlow::Continue(())
            }
            StreamEvent::Findings { item, results: Err(message) } => {
                shape_error = Some(SecurityError::Shape { name: name.to_string(), item, message });
                ControlFlow::Break(())
            }
            StreamEvent::ValueEnd { .. } => ControlFlow::Continue(()),
        });
        if let Some(error) = shape_error {
            return Err(error);
        }
        streamed.map_err(|e| SecurityError::from_json(name, "invalid JSON", e))?;
        self.out.merge(file);
        Ok(())
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
