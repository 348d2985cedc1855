//! CloudTrail log files → ⟨principal, IP⟩ tuples.
//!
//! Per record: `sourceIPAddress` is classified first (an address, else `AWS Internal`, a service name or not an
//! address: each a counted skip), then the entity is `userIdentity` under the one entity rule
//! ([`entity_of`]): the principal id, whole, except that a role session counts as its
//! role (`AROA…:session` → `AROA…`) unless the role is IAM Identity Center's; surrounding whitespace is not part of
//! it, so `" alice"` is `alice`; a missing principal id and a blank one (only whitespace, or nothing before ':') are
//! counted skips of their own, and role sessions folded into their role are counted too.
//!
//! Files are read as streams, one record at a time, bounded by the input limits
//! ([`MAX_DECOMPRESSED_BYTES`](crate::MAX_DECOMPRESSED_BYTES), [`MAX_COMPRESSION_RATIO`](crate::MAX_COMPRESSION_RATIO)):
//! what a file costs in memory is the tuples it gives, never the document.

mod record;

use std::collections::HashSet;
use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::Tuple;
use rayon::prelude::*;

use crate::address::classify_source;
use crate::error::{Result, SecurityError};
use crate::input::{list_files, named_stream, open_file};
use crate::principal::{entity_of, role_name_of_session_arn, Identity};
use crate::skip::{SkipCounts, SkipReason};
use record::{for_each_record, Record};

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
    /// The pair: the entity of `userIdentity` under the one entity rule (the principal id; a role session's role
    /// unless it is IAM Identity Center's), and `sourceIPAddress` (IPv4-mapped IPv6 turned into IPv4).
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
    /// Usable records of role sessions counted as their role (`AROA…:session` → `AROA…`): the entity rule's merges.
    pub role_sessions_folded: usize,
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
    /// `read 2900 records from 56 files: 2547 tuples (13 unique pairs, 0 duplicates dropped); skipped …; 1900
    /// role-session records counted as their role`.
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
        if self.role_sessions_folded > 0 {
            write!(f, "; {} role-session records counted as their role", self.role_sessions_folded)?;
        }
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
            let logs: Vec<Result<FileTuples>> =
                batch.par_iter().map(|file| parse_log(open_file(file)?, &file.display().to_string())).collect();
            for log in logs {
                self.add_log(log?);
            }
        }
        self.out.ignored_files.extend(ignored);
        Ok(())
    }

    /// Reads one log file from a stream (plain or gzip JSON, bounded like files); `name` labels errors.
    pub fn add_reader<R: Read>(&mut self, reader: R, name: &str) -> Result<()> {
        let reader = named_stream(reader, name)?;
        self.add_log(parse_log(reader, name)?);
        Ok(())
    }

    fn add_log(&mut self, log: FileTuples) {
        self.out.files += 1;
        self.out.records += log.records;
        self.out.skipped.merge(&log.skipped);
        self.out.role_sessions_folded += log.role_sessions_folded;
        for tuple in log.tuples {
            let new_pair = self.seen.insert(tuple.tuple.clone());
            if new_pair {
                self.out.unique_pairs += 1;
            } else if self.mode == TupleMode::UniquePairs {
                self.out.duplicates += 1;
                continue;
            }
            self.out.tuples.push(tuple);
        }
    }

    /// Records read so far (usable or skipped).
    pub fn records(&self) -> usize {
        self.out.records
    }

    /// The tuples and counts read so far.
    pub fn finish(self) -> CloudTrailExtract {
        self.out
    }
}

/// Log files [`CloudTrailReader::add_path`] parses at once: enough to keep every core busy, few enough that the
/// parsed files waiting to be added stay small.
pub const PARSE_BATCH: usize = 64;

/// Decompressed bytes of a log file parsed from memory (serde_json parses a slice several times faster than a
/// stream); larger files are parsed as streams. Either way one record at a time: only the tuples are kept.
const IN_MEMORY_BYTES: u64 = 8 << 20;

/// What one log file gave: its tuples in record order, and its counts.
#[derive(Debug, Default)]
struct FileTuples {
    records: usize,
    skipped: SkipCounts<SkipReason>,
    role_sessions_folded: usize,
    tuples: Vec<CloudTrailTuple>,
}

impl FileTuples {
    /// Turns one record into its tuple or its skip reason; the record is dropped here.
    fn add(&mut self, record: Record) {
        self.records += 1;
        let ip = match classify_source(record.source_ip_address.as_deref()) {
            Ok(ip) => ip,
            Err(reason) => return self.skipped.add(reason),
        };
        let user = record.user_identity.unwrap_or_default();
        let issuer_arn = user.session_context.and_then(|c| c.session_issuer).and_then(|i| i.arn);
        let identity = Identity {
            kind: user.kind.as_deref(),
            principal_id: user.principal_id.as_deref(),
            role_name: user.arn.as_deref().and_then(role_name_of_session_arn),
            role_arn: issuer_arn.as_deref(),
        };
        let entity = match entity_of(&identity) {
            Ok(entity) => entity,
            Err(reason) => return self.skipped.add(reason.into()),
        };
        self.role_sessions_folded += usize::from(entity.session_folded);
        self.tuples.push(CloudTrailTuple { tuple: Tuple::new(entity.name, ip), event_time: record.event_time });
    }
}

/// One log file's tuples and counts; `name` labels errors.
///
/// Files up to [`IN_MEMORY_BYTES`] are parsed from memory, larger ones as streams; either way records are turned
/// into tuples one at a time, so a file never costs more than its tuples and that buffer.
fn parse_log<R: Read>(mut reader: R, name: &str) -> Result<FileTuples> {
    let mut head = Vec::new();
    if let Err(source) = (&mut reader).take(IN_MEMORY_BYTES + 1).read_to_end(&mut head) {
        return Err(SecurityError::read_failed(name, &head, source));
    }
    let mut file = FileTuples::default();
    let parsed = if head.len() as u64 <= IN_MEMORY_BYTES {
        let mut de = serde_json::Deserializer::from_slice(&head);
        for_each_record(&mut de, &mut |record| file.add(record)).and_then(|()| de.end())
    } else {
        let mut de = serde_json::Deserializer::from_reader(Cursor::new(head).chain(reader));
        for_each_record(&mut de, &mut |record| file.add(record)).and_then(|()| de.end())
    };
    parsed.map_err(|e| SecurityError::from_json(name, "not a CloudTrail log file", e))?;
    Ok(file)
}

/// Reads tuples from a CloudTrail log file or directory tree.
pub fn read_cloudtrail(path: &Path, mode: TupleMode) -> Result<CloudTrailExtract> {
    let mut reader = CloudTrailReader::new(mode);
    reader.add_path(path)?;
    Ok(reader.finish())
}
