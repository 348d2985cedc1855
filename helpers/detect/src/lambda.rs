//! The AWS Lambda function of workshop step 6: an EventBridge rule on GuardDuty findings invokes it,
//! it scores the finding and logs one JSON line per record (alerts included) to CloudWatch Logs,
//! and returns the records.
//!
//! Environment:
//! - `THRESHOLD` (required): anomaly-score threshold; alert when `−dot_product > THRESHOLD`.
//! - `ENDPOINT_URL`: an endpoint speaking the inference protocol (`ipinsights serve`, or any
//!   `…/invocations` URL). With `ENDPOINT_NAME` as well, the runtime API path
//!   `{ENDPOINT_URL}/endpoints/{ENDPOINT_NAME}/invocations` is called.
//! - `MODEL_DIR`: instead of an endpoint, score in-process with this model directory (e.g. a layer).
//! - `TRAINING_TUPLES` (optional): tuple CSV for the familiarity index of explanations.
//! - `TOP_NETWORKS` (optional, default 3): usual networks listed per principal.
//!
//! `ENDPOINT_NAME` without `ENDPOINT_URL` (a SageMaker endpoint by name) needs SigV4-signed
//! SageMaker Runtime calls, which this build does not make: it is a configuration error, not a
//! silent fallback.
//!
//! Configuration and [`handle_event`] are plain Rust; the async [`handler`] and [`run`] (and the
//! `ipinsights-lambda` binary) need the `lambda` feature.

use std::path::PathBuf;

use ipinsights_client::EndpointClient;
use ipinsights_engine::Model;
use serde::Serialize;
use serde_json::Value;

use crate::detector::{Detection, Detector, Verdict};
use crate::error::{DetectError, Result};
use crate::familiarity::Familiarity;

/// Where the Lambda gets its scores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreSource {
    /// An endpoint URL (the client appends `/invocations` unless present).
    Endpoint(String),
    /// A model directory loaded in-process.
    ModelDir(PathBuf),
}

/// The Lambda's settings, from environment variables.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaConfig {
    /// Anomaly-score threshold (`score = −dot_product`).
    pub threshold: f64,
    /// Where scores come from.
    pub source: ScoreSource,
    /// Training tuples for the familiarity index, if any.
    pub training: Option<PathBuf>,
    /// Usual networks listed per principal.
    pub top_networks: usize,
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
        let threshold = get("THRESHOLD").ok_or_else(|| {
            bad("THRESHOLD", "not set: the anomaly-score threshold (alert when −dot_product > THRESHOLD)".into())
        })?;
        let threshold: f64 = threshold
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .ok_or_else(|| bad("THRESHOLD", format!("{threshold:?} is not a finite number")))?;
        let source = match (get("ENDPOINT_URL"), get("ENDPOINT_NAME"), get("MODEL_DIR")) {
            (Some(_), _, Some(_)) => {
                return Err(bad("MODEL_DIR", "set either ENDPOINT_URL or MODEL_DIR, not both".into()))
            }
            (Some(url), Some(name), None) => {
                ScoreSource::Endpoint(format!("{}/endpoints/{name}", url.trim_end_matches('/')))
            }
            (Some(url), None, None) => ScoreSource::Endpoint(url),
            (None, Some(name), None) => {
                return Err(bad(
                    "ENDPOINT_NAME",
                    format!(
                        "calling SageMaker endpoint {name:?} by name needs SigV4-signed SageMaker Runtime \
                         calls, which this build does not make yet; set ENDPOINT_URL (an endpoint speaking \
                         the inference protocol) or MODEL_DIR"
                    ),
                ))
            }
            (None, _, Some(dir)) => ScoreSource::ModelDir(dir.into()),
            (None, None, None) => {
                return Err(bad("ENDPOINT_URL", "set ENDPOINT_URL (or ENDPOINT_NAME with it) or MODEL_DIR".into()))
            }
        };
        let top_networks = match get("TOP_NETWORKS") {
            None => 3,
            Some(n) => n.parse().map_err(|_| bad("TOP_NETWORKS", format!("{n:?} is not a count")))?,
        };
        Ok(LambdaConfig { threshold, source, training: get("TRAINING_TUPLES").map(PathBuf::from), top_networks })
    }

    /// Builds the detector (loads the model and the familiarity index when configured).
    pub fn detector(&self) -> Result<Detector> {
        let detector = match &self.source {
            ScoreSource::Endpoint(url) => Detector::new(EndpointClient::new(url), self.threshold)?,
            ScoreSource::ModelDir(dir) => Detector::new(Model::load_dir(dir)?, self.threshold)?,
        };
        let detector = detector.with_top_networks(self.top_networks);
        Ok(match &self.training {
            Some(path) => detector.with_familiarity(Familiarity::from_tuple_file(path)?),
            None => detector,
        })
    }
}

/// What the Lambda returns for one event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LambdaResponse {
    /// `alert` records among `records`.
    pub alerts: usize,
    /// Every record of the event, in order.
    pub records: Vec<Detection>,
}

/// Handles one event (an EventBridge GuardDuty event, or any finding shape): scores it and logs
/// each record as one JSON line on stdout (CloudWatch Logs). Scoring failures are errors, so
/// EventBridge retries the event.
pub fn handle_event(detector: &Detector, event: Value) -> Result<LambdaResponse> {
    let records = detector.detect_value(event)?;
    for record in &records {
        if let Ok(line) = serde_json::to_string(record) {
            println!("{line}");
        }
    }
    let alerts = records.iter().filter(|r| r.verdict == Verdict::Alert).count();
    Ok(LambdaResponse { alerts, records })
}

/// The async Lambda handler: runs [`handle_event`] on a blocking thread (the HTTP client blocks).
#[cfg(feature = "lambda")]
pub async fn handler(
    detector: std::sync::Arc<Detector>,
    event: lambda_runtime::LambdaEvent<Value>,
) -> Result<LambdaResponse, lambda_runtime::Error> {
    let (payload, _context) = event.into_parts();
    let response = tokio::task::spawn_blocking(move || handle_event(&detector, payload)).await??;
    Ok(response)
}

/// Reads the configuration from the environment and serves Lambda invocations until shut down.
#[cfg(feature = "lambda")]
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let detector = std::sync::Arc::new(LambdaConfig::from_env()?.detector()?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event| handler(detector.clone(), event))).await
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
    fn endpoint_url_and_runtime_path() {
        let c = config(&[("THRESHOLD", "0.5"), ("ENDPOINT_URL", "http://h:8080/")]).unwrap();
        assert_eq!((c.threshold, c.source, c.top_networks), (0.5, ScoreSource::Endpoint("http://h:8080/".into()), 3));
        let c = config(&[("THRESHOLD", "-1"), ("ENDPOINT_URL", "http://h:8080/"), ("ENDPOINT_NAME", "ep")]).unwrap();
        assert_eq!(c.source, ScoreSource::Endpoint("http://h:8080/endpoints/ep".into()));
        let c = config(&[("THRESHOLD", "0"), ("MODEL_DIR", "/opt/model"), ("TRAINING_TUPLES", "/opt/t.csv")]).unwrap();
        assert_eq!(c.source, ScoreSource::ModelDir("/opt/model".into()));
        assert_eq!(c.training, Some(PathBuf::from("/opt/t.csv")));
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 7] = [
            (&[("ENDPOINT_URL", "http://h")], "THRESHOLD: not set"),
            (&[("THRESHOLD", "high"), ("ENDPOINT_URL", "http://h")], "THRESHOLD: \"high\" is not"),
            (&[("THRESHOLD", "NaN"), ("ENDPOINT_URL", "http://h")], "THRESHOLD: \"NaN\" is not"),
            (&[("THRESHOLD", "0")], "ENDPOINT_URL: set ENDPOINT_URL"),
            (&[("THRESHOLD", "0"), ("ENDPOINT_NAME", "ep")], "ENDPOINT_NAME: calling SageMaker endpoint \"ep\""),
            (&[("THRESHOLD", "0"), ("ENDPOINT_URL", "http://h"), ("MODEL_DIR", "/m")], "MODEL_DIR: set either"),
            (&[("THRESHOLD", "0"), ("MODEL_DIR", "/m"), ("TOP_NETWORKS", "-2")], "TOP_NETWORKS: \"-2\""),
        ];
        for (vars, expected) in cases {
            let err = config(vars).unwrap_err().to_string();
            assert!(err.contains(expected), "{vars:?}: {err}");
        }
    }

    #[test]
    fn missing_model_dir_is_an_error_naming_it() {
        let c = config(&[("THRESHOLD", "0"), ("MODEL_DIR", "/nonexistent/model")]).unwrap();
        let err = c.detector().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/model"), "{err}");
    }
}
