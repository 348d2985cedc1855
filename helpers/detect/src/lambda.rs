//! The AWS Lambda function of workshop step 6: an EventBridge rule sends it each GuardDuty finding; it scores the
//! finding's (principal, remote IP) pairs, publishes one alert per alerting finding to an SNS topic, logs one JSON
//! line per record to CloudWatch Logs, and returns a summary.
//!
//! Environment (names in [`env`]):
//! - `THRESHOLD` (required): anomaly-score threshold; alert when `−dot_product > THRESHOLD`.
//! - `ENDPOINT_NAME` alone: a SageMaker endpoint, called through SageMaker Runtime with the AWS SDK (SigV4 with the
//!   function's role; region from `AWS_REGION`). IPv6 addresses are never sent (IP Insights on SageMaker takes
//!   IPv4 only): they are counted as skipped.
//! - `ENDPOINT_URL` (test and offline option): an endpoint speaking the inference protocol (`ipinsights serve`, or
//!   any `…/invocations` URL); with `ENDPOINT_NAME` as well, `{ENDPOINT_URL}/endpoints/{ENDPOINT_NAME}/invocations`.
//! - `MODEL_DIR`: instead of an endpoint, score in-process with this model directory (e.g. a layer).
//! - `ALERT_TOPIC_ARN` (optional): SNS topic for alerts; without it alerts are only logged.
//! - `TRAINING_TUPLES` (optional): tuple CSV for the familiarity index of explanations.
//! - `TOP_NETWORKS` (optional, default 3): usual networks listed per principal.
//! - `ALERT_TABLE` (optional): DynamoDB table remembering which findings were alerted ([`alert_state`]), so that a
//!   finding GuardDuty re-publishes (same id, higher `service.count`) alerts once; without it every delivery alerts.
//! - `INCLUDE_ARCHIVED`, `INCLUDE_SAMPLES` (optional, `true` / `false`, default false): score archived and sample
//!   findings too; by default they are `skipped` records (reasons `archived`, `sample`).
//!
//! Bad input never fails an invocation: events of other types, findings without a principal or IP, IPv6 on a
//! SageMaker endpoint and JSON that does not parse are `skipped` records counted by reason. Only infrastructure
//! failures (the endpoint or SNS unreachable or refusing after the SDK's retries with backoff) are errors, which
//! Lambda retries a bounded number of times (the deployment sets 2) before handing the event to the function's
//! on-failure destination (an SQS queue). Each finding is alerted once per invocation, however many of its
//! addresses alert, and once ever with `ALERT_TABLE` (see [`alert_state`] for the delivery guarantee).
//!
//! Configuration, [`handle_event`] and the alert messages are plain Rust; the SageMaker scorer, the SNS publisher,
//! the async [`handler`](function::handler) and [`run`](function::run) (and the `ipinsights-lambda` binary) need
//! the `lambda` feature.

mod alert;
#[cfg(feature = "lambda")]
pub mod function;
#[cfg(feature = "lambda")]
pub mod ledger;
mod payload;
#[cfg(feature = "lambda")]
pub mod sagemaker;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ipinsights_client::EndpointClient;
use ipinsights_engine::Model;
use serde::Serialize;

pub use alert::{alerts, Alert, MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS};
pub use payload::Payload;

use crate::detector::{Detection, Detector, Verdict};
use crate::error::{DetectError, Result};
use crate::familiarity::Familiarity;
use ipinsights_security_logs::{FindingHeader, FindingScope};

/// The environment variables the function reads (the deployment sets the same names).
pub mod env {
    /// Anomaly-score threshold.
    pub const THRESHOLD: &str = "THRESHOLD";
    /// SageMaker endpoint name.
    pub const ENDPOINT_NAME: &str = "ENDPOINT_NAME";
    /// Inference-protocol endpoint URL (tests, offline).
    pub const ENDPOINT_URL: &str = "ENDPOINT_URL";
    /// Model directory scored in-process.
    pub const MODEL_DIR: &str = "MODEL_DIR";
    /// SNS topic for alerts.
    pub const ALERT_TOPIC_ARN: &str = "ALERT_TOPIC_ARN";
    /// Training tuples for explanations.
    pub const TRAINING_TUPLES: &str = "TRAINING_TUPLES";
    /// Usual networks per principal in explanations.
    pub const TOP_NETWORKS: &str = "TOP_NETWORKS";
    /// DynamoDB table of the findings already alerted.
    pub const ALERT_TABLE: &str = "ALERT_TABLE";
    /// `true`: score archived findings too.
    pub const INCLUDE_ARCHIVED: &str = "INCLUDE_ARCHIVED";
    /// `true`: score sample findings too.
    pub const INCLUDE_SAMPLES: &str = "INCLUDE_SAMPLES";
}

/// The alert state: one DynamoDB item per finding alerted, so that a finding alerts once however often GuardDuty
/// re-publishes it (the same `id` with a higher `service.count` and a newer `updatedAt`, every 6 hours by default,
/// every 15 minutes if so configured).
///
/// Before publishing a finding's alert the function writes its item with a conditional PutItem
/// (`attribute_not_exists(finding_id) OR expires_at < :now`); a refused condition means the finding was already
/// alerted: counted as a duplicate, not sent again. Items expire after [`KEEP_DAYS`] through DynamoDB's TTL on
/// [`EXPIRES`] (which deletes within a day or two of expiry, hence the condition's second half).
///
/// Delivery is at least once, never silently lost:
/// - the state write fails (throttled after retries, table missing, access denied): the alert is sent anyway and
///   counted as `unrecorded` (a later re-publication may alert again);
/// - the publish fails: the item is deleted again, so Lambda's retry of the event re-sends this alert only (the
///   others' items are there: duplicates); if that delete fails too, the event still reaches the on-failure queue,
///   which names the finding.
pub mod alert_state {
    /// The table's partition key (a string): the GuardDuty finding id.
    pub const KEY: &str = "finding_id";
    /// The TTL attribute (a number, epoch seconds).
    pub const EXPIRES: &str = "expires_at";
    /// When the alert went out (a string, RFC 3339 UTC; for people reading the table).
    pub const ALERTED_AT: &str = "alerted_at";
    /// How long a finding stays alerted (days): a finding still re-published after that alerts again.
    pub const KEEP_DAYS: u64 = 30;
}

/// Where the Lambda gets its scores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreSource {
    /// A SageMaker endpoint by name, through SageMaker Runtime (SigV4 from the function's role); IPv4 only.
    SageMaker(String),
    /// An endpoint URL (the client appends `/invocations` unless present).
    Endpoint(String),
    /// A model directory loaded in-process.
    ModelDir(PathBuf),
}

/// Where scores come from, given `ENDPOINT_URL`, `ENDPOINT_NAME` and `MODEL_DIR`: an endpoint or a model
/// directory, never both.
fn score_source(url: Option<String>, name: Option<String>, dir: Option<String>) -> Result<ScoreSource> {
    let bad = |name: &'static str, message: &str| DetectError::Config { name, message: message.into() };
    match (url, name, dir) {
        (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
            Err(bad(env::MODEL_DIR, "set either an endpoint (ENDPOINT_NAME / ENDPOINT_URL) or MODEL_DIR, not both"))
        }
        (Some(url), Some(name), None) => {
            Ok(ScoreSource::Endpoint(format!("{}/endpoints/{name}", url.trim_end_matches('/'))))
        }
        (Some(url), None, None) => Ok(ScoreSource::Endpoint(url)),
        (None, Some(name), None) => Ok(ScoreSource::SageMaker(name)),
        (None, None, Some(dir)) => Ok(ScoreSource::ModelDir(dir.into())),
        (None, None, None) => Err(bad(
            env::ENDPOINT_NAME,
            "set ENDPOINT_NAME (a SageMaker endpoint), ENDPOINT_URL (an inference-protocol URL) or MODEL_DIR",
        )),
    }
}

/// The Lambda's settings, from environment variables.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaConfig {
    /// Anomaly-score threshold (`score = −dot_product`).
    pub threshold: f64,
    /// Where scores come from.
    pub source: ScoreSource,
    /// SNS topic for alerts, if any.
    pub alert_topic_arn: Option<String>,
    /// Training tuples for the familiarity index, if any.
    pub training: Option<PathBuf>,
    /// Usual networks listed per principal.
    pub top_networks: usize,
    /// DynamoDB table of the findings already alerted, if any.
    pub alert_table: Option<String>,
    /// Whether archived and sample findings are scored.
    pub scope: FindingScope,
}

impl LambdaConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var` (a variable set to an empty string counts as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let bad = |name: &'static str, message: String| DetectError::Config { name, message };
        let threshold = get(env::THRESHOLD).ok_or_else(|| {
            bad(env::THRESHOLD, "not set: the anomaly-score threshold (alert when −dot_product > THRESHOLD)".into())
        })?;
        let threshold: f64 = threshold
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .ok_or_else(|| bad(env::THRESHOLD, format!("{threshold:?} is not a finite number")))?;
        let source = score_source(get(env::ENDPOINT_URL), get(env::ENDPOINT_NAME), get(env::MODEL_DIR))?;
        let top_networks = match get(env::TOP_NETWORKS) {
            None => 3,
            Some(n) => n.parse().map_err(|_| bad(env::TOP_NETWORKS, format!("{n:?} is not a count")))?,
        };
        let flag = |name: &'static str| match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(bad(name, format!("{other:?} is neither true nor false"))),
        };
        let scope = FindingScope {
            include_archived: flag(env::INCLUDE_ARCHIVED)?,
            include_samples: flag(env::INCLUDE_SAMPLES)?,
        };
        let alert_table = get(env::ALERT_TABLE);
        if let Some(table) = alert_table.as_deref().filter(|t| !valid_table_name(t)) {
            return Err(bad(
                env::ALERT_TABLE,
                format!("{table:?} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)"),
            ));
        }
        let alert_topic_arn = get(env::ALERT_TOPIC_ARN);
        if let Some(arn) = alert_topic_arn.as_deref().filter(|a| !a.starts_with("arn:") || a.split(':').count() != 6) {
            return Err(bad(env::ALERT_TOPIC_ARN, format!("{arn:?} is not an SNS topic ARN")));
        }
        Ok(LambdaConfig {
            threshold,
            source,
            alert_topic_arn,
            training: get(env::TRAINING_TUPLES).map(PathBuf::from),
            top_networks,
            alert_table,
            scope,
        })
    }

    /// Builds a detector scoring on an endpoint URL or a model directory (loads the model and the familiarity
    /// index when configured). A SageMaker endpoint needs the SDK: see `function::build_detector` (feature
    /// `lambda`).
    pub fn detector(&self) -> Result<Detector> {
        let detector = match &self.source {
            ScoreSource::Endpoint(url) => Detector::new(EndpointClient::new(url), self.threshold)?,
            ScoreSource::ModelDir(dir) => Detector::new(Model::load_dir(dir)?, self.threshold)?,
            ScoreSource::SageMaker(name) => {
                return Err(DetectError::Config {
                    name: env::ENDPOINT_NAME,
                    message: format!(
                        "scoring on SageMaker endpoint {name:?} needs the AWS SDK: build with feature `lambda` and use \
                         function::build_detector"
                    ),
                })
            }
        };
        self.finish(detector)
    }

    /// Adds the explanation settings to a detector.
    pub(crate) fn finish(&self, detector: Detector) -> Result<Detector> {
        let detector = detector.with_top_networks(self.top_networks).with_scope(self.scope);
        Ok(match &self.training {
            Some(path) => detector.with_familiarity(Familiarity::from_tuple_file(path)?),
            None => detector,
        })
    }
}

/// DynamoDB's table-name rule: 3 to 255 characters, letters, digits, `_`, `-` and `.`.
pub fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// What the Lambda returns for one invocation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LambdaResponse {
    /// GuardDuty findings in the event.
    pub findings: usize,
    /// `alert` records.
    pub alerts: usize,
    /// `pass` records.
    pub passes: usize,
    /// `skipped` records by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Alerts (one per alerting finding) made from the alert records.
    pub alert_messages: usize,
    /// Alerts published to SNS.
    pub published: usize,
    /// Alerts not sent because their finding was already alerted (GuardDuty re-published it).
    pub duplicates: usize,
    /// Alerts sent although their state could not be written (they may be sent again on a re-publication).
    pub unrecorded: usize,
    /// Failed attempts of AWS calls (SageMaker Runtime, SNS) by operation and error code, retried with backoff.
    pub failed_attempts: BTreeMap<String, u64>,
    /// Every record of the event, in order.
    pub records: Vec<Detection>,
}

/// Handles one invocation payload (an EventBridge GuardDuty event, or any finding shape): scores it, logs each record
/// as one JSON line on stdout (CloudWatch Logs) and counts it. Publishing is the caller's ([`alerts`] makes the
/// messages). Only scoring failures are errors.
pub fn handle_event(detector: &Detector, payload: Payload) -> Result<LambdaResponse> {
    let records = match payload {
        Payload::Event(event) => detector.detect_value(event)?,
        Payload::Invalid(message) => {
            vec![Detection::skipped(
                &FindingHeader::default(),
                detector.threshold(),
                format!("invalid JSON: {message}"),
            )]
        }
    };
    let mut response = LambdaResponse::default();
    for record in &records {
        if let Ok(line) = serde_json::to_string(record) {
            println!("{line}");
        }
        match record.verdict {
            Verdict::Alert => response.alerts += 1,
            Verdict::Pass => response.passes += 1,
            Verdict::Skipped => {
                *response.skipped.entry(record.skip_reason.clone().unwrap_or_default()).or_insert(0) += 1;
            }
        }
    }
    let mut ids: Vec<&str> = records.iter().filter_map(|r| r.finding_id.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    response.findings = ids.len();
    response.alert_messages = alerts(&records).len();
    response.records = records;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<LambdaConfig> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        LambdaConfig::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn sources_from_the_environment() {
        let c = config(&[("THRESHOLD", "0.5"), ("ENDPOINT_URL", "http://h:8080/")]).unwrap();
        assert_eq!((c.threshold, c.source, c.top_networks), (0.5, ScoreSource::Endpoint("http://h:8080/".into()), 3));
        let c = config(&[("THRESHOLD", "-1"), ("ENDPOINT_URL", "http://h:8080/"), ("ENDPOINT_NAME", "ep")]).unwrap();
        assert_eq!(c.source, ScoreSource::Endpoint("http://h:8080/endpoints/ep".into()));
        let c =
            config(&[("THRESHOLD", "0"), ("ENDPOINT_NAME", "ep"), ("ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:1:t")])
                .unwrap();
        assert_eq!(c.source, ScoreSource::SageMaker("ep".into()));
        assert_eq!(c.alert_topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:1:t"));
        let c = config(&[("THRESHOLD", "0"), ("MODEL_DIR", "/opt/model"), ("TRAINING_TUPLES", "/opt/t.csv")]).unwrap();
        assert_eq!(c.source, ScoreSource::ModelDir("/opt/model".into()));
        assert_eq!(c.training, Some(PathBuf::from("/opt/t.csv")));
        assert_eq!((c.alert_table, c.scope), (None, FindingScope::default()));
        let c = config(&[
            ("THRESHOLD", "0"),
            ("MODEL_DIR", "/m"),
            ("ALERT_TABLE", "ipinsights-detector"),
            ("INCLUDE_ARCHIVED", "TRUE"),
            ("INCLUDE_SAMPLES", "false"),
        ])
        .unwrap();
        assert_eq!(c.alert_table.as_deref(), Some("ipinsights-detector"));
        assert_eq!(c.scope, FindingScope { include_archived: true, include_samples: false });
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 10] = [
            (&[("THRESHOLD", "0"), ("MODEL_DIR", "/m"), ("INCLUDE_SAMPLES", "yes")], "INCLUDE_SAMPLES: \"yes\" is"),
            (&[("THRESHOLD", "0"), ("MODEL_DIR", "/m"), ("ALERT_TABLE", "a b")], "ALERT_TABLE: \"a b\" is not"),
            (&[("ENDPOINT_URL", "http://h")], "THRESHOLD: not set"),
            (&[("THRESHOLD", "high"), ("ENDPOINT_URL", "http://h")], "THRESHOLD: \"high\" is not"),
            (&[("THRESHOLD", "NaN"), ("ENDPOINT_URL", "http://h")], "THRESHOLD: \"NaN\" is not"),
            (&[("THRESHOLD", "0")], "ENDPOINT_NAME: set ENDPOINT_NAME"),
            (&[("THRESHOLD", "0"), ("ENDPOINT_URL", "http://h"), ("MODEL_DIR", "/m")], "MODEL_DIR: set either"),
            (&[("THRESHOLD", "0"), ("ENDPOINT_NAME", "e"), ("MODEL_DIR", "/m")], "MODEL_DIR: set either"),
            (&[("THRESHOLD", "0"), ("MODEL_DIR", "/m"), ("TOP_NETWORKS", "-2")], "TOP_NETWORKS: \"-2\""),
            (&[("THRESHOLD", "0"), ("MODEL_DIR", "/m"), ("ALERT_TOPIC_ARN", "alerts")], "ALERT_TOPIC_ARN: \"alerts\""),
        ];
        for (vars, expected) in cases {
            let err = config(vars).unwrap_err().to_string();
            assert!(err.contains(expected), "{vars:?}: {err}");
        }
    }

    #[test]
    fn a_sagemaker_endpoint_needs_the_sdk_build_and_a_missing_model_is_named() {
        let c = config(&[("THRESHOLD", "0"), ("ENDPOINT_NAME", "ep")]).unwrap();
        assert!(c.detector().unwrap_err().to_string().contains("feature `lambda`"));
        let c = config(&[("THRESHOLD", "0"), ("MODEL_DIR", "/nonexistent/model")]).unwrap();
        let err = c.detector().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/model"), "{err}");
    }
}
