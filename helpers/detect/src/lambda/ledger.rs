//! The alert state in DynamoDB (feature `lambda`): a conditional write per finding before its alert, deleted again
//! when the alert could not be sent. The rules are in [`alert_state`](super::alert_state).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use ipinsights_attempts::AttemptLog;

use super::alert_state::{ALERTED_AT, EXPIRES, KEEP_DAYS, KEY};
use super::sagemaker::MAX_ATTEMPTS;

/// What writing a finding's alert state said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The finding had not been alerted (or its item expired): this invocation sends its alert.
    New,
    /// The finding was alerted already: not sent again.
    Duplicate,
    /// The state could not be written (the error): the alert is sent anyway, unrecorded.
    Unrecorded(String),
}

/// The table of findings already alerted.
#[derive(Clone, Debug)]
pub struct AlertLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl AlertLedger {
    /// The ledger in `table`, with the SDK configuration `sdk`, recording failed attempts in `log`.
    pub fn new(sdk: &aws_config::SdkConfig, table: &str, log: &AttemptLog) -> AlertLedger {
        let conf = aws_sdk_dynamodb::config::Builder::from(sdk)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .interceptor(log.clone())
            .build();
        AlertLedger { client: aws_sdk_dynamodb::Client::from_conf(conf), table: table.into() }
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Records that `finding_id` is being alerted at `now`, unless it was already (and has not expired).
    pub async fn claim(&self, finding_id: &str, now: SystemTime) -> Claim {
        let seconds = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
        let expires = seconds + KEEP_DAYS * 86_400;
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(finding_id.into()))
            .item(EXPIRES, AttributeValue::N(expires.to_string()))
            .item(ALERTED_AT, AttributeValue::S(humantime::format_rfc3339_seconds(now).to_string()))
            .condition_expression("attribute_not_exists(#key) OR #expires < :now")
            .expression_attribute_names("#key", KEY)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_values(":now", AttributeValue::N(seconds.to_string()))
            .send()
            .await;
        match written {
            Ok(_) => Claim::New,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Claim::Duplicate
            }
            Err(e) => Claim::Unrecorded(format!("PutItem on table {} failed: {}", self.table, DisplayErrorContext(&e))),
        }
    }

    /// Forgets `finding_id` (its alert could not be sent), so that the next delivery alerts it.
    pub async fn release(&self, finding_id: &str) -> Result<(), String> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(finding_id.into()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("DeleteItem on table {} failed: {}", self.table, DisplayErrorContext(&e)))
    }
}
