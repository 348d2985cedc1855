//! ⟨entity, IP⟩ tuples: the one pair type, the one entity rule, and tuple CSV files.
//!
//! # The entity rule
//!
//! Every reader of entities — this module's CSV reader (training data), the inference request parsers (CSV, JSON,
//! JSON Lines), the CloudTrail and GuardDuty readers — passes the entity through [`normalize_entity`]: whitespace
//! around an entity (Unicode whitespace, not only ASCII) and byte-order marks (`U+FEFF`, left inside a file by
//! concatenating files that start with one) are not part of it, so `" alice"` trains and scores as `alice`, and an
//! entity that is empty after it is invalid (an error, or a counted skip with its reason). Inner characters are
//! kept as they are.
//!
//! # Tuple CSV files
//!
//! `entity,ip` rows (headerless, or with an `entity,ip,...` header), optionally labelled. Fields are trimmed (a
//! space after the comma is accepted), extra columns are ignored, quoted fields follow RFC 4180, addresses go
//! through [`crate::ip::parse_ip`]. A bad row is an error naming the file, line and reason, unless the caller asks
//! to skip bad rows, in which case every skipped row is counted and the first few are kept as examples. Files are
//! written atomically ([`crate::atomic::write_atomically`]) by [`write_tuples`] and [`write_labelled`], one row
//! writer for every producer of tuples.

mod read;
mod rows;
mod write;

pub use read::{ipv6_rows, parse_tuples, read_tuples, Ipv6Rows, ReadOptions, RowError, Skipped, TupleFile};
pub use write::{write_labelled, write_rows, write_tuples};

use std::io;
use std::net::IpAddr;

/// An ⟨entity, IP⟩ pair (serialised as `{"entity": …, "ip": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Tuple {
    /// The principal, user or other entity.
    pub entity: String,
    /// The address it was seen from.
    pub ip: IpAddr,
}

impl Tuple {
    /// A tuple from an entity and an address, taken as given (readers apply [`normalize_entity`] first).
    pub fn new(entity: impl Into<String>, ip: IpAddr) -> Self {
        Tuple { entity: entity.into(), ip }
    }
}

/// The one entity rule, applied wherever an entity is read (training CSV, inference CSV / JSON / JSON Lines,
/// CloudTrail, GuardDuty): whitespace and byte-order marks around an entity are not part of it, so `" alice"` and
/// `"alice"` are the same principal in training and in scoring. An entity that is empty after this is invalid
/// wherever it is read.
pub fn normalize_entity(raw: &str) -> &str {
    raw.trim_matches(|c: char| c.is_whitespace() || c == BYTE_ORDER_MARK)
}

/// `U+FEFF`: a byte-order mark at the start of a file, a zero-width no-break space anywhere else.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// Errors reading or writing a tuple file.
#[derive(Debug, thiserror::Error)]
pub enum TupleError {
    /// The file could not be opened or read.
    #[error("cannot read {source_name}: {error}")]
    Io {
        /// The file.
        source_name: String,
        /// The I/O error.
        error: io::Error,
    },
    /// A malformed row (and skipping was not asked for).
    #[error("{0} (use --skip-invalid to skip bad rows)")]
    Row(RowError),
    /// The file could not be written (nothing was replaced: writes are atomic).
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        error: io::Error,
    },
}

#[cfg(test)]
mod tests;
