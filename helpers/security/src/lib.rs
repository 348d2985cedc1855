//! Security data for IP Insights: CloudTrail logs and GuardDuty findings turned into (entity, IP) tuples,
//! and a simulated AWS account that writes both in their real formats.
//!
//! Entities are principal ids before the first ':' (an assumed-role session `AROA…:name` is its role
//! `AROA…`), the same rule for CloudTrail and GuardDuty so their tuples match. Every record or finding
//! that yields no tuple is counted by reason.

#![warn(missing_docs)]

mod address;
mod atomic;
pub mod cloudtrail;
mod error;
pub mod guardduty;
mod input;
pub mod simulate;
mod skip;
mod tuples;

pub use address::{classify_source, entity_of, normalize_ip, parse_ip};
pub use atomic::write_atomic;
pub use cloudtrail::{read_cloudtrail, CloudTrailExtract, CloudTrailReader, CloudTrailTuple, TupleMode};
pub use error::{Result, SecurityError};
pub use guardduty::{
    findings_in_value, read_guardduty, FindingHeader, FindingResult, FindingTuple, GuardDutyExtract, GuardDutyReader,
};
pub use input::decompressing_reader;
pub use simulate::{simulate_account, SimAccount, SimConfig, SimSummary};
pub use skip::{FindingSkip, SkipCounts, SkipReason, SkipReasonKind};
pub use tuples::{write_tuples, write_tuples_csv, Tuple};
