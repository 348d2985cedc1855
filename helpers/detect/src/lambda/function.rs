//! The function itself (feature `lambda`): the detector on the configured scorer, the SNS publisher with its alert
//! state (one alert per finding id), the async handler and the runtime loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_sns::error::DisplayErrorContext;
use ipinsights_attempts::AttemptLog;
use ipinsights_client::EndpointClient;
use ipinsights_engine::Model;
pub use lambda_runtime::{Context, LambdaEvent};

use super::ledger::{AlertLedger, Claim};
use super::sagemaker::{SageMakerScorer, MAX_ATTEMPTS};
use super::{alerts, handle_event, LambdaConfig, LambdaResponse, Payload, ScoreSource};
use crate::detector::Detector;
use crate::error::{DetectError, Result};

/// The function's state across warm invocations.
pub struct Function {
    detector: Arc<Detector>,
    topic: Option<(aws_sdk_sns::Client, String)>,
    ledger: Option<AlertLedger>,
    log: AttemptLog,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("detector", &self.detector)
            .field("topic", &self.topic.as_ref().map(|(_, arn)| arn))
            .field("ledger", &self.ledger.as_ref().map(AlertLedger::table))
            .finish()
    }
}

impl Function {
    /// Builds the function from its configuration; AWS clients use `sdk` (region, credentials, endpoints). Call
    /// from inside the Tokio runtime the handler will run on (multi-threaded).
    pub fn new(config: &LambdaConfig, sdk: &aws_config::SdkConfig) -> Result<Function> {
        let log = AttemptLog::default();
        let detector = match &config.source {
            ScoreSource::SageMaker(name) => {
                let runtime = tokio::runtime::Handle::current();
                Detector::new(SageMakerScorer::new(sdk, name, &log, runtime), config.threshold)?.with_ipv4_only()
            }
            ScoreSource::Endpoint(url) => Detector::new(EndpointClient::new(url), config.threshold)?,
            ScoreSource::ModelDir(dir) => Detector::new(Model::load_dir(dir)?, config.threshold)?,
        };
        let detector = Arc::new(config.finish(detector)?);
        let topic = config.alert_topic_arn.as_ref().map(|arn| {
            let conf = aws_sdk_sns::config::Builder::from(sdk)
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                .interceptor(log.clone())
                .build();
            (aws_sdk_sns::Client::from_conf(conf), arn.clone())
        });
        let ledger = config.alert_table.as_deref().map(|table| AlertLedger::new(sdk, table, &log));
        Ok(Function { detector, topic, ledger, log })
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Scores one payload, publishes its alerts (one per alerting finding not alerted before) and returns the
    /// summary. Bad input is counted, never an error; a scorer or SNS failure after the SDK's retries is (Lambda's
    /// retry then re-sends only the alerts that failed).
    pub async fn handle(&self, payload: Payload) -> Result<LambdaResponse> {
        let before = self.log.as_map();
        let detector = self.detector.clone();
        let mut response = tokio::task::spawn_blocking(move || handle_event(&detector, payload))
            .await
            .map_err(|e| DetectError::Score { scorer: self.detector.scorer(), source: e.to_string().into() })??;
        let result = self.publish(&mut response).await;
        response.failed_attempts = attempts_since(&before, &self.log.as_map());
        if let Ok(line) = serde_json::to_string(&serde_json::json!({
            "summary": { "findings": response.findings, "alerts": response.alerts, "passes": response.passes,
                         "skipped": response.skipped, "alert_messages": response.alert_messages,
                         "published": response.published, "duplicates": response.duplicates,
                         "unrecorded": response.unrecorded, "failed_attempts": response.failed_attempts }
        })) {
            println!("{line}");
        }
        result.map(|()| response)
    }

    /// Publishes each alert whose finding the alert state has not seen (all of them without a table); an alert that
    /// fails is released from the state, so that Lambda's retry sends it and only it.
    async fn publish(&self, response: &mut LambdaResponse) -> Result<()> {
        let Some((sns, topic)) = &self.topic else { return Ok(()) };
        let alerts = alerts(&response.records);
        let mut failures = Vec::new();
        for alert in &alerts {
            let claimed = match (&self.ledger, alert.finding_id.as_deref()) {
                (Some(ledger), Some(id)) => match ledger.claim(id, std::time::SystemTime::now()).await {
                    Claim::New => Some((ledger, id)),
                    Claim::Duplicate => {
                        response.duplicates += 1;
                        println!("{}", serde_json::json!({ "duplicate": id, "reason": "alerted before" }));
                        continue;
                    }
                    Claim::Unrecorded(error) => {
                        response.unrecorded += 1;
                        eprintln!(
                            "{}",
                            serde_json::json!({ "state_error": error, "finding_id": id, "alerting": true })
                        );
                        None
                    }
                },
                _ => None,
            };
            let sent = sns.publish().topic_arn(topic).subject(&alert.subject).message(&alert.message).send().await;
            match sent {
                Ok(_) => response.published += 1,
                Err(e) => {
                    let error = format!("Publish failed: {}", DisplayErrorContext(&e));
                    eprintln!("{}", serde_json::json!({ "publish_error": error, "finding_id": alert.finding_id }));
                    if let Some((ledger, id)) = claimed {
                        if let Err(release) = ledger.release(id).await {
                            eprintln!(
                                "{}",
                                serde_json::json!({ "state_error": release, "finding_id": id,
                                "alert_lost_on_retry": "the event goes to the on-failure destination" })
                            );
                        }
                    }
                    failures.push(error);
                }
            }
        }
        match failures.into_iter().next() {
            None => Ok(()),
            Some(first_error) => Err(DetectError::Publish {
                topic: topic.clone(),
                failed: alerts.len() - response.published - response.duplicates,
                total: alerts.len(),
                first_error,
            }),
        }
    }
}

/// Failed attempts added since `before`.
fn attempts_since(before: &BTreeMap<String, u64>, now: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    now.iter().map(|(k, &n)| (k.clone(), n - before.get(k).copied().unwrap_or(0))).filter(|(_, n)| *n > 0).collect()
}

/// The async Lambda handler.
pub async fn handler(
    function: Arc<Function>,
    event: LambdaEvent<Payload>,
) -> Result<LambdaResponse, lambda_runtime::Error> {
    let (payload, _context) = event.into_parts();
    Ok(function.handle(payload).await?)
}

/// Reads the configuration from the environment and serves Lambda invocations until shut down. The SDK
/// configuration (region, the function role's credentials) is loaded only when a SageMaker endpoint, an alert
/// topic or an alert table needs it.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let config = LambdaConfig::from_env()?;
    let needs_aws = matches!(config.source, ScoreSource::SageMaker(_))
        || config.alert_topic_arn.is_some()
        || config.alert_table.is_some();
    let sdk = if needs_aws {
        aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
    } else {
        aws_config::SdkConfig::builder().build()
    };
    let function = Arc::new(Function::new(&config, &sdk)?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| handler(function.clone(), event))).await
}
