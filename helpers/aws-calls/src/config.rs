//! Where calls go and who signs them: region, profile, endpoint override, credentials, retries.
//!
//! The region is never looked up here: everything left `None` goes to `aws-config`'s own chains, which resolve it
//! exactly as boto3 does (`AWS_REGION` / `AWS_DEFAULT_REGION`, then the `region` of the profile named by
//! `AWS_PROFILE` in `AWS_CONFIG_FILE` or `~/.aws/config`, then the instance's metadata).

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use ipinsights_attempts::AttemptLog;

use crate::runtime::run;
use crate::{AwsError, ServiceError};

/// Attempts per call (standard retry mode: exponential backoff with jitter on throttling and transient errors) for
/// the Describe* and CloudWatch Logs calls of a wait, so that a throttle during a long job does not end the cell;
/// an [`AwsConfig::max_attempts`] above it wins.
pub const WAIT_MAX_ATTEMPTS: u32 = 10;

/// Where a SageMaker notebook instance (or Studio) describes itself, as the SageMaker Python SDK reads it.
pub const NOTEBOOK_METADATA_FILE: &str = "/opt/ml/metadata/resource-metadata.json";

/// How to reach AWS. Every `None` falls back to the standard `aws-config` chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsConfig {
    /// Region; otherwise `AWS_REGION`/`AWS_DEFAULT_REGION`, the profile's `region`, then IMDS.
    pub region: Option<String>,
    /// Named profile of `~/.aws/config`; otherwise `AWS_PROFILE`, then `default`.
    pub profile: Option<String>,
    /// Endpoint for S3, SageMaker, SageMaker Runtime, STS and CloudWatch Logs alike (moto, LocalStack); otherwise
    /// `AWS_ENDPOINT_URL` or the regional AWS endpoints.
    pub endpoint_url: Option<String>,
    /// S3 path-style addressing (`http://host/bucket/key`), which moto and LocalStack need.
    pub force_path_style: bool,
    /// SageMaker execution role ARN; otherwise `SAGEMAKER_ROLE_ARN`, `IPINSIGHTS_ROLE_ARN`, or the caller's
    /// assumed role (see [`crate::execution_role`]).
    pub role_arn: Option<String>,
    /// Explicit credentials; otherwise the standard chain (env, profile, SSO, process, web identity, ECS, IMDS).
    pub credentials: Option<StaticCredentials>,
    /// Attempts per call including retries (standard retry mode with backoff); `None` keeps the SDK's 3 (waits
    /// use at least [`WAIT_MAX_ATTEMPTS`]).
    pub max_attempts: Option<u32>,
    /// The notebook metadata file the execution role is looked up in (see [`crate::execution_role`]); otherwise
    /// [`NOTEBOOK_METADATA_FILE`].
    pub notebook_metadata_file: Option<PathBuf>,
    /// The resolved configuration, runtime and clients every call reuses, once [`AwsConfig::connect`] made them;
    /// by default none, and every call resolves the configuration and opens its clients itself.
    pub connection: Connection,
}

/// A session's one resolved SDK configuration (credentials resolved once, then cached by the SDK until they
/// expire), its clients (their connections kept open between calls) and the runtime they run on, shared by every
/// clone of the [`AwsConfig`] that [`AwsConfig::connect`] returned. Two configurations compare equal when they share
/// the same connection (or both have none).
#[derive(Clone, Default)]
pub struct Connection(Option<Arc<Connected>>);

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Connection {}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Connection(open)" } else { "Connection(none)" })
    }
}

/// What a connection holds: the runtime first built for it (kept alive, so the clients' pooled connections and the
/// credential cache outlive each call) and everything built once on it.
struct Connected {
    runtime: Option<tokio::runtime::Runtime>,
    sdk: SdkConfig,
    s3: aws_sdk_s3::Client,
    sagemaker: aws_sdk_sagemaker::Client,
    runtime_client: aws_sdk_sagemakerruntime::Client,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
}

impl Drop for Connected {
    fn drop(&mut self) {
        // Never block the thread that drops the last session (a notebook cell) on the runtime's idle tasks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Who the configuration signs as (STS GetCallerIdentity) and where it calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The region calls go to, as the configuration chain resolved it.
    pub region: String,
    /// The account.
    pub account: String,
    /// The caller's ARN (a user, an assumed role's session, …).
    pub arn: String,
}

impl fmt::Display for CallerIdentity {
    /// `region eu-west-1, account 123456789012 (arn:aws:sts::…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "region {}, account {} ({})", self.region, self.account, self.arn)
    }
}

/// Explicit credentials. `Debug` shows none of the values.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticCredentials(** redacted **)")
    }
}

impl AwsConfig {
    /// A configuration for a local AWS emulator (moto, LocalStack) at `endpoint_url`: region us-east-1,
    /// path-style S3, dummy credentials `testing`/`testing`.
    pub fn local_emulator(endpoint_url: &str) -> Self {
        AwsConfig {
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint_url.into()),
            force_path_style: true,
            credentials: Some(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            }),
            ..AwsConfig::default()
        }
    }

    /// This configuration with its SDK configuration resolved once, its clients built and a runtime of its own
    /// (two worker threads) to run every later call on: what a session keeps, so that many calls (every 6 MiB
    /// InvokeEndpoint request of a prediction, every poll of a wait) resolve credentials once and reuse open
    /// connections. Connecting again returns the same connection.
    pub fn connect(&self) -> Result<AwsConfig, AwsError> {
        if self.connection.0.is_some() {
            return Ok(self.clone());
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(AwsError::InsideAsyncRuntime);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ipinsights-aws-calls")
            .enable_all()
            .build()
            .map_err(AwsError::Runtime)?;
        let sdk = runtime.block_on(self.load())?;
        let s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(self.force_path_style).build();
        let connected = Connected {
            s3: aws_sdk_s3::Client::from_conf(s3),
            sagemaker: aws_sdk_sagemaker::Client::new(&sdk),
            runtime_client: aws_sdk_sagemakerruntime::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            sdk,
            runtime: Some(runtime),
        };
        Ok(AwsConfig { connection: Connection(Some(Arc::new(connected))), ..self.clone() })
    }

    /// Whether [`AwsConfig::connect`] made this configuration's connection.
    pub fn is_connected(&self) -> bool {
        self.connection.0.is_some()
    }

    /// This configuration without its connection: for code that runs its own runtime (see [`crate::sdk`]).
    pub fn unconnected(&self) -> AwsConfig {
        AwsConfig { connection: Connection::default(), ..self.clone() }
    }

    /// Runs `fut` to completion: on the connection's runtime when connected, else on a fresh runtime dropped
    /// before returning; refuses (instead of panicking) inside an async runtime.
    pub(crate) fn run<T>(&self, fut: impl Future<Output = Result<T, AwsError>>) -> Result<T, AwsError> {
        match self.connection.0.as_ref().and_then(|c| c.runtime.as_ref()) {
            Some(runtime) => {
                if tokio::runtime::Handle::try_current().is_ok() {
                    return Err(AwsError::InsideAsyncRuntime);
                }
                runtime.block_on(fut)
            }
            None => run(fut),
        }
    }

    /// Loads the SDK configuration: the connection's when connected; else explicit values first, the standard
    /// chain for the rest.
    pub(crate) async fn load(&self) -> Result<SdkConfig, AwsError> {
        if let Some(connected) = &self.connection.0 {
            return Ok(connected.sdk.clone());
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = non_empty(&self.region) {
            loader = loader.region(Region::new(region.to_string()));
        }
        if let Some(profile) = non_empty(&self.profile) {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = non_empty(&self.endpoint_url) {
            loader = loader.endpoint_url(url);
        }
        if let Some(c) = &self.credentials {
            let creds = Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                c.session_token.clone(),
                None,
                "ipinsights-aws-explicit",
            );
            loader = loader.credentials_provider(creds);
        }
        match self.max_attempts {
            Some(0) => return Err(AwsError::InvalidInput("max_attempts must be at least 1".into())),
            Some(n) => loader = loader.retry_config(RetryConfig::standard().with_max_attempts(n)),
            None => {}
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(AwsError::NoRegion);
        }
        Ok(sdk)
    }

    /// An S3 client for this configuration.
    pub(crate) async fn s3(&self) -> Result<(aws_sdk_s3::Client, String), AwsError> {
        if let Some(c) = &self.connection.0 {
            return Ok((c.s3.clone(), region_of(&c.sdk)));
        }
        let sdk = self.load().await?;
        let region = region_of(&sdk);
        let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(self.force_path_style).build();
        Ok((aws_sdk_s3::Client::from_conf(conf), region))
    }

    /// A SageMaker client for this configuration.
    pub(crate) async fn sagemaker(&self) -> Result<aws_sdk_sagemaker::Client, AwsError> {
        if let Some(c) = &self.connection.0 {
            return Ok(c.sagemaker.clone());
        }
        Ok(aws_sdk_sagemaker::Client::new(&self.load().await?))
    }

    /// A SageMaker Runtime client for this configuration.
    pub(crate) async fn runtime(&self) -> Result<aws_sdk_sagemakerruntime::Client, AwsError> {
        if let Some(c) = &self.connection.0 {
            return Ok(c.runtime_client.clone());
        }
        Ok(aws_sdk_sagemakerruntime::Client::new(&self.load().await?))
    }

    /// An STS client for this configuration.
    pub(crate) async fn sts(&self) -> Result<aws_sdk_sts::Client, AwsError> {
        if let Some(c) = &self.connection.0 {
            return Ok(c.sts.clone());
        }
        Ok(aws_sdk_sts::Client::new(&self.load().await?))
    }

    /// An IAM client for this configuration.
    pub(crate) async fn iam(&self) -> Result<aws_sdk_iam::Client, AwsError> {
        if let Some(c) = &self.connection.0 {
            return Ok(c.iam.clone());
        }
        Ok(aws_sdk_iam::Client::new(&self.load().await?))
    }

    /// The retry configuration of a wait's calls: standard mode, at least [`WAIT_MAX_ATTEMPTS`] attempts.
    fn wait_retries(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts.unwrap_or(0).max(WAIT_MAX_ATTEMPTS))
    }

    /// A SageMaker client for waiting (Describe* polls): raised retries, every failed attempt recorded in `log`.
    pub(crate) async fn sagemaker_for_waits(&self, log: &AttemptLog) -> Result<aws_sdk_sagemaker::Client, AwsError> {
        let sdk = self.load().await?;
        let conf = aws_sdk_sagemaker::config::Builder::from(&sdk)
            .retry_config(self.wait_retries())
            .interceptor(log.clone())
            .build();
        Ok(aws_sdk_sagemaker::Client::from_conf(conf))
    }

    /// A CloudWatch Logs client for following a job's log: raised retries, failed attempts recorded in `log`.
    pub(crate) async fn logs_for_waits(&self, log: &AttemptLog) -> Result<aws_sdk_cloudwatchlogs::Client, AwsError> {
        let sdk = self.load().await?;
        let conf = aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
            .retry_config(self.wait_retries())
            .interceptor(log.clone())
            .build();
        Ok(aws_sdk_cloudwatchlogs::Client::from_conf(conf))
    }

    /// The notebook metadata file to read.
    pub(crate) fn metadata_file(&self) -> PathBuf {
        self.notebook_metadata_file.clone().unwrap_or_else(|| PathBuf::from(NOTEBOOK_METADATA_FILE))
    }
}

/// The region and the caller of this configuration (STS GetCallerIdentity): what a notebook's setup cell shows.
pub fn caller_identity(cfg: &AwsConfig) -> Result<CallerIdentity, AwsError> {
    cfg.run(async {
        let sdk = cfg.load().await?;
        let out = cfg
            .sts()
            .await?
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::Service(Box::new(ServiceError::from_sdk("GetCallerIdentity", &e))))?;
        Ok(CallerIdentity {
            region: region_of(&sdk),
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        })
    })
}

/// The region this configuration resolves to (explicit, environment, profile, or IMDS).
pub fn resolve_region(cfg: &AwsConfig) -> Result<String, AwsError> {
    cfg.run(async { Ok(region_of(&cfg.load().await?)) })
}

fn region_of(sdk: &SdkConfig) -> String {
    sdk.region().map(|r| r.to_string()).unwrap_or_default()
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_credentials() {
        let cfg = AwsConfig::local_emulator("http://127.0.0.1:5000");
        let mut cfg = cfg;
        cfg.credentials = Some(StaticCredentials {
            access_key_id: "AKIAEXAMPLEKEYID".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
        });
        let shown = format!("{cfg:?} {cfg:#?}");
        for secret in ["AKIAEXAMPLEKEYID", "wJalrXUtnFEMI", "FwoGZXIvYXdz"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn explicit_region_resolves_without_network_and_zero_attempts_is_refused() {
        let cfg = AwsConfig { region: Some("eu-west-1".into()), ..AwsConfig::default() };
        assert_eq!(resolve_region(&cfg).unwrap(), "eu-west-1");
        let cfg = AwsConfig { max_attempts: Some(0), ..cfg };
        assert!(matches!(resolve_region(&cfg), Err(AwsError::InvalidInput(_))));
    }
}
