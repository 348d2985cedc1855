//! Where calls go and who signs them: region, profile, endpoint override, credentials, retries.

use std::fmt;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

use crate::runtime::run;
use crate::AwsError;

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
    /// Attempts per call including retries (standard retry mode with backoff); `None` keeps the SDK's 3.
    pub max_attempts: Option<u32>,
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

    /// Loads the SDK configuration: explicit values first, the standard chain for the rest.
    pub(crate) async fn load(&self) -> Result<SdkConfig, AwsError> {
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
        let sdk = self.load().await?;
        let region = region_of(&sdk);
        let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(self.force_path_style).build();
        Ok((aws_sdk_s3::Client::from_conf(conf), region))
    }

    /// A SageMaker client for this configuration.
    pub(crate) async fn sagemaker(&self) -> Result<aws_sdk_sagemaker::Client, AwsError> {
        Ok(aws_sdk_sagemaker::Client::new(&self.load().await?))
    }

    /// A SageMaker Runtime client for this configuration.
    pub(crate) async fn runtime(&self) -> Result<aws_sdk_sagemakerruntime::Client, AwsError> {
        Ok(aws_sdk_sagemakerruntime::Client::new(&self.load().await?))
    }

    /// An STS client for this configuration.
    pub(crate) async fn sts(&self) -> Result<aws_sdk_sts::Client, AwsError> {
        Ok(aws_sdk_sts::Client::new(&self.load().await?))
    }

    /// A CloudWatch Logs client for this configuration.
    pub(crate) async fn logs(&self) -> Result<aws_sdk_cloudwatchlogs::Client, AwsError> {
        Ok(aws_sdk_cloudwatchlogs::Client::new(&self.load().await?))
    }
}

/// The region this configuration resolves to (explicit, environment, profile, or IMDS).
pub fn resolve_region(cfg: &AwsConfig) -> Result<String, AwsError> {
    run(async { Ok(region_of(&cfg.load().await?)) })
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
