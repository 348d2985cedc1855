//! Building blocks for crates that call further AWS services (GuardDuty, IAM, Lambda, EventBridge, SNS, …) with
//! the same [`AwsConfig`]: the loaded SDK configuration, an S3 client addressed like this crate's, the per-call
//! runtime, and SDK errors turned into [`AwsError`] with their full context.

use std::error::Error as StdError;
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::{AwsConfig, AwsError};

/// The SDK configuration of `cfg`: explicit values first, the standard chain for the rest; fails without a region.
pub async fn sdk_config(cfg: &AwsConfig) -> Result<SdkConfig, AwsError> {
    cfg.load().await
}

/// An S3 client for `cfg` (path-style addressing when `cfg.force_path_style`) and the region it uses.
pub async fn s3_client(cfg: &AwsConfig) -> Result<(aws_sdk_s3::Client, String), AwsError> {
    cfg.s3().await
}

/// Runs `fut` on a fresh current-thread runtime dropped before returning; refuses inside an async runtime.
pub fn block_on<T>(fut: impl Future<Output = Result<T, AwsError>>) -> Result<T, AwsError> {
    crate::runtime::run(fut)
}

/// A failed call of any AWS service as [`AwsError::Service`], with its operation, code, message, request id,
/// HTTP status and the SDK's error chain.
pub fn service_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    AwsError::sdk(operation, err)
}
