//! The few CloudTrail record fields the extraction needs; everything else is ignored.

use serde::Deserialize;

/// A CloudTrail log file: `{"Records": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct LogFile {
    /// The events of the file.
    #[serde(rename = "Records")]
    pub records: Vec<Record>,
}

/// One CloudTrail event, reduced to what the tuples need.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Record {
    /// Who made the call.
    pub user_identity: Option<UserIdentity>,
    /// ISO-8601 time of the call.
    pub event_time: Option<String>,
    /// An IP address, a service DNS name or `AWS Internal`.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
}

/// `userIdentity`, reduced to the principal id.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct UserIdentity {
    /// `AIDA…` for users, `AROA…:session` for assumed roles; absent for AWS services.
    pub principal_id: Option<String>,
}
