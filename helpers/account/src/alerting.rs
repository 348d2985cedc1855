//! The detector's safety nets beside the function: the alert-state table (DynamoDB, TTL on), the queue that keeps
//! the events the function failed on (its on-failure destination, SQS), and the alarm on its errors (CloudWatch,
//! notifying the alert topic); each created if missing, left as it is if present, and removed by the teardown.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use ipinsights_detect::lambda::alert_state;
use std::time::Duration;

use crate::error::{found_or_none, AccountError, Result};
use crate::refusals::until_accepted;

/// How long the on-failure queue keeps a failed event (SQS's maximum, 14 days, in seconds).
pub const FAILED_EVENT_RETENTION_SECS: i32 = 1_209_600;
/// The alarm fires when the function fails at least this often within one [`ALARM_PERIOD_SECS`].
pub const ALARM_ERRORS: f64 = 1.0;
/// The alarm's period (seconds).
pub const ALARM_PERIOD_SECS: i32 = 300;

/// The alert-state table of detector `name`: its own name.
pub fn table_name(name: &str) -> String {
    name.to_string()
}

/// The on-failure queue of detector `name`: `NAME-failed`.
pub fn failure_queue_name(name: &str) -> String {
    format!("{name}-failed")
}

/// The alarm on detector `name`'s errors: `NAME-errors`.
pub fn alarm_name(name: &str) -> String {
    format!("{name}-errors")
}

/// Creates the alert-state table unless it exists (on-demand capacity, key [`alert_state::KEY`]; a table still being
/// deleted is waited for, then made anew), waits until it is active and turns TTL on for [`alert_state::EXPIRES`];
/// `tags` on creation. Returns true when it created the table.
pub(crate) async fn ensure_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    tags: &[(String, String)],
    wait: Duration,
) -> Result<bool> {
    use aws_sdk_dynamodb::client::Waiters as _;
    let found = dynamodb.describe_table().table_name(table).send().await;
    let found = found_or_none("DescribeTable", found, |s| s.is_resource_not_found_exception())?;
    let status = found.and_then(|out| out.table().and_then(|t| t.table_status().cloned()));
    // A table still being deleted (a deploy right after a teardown) cannot be used nor re-created until it is gone.
    let deleting = status == Some(aws_sdk_dynamodb::types::TableStatus::Deleting);
    if deleting {
        dynamodb.wait_until_table_not_exists().table_name(table).wait(wait).await.map_err(|e| {
            AccountError::NotReady(format!(
                "DynamoDB table {table} was still being deleted after {} s: {}",
                wait.as_secs(),
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            ))
        })?;
    }
    let created = status.is_none() || deleting;
    if created {
        create_table(dynamodb, table, tags).await?;
    }
    dynamodb.wait_until_table_exists().table_name(table).wait(wait).await.map_err(|e| {
        AccountError::NotReady(format!(
            "DynamoDB table {table} did not become ACTIVE within {} s: {}",
            wait.as_secs(),
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        ))
    })?;
    turn_expiry_on(dynamodb, table).await?;
    Ok(created)
}

/// Creates the alert-state table: on-demand capacity, key [`alert_state::KEY`], `tags`.
async fn create_table(dynamodb: &aws_sdk_dynamodb::Client, table: &str, tags: &[(String, String)]) -> Result<()> {
    let key = |name: &str| AccountError::InvalidInput(format!("table key {name}"));
    let mut create = dynamodb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(alert_state::KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|_| key(alert_state::KEY))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(alert_state::KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|_| key(alert_state::KEY))?,
        );
    for (k, v) in tags {
        let tag = aws_sdk_dynamodb::types::Tag::builder().key(k).value(v).build();
        create = create.tags(tag.map_err(|e| AccountError::InvalidInput(e.to_string()))?);
    }
    create.send().await.map_err(|e| AccountError::sdk("CreateTable", e))?;
    Ok(())
}

/// Turns the table's TTL on for [`alert_state::EXPIRES`] unless it is on (or being turned on).
async fn turn_expiry_on(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Result<()> {
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| AccountError::sdk("DescribeTimeToLive", e))?;
    let on = ttl.time_to_live_description().is_some_and(|d| {
        d.attribute_name() == Some(alert_state::EXPIRES)
            && d.time_to_live_status().is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"))
    });
    if on {
        return Ok(());
    }
    let spec = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(alert_state::EXPIRES)
        .build()
        .map_err(|e| AccountError::InvalidInput(e.to_string()))?;
    dynamodb
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(|e| AccountError::sdk("UpdateTimeToLive", e))?;
    Ok(())
}

/// Creates the on-failure queue (SQS's CreateQueue returns the existing one when its attributes agree); `tags` on
/// creation. SQS refuses a name whose queue was deleted less than 60 seconds ago (a deploy right after a teardown):
/// that refusal is waited out, with a line to `log`. Returns its ARN.
pub(crate) async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    tags: &[(String, String)],
    log: &mut dyn FnMut(&str),
) -> Result<String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let created = until_accepted(
        || {
            let mut create = sqs
                .create_queue()
                .queue_name(queue)
                .attributes(QueueAttributeName::MessageRetentionPeriod, FAILED_EVENT_RETENTION_SECS.to_string())
                .attributes(QueueAttributeName::SqsManagedSseEnabled, "true");
            for (k, v) in tags {
                create = create.tags(k, v);
            }
            create.send()
        },
        // SQS answers in JSON with its query-compatible code (`AWS.SimpleQueueService.QueueDeletedRecently`).
        |code, _| code.ends_with("QueueDeletedRecently"),
        |wait| {
            log(&format!(
                "SQS queue {queue} was deleted recently (SQS keeps the name 60 s): trying again in {} s",
                wait.as_secs()
            ))
        },
    );
    let created = created.await.map_err(|e| AccountError::sdk("CreateQueue", e))?;
    let url = created.queue_url().unwrap_or_default().to_string();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| AccountError::sdk("GetQueueAttributes", e))?;
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| AccountError::InvalidInput(format!("SQS gave queue {queue} no ARN")))
}

/// Puts the alarm on the function's `Errors` metric (Sum over [`ALARM_PERIOD_SECS`] at least [`ALARM_ERRORS`]),
/// notifying `topic_arn`; missing data is not an alarm.
pub(crate) async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    alarm: &str,
    function: &str,
    topic_arn: &str,
    tags: &[(String, String)],
) -> Result<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic, Tag};
    let mut put = cloudwatch
        .put_metric_alarm()
        .alarm_name(alarm)
        .alarm_description(format!(
            "IP Insights detector {function} failed (endpoint or SNS refusing after retries): the events are in \
             queue {}",
            failure_queue_name(function)
        ))
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(Dimension::builder().name("FunctionName").value(function).build())
        .statistic(Statistic::Sum)
        .period(ALARM_PERIOD_SECS)
        .evaluation_periods(1)
        .threshold(ALARM_ERRORS)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(topic_arn);
    for (k, v) in tags {
        put = put.tags(Tag::builder().key(k).value(v).build());
    }
    put.send().await.map_err(|e| AccountError::sdk("PutMetricAlarm", e))?;
    Ok(())
}

/// Deletes the alert-state table; false when it was not there.
pub(crate) async fn remove_table(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Result<bool> {
    let deleted = dynamodb.delete_table().table_name(table).send().await;
    Ok(found_or_none("DeleteTable", deleted, |s| s.is_resource_not_found_exception())?.is_some())
}

/// Deletes the on-failure queue (and the failed events in it); false when it was not there.
pub(crate) async fn remove_queue(sqs: &aws_sdk_sqs::Client, queue: &str) -> Result<bool> {
    let found = sqs.get_queue_url().queue_name(queue).send().await;
    let Some(found) = found_or_none("GetQueueUrl", found, |s| s.is_queue_does_not_exist())? else {
        return Ok(false);
    };
    let url = found.queue_url().unwrap_or_default().to_string();
    sqs.delete_queue().queue_url(url).send().await.map_err(|e| AccountError::sdk("DeleteQueue", e))?;
    Ok(true)
}

/// Deletes the alarm; false when it was not there (DeleteAlarms does not say, so it is looked up first).
pub(crate) async fn remove_alarm(cloudwatch: &aws_sdk_cloudwatch::Client, alarm: &str) -> Result<bool> {
    let found = cloudwatch
        .describe_alarms()
        .alarm_names(alarm)
        .send()
        .await
        .map_err(|e| AccountError::sdk("DescribeAlarms", e))?;
    if found.metric_alarms().is_empty() {
        return Ok(false);
    }
    cloudwatch.delete_alarms().alarm_names(alarm).send().await.map_err(|e| AccountError::sdk("DeleteAlarms", e))?;
    Ok(true)
}
