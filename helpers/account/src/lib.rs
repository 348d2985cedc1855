//! IP Insights on your own AWS account: training pairs from the account's CloudTrail in S3 (object by object, or
//! through Athena at organisation scale: [`athena`]), GuardDuty findings from its API, and the live detector
//! deployed into the account (Lambda function, EventBridge rule, SNS topic, IAM role, alert-state table,
//! on-failure queue, error alarm) and torn down again.
//!
//! Every public function is synchronous and takes an [`ipinsights_aws_calls::AwsConfig`] (region, profile, endpoint,
//! credentials; `None`s come from the standard chain), builds its own runtime and clients, and drops them before
//! returning, so it works from any notebook cell. Throttling is retried by the SDK's standard retry mode (exponential
//! backoff with jitter, [`DEFAULT_MAX_ATTEMPTS`] attempts unless the configuration sets `max_attempts`) and every
//! failed attempt is reported in the results ([`ipinsights_attempts::AttemptLog`]).
//!
//! ```no_run
//! use ipinsights_account::*;
//! # fn main() -> Result<(), AccountError> {
//! let cfg = ipinsights_aws_calls::AwsConfig::default();
//! let trail = TrailSource::new("my-trail-bucket", "2024-03-04", "2024-03-10")?.regions(&["us-east-1"]);
//! let read = read_trail(&cfg, &trail, &ReadOptions::default(), &mut |_| {})?;
//! println!("{read}");
//! let findings = read_findings(&cfg, &FindingQuery::days("2024-03-04", "2024-03-10")?)?;
//! println!("{findings}");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod alerting;
pub mod athena;
mod bucket;
mod clients;
pub mod detector;
mod error;
mod finding_json;
pub mod guardduty;
pub mod layout;
mod refusals;
pub mod trail;

pub use athena::{read_trail_athena, AthenaOptions, AthenaTrailExtract};
pub use clients::DEFAULT_MAX_ATTEMPTS;
pub use detector::{Deployment, DetectorSpec, Teardown};
pub use error::{AccountError, Result};
pub use finding_json::finding_to_json;
pub use guardduty::{read_findings, ApiFindings, FindingQuery};
pub use ipinsights_security_logs::FindingScope;
pub use layout::Day;
pub use trail::{
    read_trail, EventCap, ReadOptions, S3TrailExtract, TrailProgress, TrailSource, DEFAULT_MAX_EVENTS,
    KEPT_BYTES_PER_EVENT,
};
