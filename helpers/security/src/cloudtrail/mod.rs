//! CloudTrail log files → ⟨principal, IP⟩ tuples.
//!
//! Per record: `sourceIPAddress` is classified first (an address, else `AWS Internal`, a service name or not an
//! address: each a counted skip), then the entity is `userIdentity.principalId` before the first ':' under the
//! engine's entity rule — surrounding whitespace is not part of it, so `" alice"` is `alice`; a missing principal
//! id and a blank one (only whitespace, or nothing before ':') are counted skips of their own.

mod record;

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::Tuple;
use rayon::prelude::*;

use crate::address::classify_source;
use crate::error::{Result, SecurityError};
use crate::input::{list_files, named_stream, open_file};
use crate::principal::entity_of;
use crate::skip::{SkipCounts, SkipReason};
use record::{LogFile, Record};

/// Whether to keep one tuple per event or only the first event of each (entity, IP) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TupleMode {
    /// One tuple per event (what IP Insights prefers: frequency is signal).
    #[default]
    AllEvents,
    /// Each (entity, IP) pair once, in first-seen order (what the workshop did).
    UniquePairs,
}

/// One ⟨entity, IP⟩ observation from CloudTrail, with its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudTrailTuple {
    /// The pair: `userIdentity.principalId` before the first ':' (under the entity rule), and `sourceIPAddress`
    /// (IPv4-mapped IPv6 turned into IPv4).
    pub tuple: Tuple,
    /// `eventTime` as written in the log (ISO-8601, UTC), if present.
    pub event_time: Option<String>,
}

/// The tuples read from CloudTrail, with what was read and skipped.
#[derive(Clone, Debug, Default)]
pub struct CloudTrailExtract {
    /// Tuples in input order (sorted file path order, then record order).
    pub tuples: Vec<CloudTrailTuple>,
    /// Log files (or streams) read.
    pub files: usize,
    /// Records read.
    pub records: usize,
    /// Records that produced no tuple, by reason.
    pub skipped: SkipCounts<SkipReason>,
    /// Distinct (entity, IP) pairs among all usable records.
    pub unique_pairs: usize,
    /// Usable records dropped as repeats of an earlier pair (only in `UniquePairs` mode).
    pub duplicates: usize,
    /// Files under the input directories that were not read (wrong name, digest files).
    pub ignored_files: Vec<PathBuf>,
}

impl CloudTrailExtract {
    /// The ⟨entity, IP⟩ pairs, in order (e.g. for the engine's `write_tuples`).
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = &Tuple> + '_ {
        self.tuples.iter().map(|t| &t.tuple)
    }
}

impl fmt::Display for CloudTrailExtract {
    /// `read 2900 records from 56 files: 2547 tuples (13 unique pairs, 0 duplicates dropped); skipped …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} records from {} files: {} tuples ({} unique pairs, {} duplicates dropped); {}",
            self.records,
            self.files,
            self.tuples.len(),
            self.unique_pairs,
            self.duplicates,
            self.skipped
        )?;
        if !self.ignored_files.is_empty() {
            write!(f, "; ignored {} other files", self.ignored_files.len())?;
        }
        Ok(())
    }
}

/// True for names CloudTrail delivers (`.json`, `.json.gz`, `.gz`) outside `CloudTrail-Digest` folders.
pub fn is_cloudtrail_log_path(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let digest = path.components().any(|c| c.as_os_str() == "CloudTrail-Digest");
    !digest && (name.ends_with(".json") || name.ends_with(".gz"))
}

/// Accumulates tuples from any number of CloudTrail files, directory trees and streams.
#[derive(Debug, Default)]
pub struct CloudTrailReader {
    mode: TupleMode,
    seen: HashSet<Tuple>,
    out: CloudTrailExtract,
}

impl CloudTrailReader {
    /// A reader producing tuples in the given mode.
    pub fn new(mode: TupleMode) -> Self {
        CloudTrailReader { mode, ..Self::default() }
    }

    /// Reads a log file (`.json` or gzip, detected by content) or every log file under a directory, recursively in
    /// sorted path order.
    ///
    /// Files are decompressed and parsed on all cores, [`PARSE_BATCH`] at a time, and added in path order: the
    /// tuples, counts and the first error are those of reading the files one by one.
    pub fn add_path(&mut self, path: &Path) -> Result<()> {
        let (files, ignored) = list_files(path, is_cloudtrail_log_path)?;
        for batch in files.chunks(PARSE_BATCH) {
            let logs: Vec<Result<LogFile>> =
                batch.par_iter().map(|file| parse_log(open_file(file)?, &file.display().to_string())).collect();
            for log in logs {
                self.add_log(log?);
            }
        }
        self.out.ignored_files.extend(ignored);
        Ok(())
    }

    /// Reads one log file from a stream (plain or gzip JSON); `name` labels errors.
    pub fn add_reader<R: Read>(&mut self, reader: R, name: &str) -> Result<()> {
        let reader = named_stream(reader, name)?;
        self.add_log(parse_log(reader, name)?);
        Ok(())
    }

    fn add_log(&mut self, log: LogFile) {
        self.out.files += 1;
        for record in log.records {
            self.add_record(record);
        }
    }

    fn add_record(&mut self, record: Record) {
        self.out.records += 1;
        let ip = match classify_source(record.source_ip_address.as_deref()) {
            Ok(ip) => ip,
            Err(reason) => return self.out.skipped.add(reason),
        };
        let principal = record.user_identity.and_then(|u| u.principal_id);
        let entity = match entity_of(principal.as_deref()) {
            Ok(entity) => entity,
            Err(reason) => return self.out.skipped.add(reason.into()),
        };
        let tuple = Tuple::new(entity, ip);
        let new_pair = self.seen.insert(tuple.clone());
        if new_pair {
            self.out.unique_pairs += 1;
        } else if self.mode == TupleMode::UniquePairs {
            self.out.duplicates += 1;
            return;
        }
        self.out.tuples.push(CloudTrailTuple { tuple, event_time: record.event_time });
    }

    /// The tuples and counts read so far.
    pub fn finish(self) -> CloudTrailExtract {
        self.out
    }
}

/// Log files [`CloudTrailReader::add_path`] parses at once: enough to keep every core busy, few enough that the
/// parsed files waiting to be added stay small.
pub const PARSE_BATCH: usize = 64;

/// One log file's records; `name` labels errors.
///
/// The file is decompressed into memory first and parsed from there: serde_json parses a slice several times
/// faster than a stream (the records are held in memory either way).
fn parse_log<R: Read>(mut reader: R, name: &str) -> Result<LogFile> {
    let mut bytes = Vec::new();
    if let Err(source) = reader.read_to_end(&mut bytes) {
        return Err(SecurityError::read_failed(name, &bytes, source));
    }
    serde_json::from_slice(&bytes).map_err(|e| SecurityError::from_json(name, "not a CloudTrail log file", e))
}

/// Reads tuples from a CloudTrail log file or directory tree.
pub fn read_cloudtrail(path: &Path, mode: TupleMode) -> Result<CloudTrailExtract> {
    let mut reader = CloudTrailReader::new(mode);
    reader.add_path(path)?;
    Ok(reader.finish())
}
