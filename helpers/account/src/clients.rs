//! SDK clients for one job, all sharing one [`AttemptLog`] and a patient retry policy, and the runtime they run on.

use std::future::Future;

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::config::SharedCredentialsProvider;
use ipinsights_attempts::AttemptLog;
use ipinsights_aws_calls::AwsConfig;

use crate::error::{AccountError, Result};

/// Attempts per call (standard retry mode: exponential backoff with jitter) unless the configuration says otherwise:
/// more than the SDK's 3, because listing a trail or a year of findings meets throttling.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

/// The session name of roles assumed for a trail bucket (shown in the owning account's CloudTrail).
const ROLE_SESSION: &str = "ipinsights-trail";

/// The clients of one job.
pub(crate) struct Clients {
    sdk: SdkConfig,
    force_path_style: bool,
    /// Every failed attempt of every client.
    pub log: AttemptLog,
}

macro_rules! client {
    ($name:ident, $krate:ident) => {
        #[doc = concat!("A `", stringify!($krate), "` client recording failed attempts.")]
        pub fn $name(&self) -> $krate::Client {
            $krate::Client::from_conf($krate::config::Builder::from(&self.sdk).interceptor(self.log.clone()).build())
        }
    };
}

impl Clients {
    /// Loads the configuration (explicit values, then the standard chain).
    pub async fn load(cfg: &AwsConfig) -> Result<Clients> {
        let mut cfg = cfg.clone();
        cfg.max_attempts = cfg.max_attempts.or(Some(DEFAULT_MAX_ATTEMPTS));
        let sdk = ipinsights_aws_calls::sdk::sdk_config(&cfg).await?;
        Ok(Clients { sdk, force_path_style: cfg.force_path_style, log: AttemptLog::default() })
    }

    /// The region the clients call.
    pub fn region(&self) -> String {
        self.sdk.region().map(ToString::to_string).unwrap_or_default()
    }

    /// An S3 client (path-style when configured) recording failed attempts, calling `region` (where a bucket
    /// lives), signing with `credentials` when given (e.g. a log-archive account's role) instead of the session's.
    pub fn s3_for(&self, region: &str, credentials: Option<SharedCredentialsProvider>) -> aws_sdk_s3::Client {
        let builder = self.s3_builder(region, credentials).interceptor(self.log.clone());
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    /// Like [`Clients::s3_for`] without recording attempts: for asking a bucket's region, whose expected 301 or 403
    /// answers are not failures.
    pub fn s3_probe(&self, region: &str, credentials: Option<SharedCredentialsProvider>) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.s3_builder(region, credentials).build())
    }

    fn s3_builder(&self, region: &str, credentials: Option<SharedCredentialsProvider>) -> aws_sdk_s3::config::Builder {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.force_path_style)
            .region(Region::new(region.to_string()));
        if let Some(credentials) = credentials {
            builder = builder.credentials_provider(credentials);
        }
        builder
    }

    /// An Athena client recording failed attempts, signing with `credentials` when given (a log-archive account's
    /// role: the query then runs in that account) instead of the session's.
    pub fn athena_as(&self, credentials: Option<SharedCredentialsProvider>) -> aws_sdk_athena::Client {
        let mut builder = aws_sdk_athena::config::Builder::from(&self.sdk).interceptor(self.log.clone());
        if let Some(credentials) = credentials {
            builder = builder.credentials_provider(credentials);
        }
        aws_sdk_athena::Client::from_conf(builder.build())
    }

    client!(guardduty, aws_sdk_guardduty);
    client!(iam, aws_sdk_iam);
    client!(lambda, aws_sdk_lambda);
    client!(eventbridge, aws_sdk_eventbridge);
    client!(sns, aws_sdk_sns);
    client!(logs, aws_sdk_cloudwatchlogs);
    client!(dynamodb, aws_sdk_dynamodb);
    client!(sqs, aws_sdk_sqs);
    client!(cloudwatch, aws_sdk_cloudwatch);
    client!(sts, aws_sdk_sts);

    /// Credentials of `role_arn` assumed through STS with the session's credentials (e.g. a role of the
    /// organisation's log-archive account, for its trail bucket only), checked once before use.
    pub async fn assumed_role(&self, role_arn: &str) -> Result<SharedCredentialsProvider> {
        use aws_sdk_s3::config::ProvideCredentials;
        let provider =
            aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(ROLE_SESSION).configure(&self.sdk);
        let provider = provider.build().await;
        provider.provide_credentials().await.map_err(|e| {
            AccountError::InvalidInput(format!(
                "could not assume {role_arn} (STS AssumeRole) to read the trail bucket: {}; the role must trust this \
                 account and allow s3:ListBucket and s3:GetObject on the bucket",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            ))
        })?;
        Ok(SharedCredentialsProvider::new(provider))
    }

    /// The account of the session's identity (STS GetCallerIdentity).
    pub async fn caller_account(&self) -> Result<String> {
        let out = self
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AccountError::Aws(ipinsights_aws_calls::sdk::service_error("GetCallerIdentity", e)))?;
        out.account()
            .map(str::to_string)
            .ok_or_else(|| AccountError::InvalidInput("STS GetCallerIdentity answered without an account id".into()))
    }
}

/// Runs `fut` on a fresh runtime with two worker threads (network I/O goes on while the calling thread parses),
/// dropped before returning; refuses inside an async runtime, like every synchronous call of `ipinsights-aws-calls`.
pub(crate) fn run<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(AccountError::Aws(ipinsights_aws_calls::AwsError::InsideAsyncRuntime));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AccountError::Aws(ipinsights_aws_calls::AwsError::Runtime(e)))?;
    let result = runtime.block_on(fut);
    runtime.shutdown_background();
    result
}
