//! Scores on a SageMaker endpoint by name through SageMaker Runtime (the AWS SDK signs with SigV4 from the
//! function's role): CSV rows in, JSON `dot_product`s out, split under the 6 MiB request limit.

use std::net::IpAddr;

use aws_sdk_sagemakerruntime::error::DisplayErrorContext;
use aws_sdk_sagemakerruntime::primitives::Blob;
use ipinsights_protocol::{decode_response, split_requests, RequestFormat, ResponseKind, MAX_BODY_BYTES};
use ipinsights_retries::AttemptLog;
use tokio::runtime::Handle;

use crate::error::{DetectError, Result};
use crate::scorer::Scorer;

/// Attempts per SageMaker Runtime or SNS call (standard retry mode: exponential backoff with jitter on throttling
/// and transient errors), within the function's timeout.
pub const MAX_ATTEMPTS: u32 = 5;

/// A SageMaker endpoint as a [`Scorer`]. Its calls run on the function's Tokio runtime: use it from a blocking
/// thread (`spawn_blocking`), as the handler does, never from async code.
pub struct SageMakerScorer {
    client: aws_sdk_sagemakerruntime::Client,
    endpoint: String,
    runtime: Handle,
}

impl SageMakerScorer {
    /// A scorer for `endpoint` with the SDK configuration `sdk`, recording failed attempts in `log`, calling on
    /// `runtime`.
    pub fn new(sdk: &aws_config::SdkConfig, endpoint: &str, log: &AttemptLog, runtime: Handle) -> Self {
        let conf = aws_sdk_sagemakerruntime::config::Builder::from(sdk)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .interceptor(log.clone())
            .build();
        SageMakerScorer {
            client: aws_sdk_sagemakerruntime::Client::from_conf(conf),
            endpoint: endpoint.into(),
            runtime,
        }
    }

    fn error(&self, message: String) -> DetectError {
        DetectError::Score { scorer: self.describe(), source: message.into() }
    }
}

impl Scorer for SageMakerScorer {
    fn dot_products(&self, pairs: &[(String, IpAddr)]) -> Result<Vec<f32>> {
        if let Some((entity, ip)) = pairs.iter().find(|(_, ip)| ip.is_ipv6()) {
            return Err(self.error(format!("{entity},{ip}: SageMaker's IP Insights scores IPv4 addresses only")));
        }
        let chunks =
            split_requests(RequestFormat::Csv, pairs, MAX_BODY_BYTES).map_err(|e| self.error(e.to_string()))?;
        let mut out = Vec::with_capacity(pairs.len());
        for chunk in chunks {
            let call = self
                .client
                .invoke_endpoint()
                .endpoint_name(&self.endpoint)
                .content_type("text/csv")
                .accept("application/json")
                .body(Blob::new(chunk.body))
                .send();
            let answer = self
                .runtime
                .block_on(call)
                .map_err(|e| self.error(format!("InvokeEndpoint failed: {}", DisplayErrorContext(&e))))?;
            let body = answer.body().map(|b| b.as_ref()).unwrap_or_default();
            let predictions = decode_response(ResponseKind::Json, body).map_err(|e| self.error(e.to_string()))?;
            if predictions.len() != chunk.rows.len() {
                return Err(DetectError::ScoreCount {
                    scorer: self.describe(),
                    sent: chunk.rows.len(),
                    got: predictions.len(),
                });
            }
            out.extend(predictions.into_iter().map(|p| p.dot_product));
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        format!("SageMaker endpoint {}", self.endpoint)
    }
}
