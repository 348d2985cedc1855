//! Security data for IP Insights: CloudTrail logs and GuardDuty findings turned into the engine's ⟨entity, IP⟩
//! [`Tuple`]s, and a simulated AWS account that writes both in their real formats.
//!
//! Entities are principal ids before the first ':' (an assumed-role session `AROA…:name` is its role `AROA…`),
//! then the engine's entity rule (surrounding whitespace is not part of an entity); the same rule for CloudTrail
//! and GuardDuty, so their tuples match, and the one training and inference use. Addresses are parsed by the
//! engine's `parse_ip` (IPv4-mapped IPv6 becomes IPv4). Every record or finding that yields no tuple is counted by
//! reason. Tuple CSV files are written by the engine's `write_tuples`.

#![warn(missing_docs)]

mod address;
pub mod cloudtrail;
mod error;
pub mod guardduty;
mod input;
mod principal;
pub mod simulate;
mod skip;

pub use address::classify_source;
pub use cloudtrail::{read_cloudtrail, CloudTrailExtract, CloudTrailReader, CloudTrailTuple, TupleMode};
pub use error::{Result, SecurityError};
pub use guardduty::{
    findings_in_value, read_guardduty, FindingHeader, FindingResult, FindingTuple, GuardDutyExtract, GuardDutyReader,
};
pub use input::decompressing_reader;
pub use ipinsights_engine::tuples::Tuple;
pub use principal::{entity_of, NoEntity};
pub use simulate::{simulate_account, SimAccount, SimConfig, SimSummary};
pub use skip::{FindingSkip, SkipCounts, SkipReason, SkipReasonKind};
