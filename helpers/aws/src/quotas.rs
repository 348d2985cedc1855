//! Whether an instance type can be used for training, hosting or batch transform in the region, from SageMaker's
//! quotas in Service Quotas (service code `sagemaker`, quotas named like `ml.m5.xlarge for training job usage`):
//! a value of 0 means the type is not available there. Checked before the first billable call.

use aws_sdk_servicequotas::types::ServiceQuota;

pub use ipinsights_sagemaker::InstanceUse;

use crate::runtime::run;
use crate::{resolve_region, AwsConfig, AwsError, ServiceError};

/// Service Quotas' service code of SageMaker.
pub const SAGEMAKER_SERVICE_CODE: &str = "sagemaker";

/// Types suggested, in this order, when the chosen one has no quota (small general-purpose types first).
const SUGGESTIONS: [&str; 6] =
    ["ml.m5.xlarge", "ml.m5.large", "ml.m6i.xlarge", "ml.c5.xlarge", "ml.m5.2xlarge", "ml.m4.xlarge"];

/// What SageMaker's quotas say about an instance type for one use.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceQuota {
    /// The quota is above 0.
    Available(f64),
    /// No quota of that name in the region's listing (a type this code cannot judge).
    NotListed,
}

/// Checks that `instance_type` has a quota above 0 for `usage` in the configured region (ListServiceQuotas of
/// `sagemaker`, every page). A quota of 0 is [`AwsError::InstanceTypeUnavailable`], with a type of the same
/// listing that has quota as a suggestion; a failed listing (e.g. AccessDenied without
/// `servicequotas:ListServiceQuotas`) is [`AwsError::Service`], for the caller to note and go on.
pub fn check_instance_quota(
    cfg: &AwsConfig,
    instance_type: &str,
    usage: InstanceUse,
) -> Result<InstanceQuota, AwsError> {
    let region = resolve_region(cfg)?;
    let quotas = run(async {
        let client = aws_sdk_servicequotas::Client::new(&cfg.load().await?);
        let listed: Result<Vec<ServiceQuota>, _> = client
            .list_service_quotas()
            .service_code(SAGEMAKER_SERVICE_CODE)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        listed.map_err(|e| AwsError::Service(Box::new(ServiceError::from_sdk("ListServiceQuotas", &e))))
    })?;
    let value_of = |name: &str| quotas.iter().find(|q| q.quota_name() == Some(name)).map(|q| q.value().unwrap_or(0.0));
    match value_of(&usage.quota_name(instance_type)) {
        None => Ok(InstanceQuota::NotListed),
        Some(value) if value > 0.0 => Ok(InstanceQuota::Available(value)),
        Some(_) => {
            let has_quota = |t: &str| t != instance_type && value_of(&usage.quota_name(t)).is_some_and(|v| v > 0.0);
            let suggestion = SUGGESTIONS.iter().find(|t| has_quota(t)).map(|t| t.to_string()).or_else(|| {
                let mut others: Vec<&str> = quotas
                    .iter()
                    .filter(|q| q.value().is_some_and(|v| v > 0.0))
                    .filter_map(|q| q.quota_name()?.strip_suffix(usage.quota_suffix()))
                    .map(str::trim)
                    .filter(|t| t.starts_with("ml.") && *t != instance_type)
                    .collect();
                others.sort_unstable();
                others.first().map(|t| t.to_string())
            });
            Err(AwsError::InstanceTypeUnavailable {
                instance_type: instance_type.into(),
                usage: usage.describe(),
                quota_name: usage.quota_name(instance_type),
                region,
                suggestion,
            })
        }
    }
}
