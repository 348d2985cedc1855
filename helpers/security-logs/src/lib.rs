//! Security logs for IP Insights: CloudTrail logs and GuardDuty findings turned into the engine's ⟨entity, IP⟩
//! [`Tuple`]s (the simulated account that writes both in their real formats is `ipinsights-simulated-account`).
//!
//! Entities follow one rule ([`entity_of`], documented in full there): the principal id, whole, so root, each
//! federated user, each web-identity subject and each IAM Identity Center session (`AROA…:alice@example.com`) are
//! entities of their own, while a service role's session (`AROA…:name`) counts as its role `AROA…`; then the
//! engine's entity rule (surrounding whitespace is not part of an entity). The same rule for CloudTrail, GuardDuty
//! and the Lambda, so their tuples match, and the one training and inference use. Every input is bounded
//! ([`MAX_DECOMPRESSED_BYTES`], [`MAX_COMPRESSION_RATIO`], [`MAX_FINDING_BYTES`]) and read as a stream. Addresses are parsed by the
//! engine's `parse_ip` (IPv4-mapped IPv6 becomes IPv4). Every record or finding that yields no tuple is counted by
//! reason. Tuple CSV files are written by the engine's `write_tuples`.

#![warn(missing_docs)]

mod address;
pub mod cloudtrail;
mod error;
pub mod guardduty;
mod input;
mod principal;
mod skip;

pub use address::classify_source;
pub use cloudtrail::{read_cloudtrail, CloudTrailExtract, CloudTrailReader, CloudTrailTuple, TupleMode};
pub use error::{Result, SecurityError};
pub use guardduty::{
    findings_in_value, read_guardduty, stream_findings, FindingHeader, FindingResult, FindingScope, FindingTuple,
    GuardDutyExtract, GuardDutyReader, StreamEvent, MAX_FINDING_BYTES,
};
pub use input::{
    decompressing_reader, InputTooLarge, MAX_COMPRESSION_RATIO, MAX_DECOMPRESSED_BYTES, RATIO_CHECKED_AFTER,
};
pub use ipinsights_engine::tuples::Tuple;
pub use principal::{
    entity_of, role_name_of_session_arn, Entity, Identity, NoEntity, IDENTITY_CENTER_ROLE_PATH,
    IDENTITY_CENTER_ROLE_PREFIX,
};
pub use skip::{FindingSkip, SkipCounts, SkipReason, SkipReasonKind};
