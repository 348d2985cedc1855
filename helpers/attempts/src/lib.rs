//! Records the attempts the AWS SDK for Rust failed (throttling above all), so that a caller can report what the
//! SDK's standard retry mode (exponential backoff with jitter) absorbed.
//!
//! Attach one [`AttemptLog`] to every client of a job (`…::config::Builder::from(&sdk).interceptor(log.clone())`);
//! the clones share one record. Each failed attempt is counted under its operation (`S3 GetObject`, `SNS Publish`: the SDK's service and operation names) and error
//! code (`SlowDown`, `ThrottlingException`, `HTTP 503`, …); the attempts that finally failed a call are counted
//! too, since the caller sees that call's error anyway.
//!
//! ```
//! let log = ipinsights_attempts::AttemptLog::default();
//! assert_eq!(log.to_string(), "no failed attempts");
//! ```

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Error codes AWS services use for throttling (the SDK's own list, plus S3's `SlowDown`).
const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// True for an error code (or `HTTP 429`) that means the service throttled the call.
pub fn is_throttling(code: &str) -> bool {
    code == "HTTP 429" || THROTTLING_CODES.contains(&code)
}

/// Failed attempts by (operation, error code); cheap to clone, clones share the record.
#[derive(Clone, Debug, Default)]
pub struct AttemptLog {
    failed: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl AttemptLog {
    /// Counts one failed attempt (normally done by the interceptor).
    pub fn record(&self, operation: &str, code: &str) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        *failed.entry((operation.to_string(), code.to_string())).or_insert(0) += 1;
    }

    /// Every failed attempt: `((operation, code), count)`, sorted.
    pub fn failed_attempts(&self) -> Vec<((String, String), u64)> {
        let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.iter().map(|(k, &n)| (k.clone(), n)).collect()
    }

    /// Failed attempts whose code is a throttling code.
    pub fn throttled(&self) -> u64 {
        self.failed_attempts().iter().filter(|((_, code), _)| is_throttling(code)).map(|(_, n)| n).sum()
    }

    /// All failed attempts.
    pub fn total(&self) -> u64 {
        self.failed_attempts().iter().map(|(_, n)| n).sum()
    }

    /// `{"S3 GetObject SlowDown": 3, …}`, for JSON summaries.
    pub fn as_map(&self) -> BTreeMap<String, u64> {
        self.failed_attempts().into_iter().map(|((op, code), n)| (format!("{op} {code}"), n)).collect()
    }
}

impl fmt::Display for AttemptLog {
    /// `5 failed attempts retried or reported (4 throttled): 3 S3 GetObject SlowDown, …` or `no failed attempts`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failed_attempts();
        if failed.is_empty() {
            return f.write_str("no failed attempts");
        }
        write!(f, "{} failed attempts retried or reported ({} throttled)", self.total(), self.throttled())?;
        for (i, ((op, code), n)) in failed.iter().enumerate() {
            write!(f, "{}{n} {op} {code}", if i == 0 { ": " } else { ", " })?;
        }
        Ok(())
    }
}

impl Intercept for AttemptLog {
    fn name(&self) -> &'static str {
        "AttemptLog"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !matches!(context.output_or_error(), Some(Err(_))) {
            return Ok(());
        }
        let operation = cfg
            .load::<Metadata>()
            .map(|m| format!("{} {}", m.service(), m.name()))
            .unwrap_or_else(|| "unknown operation".to_string());
        let code = context.response().map_or_else(|| "no response".to_string(), error_code);
        self.record(&operation, &code);
        Ok(())
    }
}

/// The error code of a failed response: the `x-amzn-ErrorType` header, an XML `<Code>` (query and REST-XML
/// protocols), a JSON `__type` or `code`, else `HTTP {status}`.
pub fn error_code(response: &HttpResponse) -> String {
    let status = response.status().as_u16();
    let from_header = response.headers().get("x-amzn-errortype").map(|v| v.split(':').next().unwrap_or(v).trim());
    let body = response.body().bytes().map(|b| String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned());
    from_header
        .map(str::to_string)
        .or_else(|| body.as_deref().and_then(code_in_body))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// `<Code>X</Code>`, `"__type":"ns#X"` or `"code":"X"` in an error body.
fn code_in_body(body: &str) -> Option<String> {
    if let Some(start) = body.find("<Code>") {
        let rest = &body[start + "<Code>".len()..];
        return rest.find("</Code>").map(|end| rest[..end].trim().to_string());
    }
    for key in ["\"__type\"", "\"code\"", "\"Code\""] {
        let Some(at) = body.find(key) else { continue };
        let rest = body[at + key.len()..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
        let value = &rest[..rest.find('"')?];
        return Some(value.rsplit('#').next().unwrap_or(value).to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, header: Option<&str>, body: &str) -> HttpResponse {
        let mut r = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body.to_string()));
        if let Some(h) = header {
            r.headers_mut().insert("x-amzn-ErrorType", h.to_string());
        }
        r
    }

    #[test]
    fn codes_from_every_protocol() {
        let cases = [
            (response(400, Some("ThrottlingException:http://internal.amazon.com/"), "{}"), "ThrottlingException"),
            (response(503, None, "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>"), "SlowDown"),
            (
                response(400, None, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code></Error>"),
                "Throttling",
            ),
            (
                response(400, None, r#"{"__type":"com.amazon#TooManyRequestsException","message":"x"}"#),
                "TooManyRequestsException",
            ),
            (response(429, None, r#"{"code" : "TooManyRequestsException"}"#), "TooManyRequestsException"),
            (response(500, None, ""), "HTTP 500"),
        ];
        for (r, expected) in cases {
            assert_eq!(error_code(&r), expected);
        }
        assert!(is_throttling("SlowDown") && is_throttling("HTTP 429") && !is_throttling("AccessDenied"));
    }

    #[test]
    fn counts_and_reports() {
        let log = AttemptLog::default();
        let shared = log.clone();
        shared.record("S3 GetObject", "SlowDown");
        shared.record("S3 GetObject", "SlowDown");
        log.record("SNS Publish", "AuthorizationError");
        assert_eq!((log.total(), log.throttled()), (3, 2));
        assert_eq!(
            log.to_string(),
            "3 failed attempts retried or reported (2 throttled): 2 S3 GetObject SlowDown, 1 SNS Publish AuthorizationError"
        );
        assert_eq!(log.as_map()["S3 GetObject SlowDown"], 2);
    }
}
