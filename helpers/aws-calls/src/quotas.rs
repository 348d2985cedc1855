//! Whether an instance type can be used for training, hosting or batch transform in the region, from SageMaker's
//! quotas in Service Quotas (service code `sagemaker`, quotas named like `ml.m5.xlarge for training job usage`):
//! a value of 0 means the type is not available there. Checked before the first billable call.

use aws_sdk_servicequotas::types::ServiceQuota;

pub use ipinsights_sagemaker_facts::InstanceUse;

use crate::{resolve_region, AwsConfig, AwsError, ServiceError};

/// Service Quotas' service code of SageMaker.
pub const SAGEMAKER_SERVICE_CODE: &str = "sagemaker";

/// Types suggested, in this order, when the chosen one has no quota (small general-purpose types first).
const SUGGESTIONS: [&str; 6] =
    ["ml.m5.xlarge", "ml.m5.large", "ml.m6i.xlarge", "ml.c5.xlarge", "ml.m5.2xlarge", "ml.c5.2xlarge"];

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
    let quotas = cfg.run(async {
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
    judge(&quotas, instance_type, usage, region)
}

/// What the listed `quotas` say about `instance_type` for `usage` in `region` (see [`check_instance_quota`]).
fn judge(
    quotas: &[ServiceQuota],
    instance_type: &str,
    usage: InstanceUse,
    region: String,
) -> Result<InstanceQuota, AwsError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(quotas: &[(&str, f64)]) -> Vec<ServiceQuota> {
        quotas.iter().map(|(name, value)| ServiceQuota::builder().quota_name(*name).value(*value).build()).collect()
    }

    fn suggestion(quotas: &[(&str, f64)], instance_type: &str, usage: InstanceUse) -> Option<String> {
        match judge(&listing(quotas), instance_type, usage, "eu-north-1".into()) {
            Err(AwsError::InstanceTypeUnavailable { suggestion, .. }) => suggestion,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_quota_of_zero_is_refused_with_a_type_that_has_quota_for_that_use() {
        use InstanceUse::*;
        let quotas = [
            ("ml.m4.xlarge for training job usage", 0.0),
            ("ml.m5.xlarge for training job usage", 0.0),
            ("ml.m5.large for training job usage", 2.0),
            ("ml.m5.xlarge for endpoint usage", 4.0),
            ("ml.z9.large for transform job usage", 1.0),
            ("ml.m4.xlarge for transform job usage", 0.0),
        ];
        assert_eq!(suggestion(&quotas, "ml.m4.xlarge", Training), Some("ml.m5.large".into()));
        assert_eq!(suggestion(&quotas, "ml.m4.xlarge", Transform), Some("ml.z9.large".into()));
        let only_zero = [("ml.m4.xlarge for endpoint usage", 0.0)];
        assert_eq!(suggestion(&only_zero, "ml.m4.xlarge", Endpoint), None);
        let err = judge(&listing(&quotas), "ml.m5.xlarge", Training, "eu-north-1".into()).unwrap_err().to_string();
        assert!(err.starts_with("ml.m5.xlarge is not available for training jobs in region eu-north-1"), "{err}");
        assert!(err.contains("e.g. ml.m5.large"), "{err}");
        let judged = |t: &str, u| judge(&listing(&quotas), t, u, "eu-north-1".into()).unwrap();
        assert_eq!(judged("ml.m5.xlarge", Endpoint), InstanceQuota::Available(4.0));
        assert_eq!(judged("ml.c5.xlarge", Endpoint), InstanceQuota::NotListed);
    }
}
