//! SageMaker hosting: models (CreateModel, shared by endpoints and batch transform), deploy (CreateModel →
//! CreateEndpointConfig → CreateEndpoint, every one tagged, then wait with the SDK's `-`/`!` progress), describe and
//! delete endpoints.
//!
//! Endpoint waits have the training wait's protection: their DescribeEndpoint polls retry throttling and transient
//! errors (at least [`crate::WAIT_MAX_ATTEMPTS`] attempts each, every retried failure shown as a line), and a wait
//! that still fails (expired credentials, a lost network) is [`AwsError::WaitInterrupted`] saying how to resume:
//! the endpoint keeps starting on SageMaker.

use std::time::Duration;

use aws_sdk_sagemaker::types::{ContainerDefinition, ProductionVariant, ProductionVariantInstanceType};
use aws_sdk_sagemaker::Client;
use ipinsights_sagemaker_facts::{Checked, EndpointRequest, EndpointStatus, ModelRequest};

use crate::instances::check_instances;
use crate::role::check_role_arn;
use crate::training::{count, parse_status, request_tags, vpc_config};
use crate::wait::{interrupted, RetryNotes};
use crate::{AwsConfig, AwsError, ServiceError};

/// Creates a model exactly as the SDK does (`PrimaryContainer` {Image, ModelDataUrl}, `ExecutionRoleArn`, and
/// `VpcConfig`, `EnableNetworkIsolation` and `Tags` only when set); returns its ARN. The request was checked when
/// it was built; the role ARN is checked here, before any call.
pub fn create_model(cfg: &AwsConfig, request: &Checked<ModelRequest>) -> Result<String, AwsError> {
    check_role_arn(&request.role)?;
    cfg.run(async { create(&cfg.sagemaker().await?, request).await })
}

/// CreateModel on an open client: the one mapping of a model request to the SDK's builder.
async fn create(client: &Client, request: &ModelRequest) -> Result<String, AwsError> {
    let container =
        ContainerDefinition::builder().image(&request.image_uri).model_data_url(request.model_data.to_string()).build();
    let out = client
        .create_model()
        .model_name(&request.model_name)
        .primary_container(container)
        .execution_role_arn(&request.role)
        .set_vpc_config(vpc_config(&request.vpc))
        .set_tags(request_tags(&request.tags))
        .set_enable_network_isolation(request.enable_network_isolation.then_some(true))
        .send()
        .await
        .map_err(|e| AwsError::sdk("CreateModel", e))?;
    Ok(out.model_arn().unwrap_or_default().to_string())
}

/// What DescribeEndpoint says about an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInfo {
    /// The endpoint.
    pub endpoint_name: String,
    /// Its ARN.
    pub endpoint_arn: String,
    /// Its endpoint config.
    pub endpoint_config_name: String,
    /// Its status.
    pub status: EndpointStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// `CreationTime`, in Unix seconds.
    pub creation_time: Option<i64>,
}

/// An endpoint with what its endpoint config says: the instances it runs on and the models it serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedEndpoint {
    /// What DescribeEndpoint says.
    pub info: EndpointInfo,
    /// The first variant's instance type, when its endpoint config still exists.
    pub instance_type: Option<String>,
    /// The first variant's initial instance count.
    pub instance_count: Option<u32>,
    /// The models of its variants.
    pub model_names: Vec<String>,
}

/// What `delete_endpoint` deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedEndpoint {
    /// The endpoint.
    pub endpoint_name: String,
    /// Its endpoint config, when that was deleted too.
    pub endpoint_config_name: Option<String>,
    /// Its models, when they were deleted too (models already gone are left out).
    pub model_names: Vec<String>,
}

/// Creates the model, the endpoint config (one `AllTraffic` variant of weight 1) and the endpoint, as the
/// Python SDK's `deploy` does, then waits like [`wait_for_endpoint`].
pub fn deploy(
    cfg: &AwsConfig,
    request: &Checked<EndpointRequest>,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<EndpointInfo, AwsError> {
    check_role_arn(&request.model.role)?;
    check_instances(&request.instance_type, request.initial_instance_count)?;
    cfg.run(async { create_endpoint(&cfg.sagemaker().await?, request).await })?;
    wait_for_endpoint(cfg, &request.endpoint_name, poll, out)
}

/// CreateModel, CreateEndpointConfig and CreateEndpoint on an open client: the one mapping of an endpoint request
/// to the SDK's builders.
async fn create_endpoint(client: &Client, request: &EndpointRequest) -> Result<(), AwsError> {
    create(client, &request.model).await?;
    let variant = ProductionVariant::builder()
        .variant_name("AllTraffic")
        .model_name(&request.model.model_name)
        .initial_instance_count(count(request.initial_instance_count)?)
        .instance_type(ProductionVariantInstanceType::from(request.instance_type.as_str()))
        .initial_variant_weight(1.0)
        .build();
    client
        .create_endpoint_config()
        .endpoint_config_name(&request.endpoint_name)
        .production_variants(variant)
        .set_tags(request_tags(&request.model.tags))
        .send()
        .await
        .map_err(|e| AwsError::sdk("CreateEndpointConfig", e))?;
    client
        .create_endpoint()
        .endpoint_name(&request.endpoint_name)
        .endpoint_config_name(&request.endpoint_name)
        .set_tags(request_tags(&request.model.tags))
        .send()
        .await
        .map_err(|e| AwsError::sdk("CreateEndpoint", e))?;
    Ok(())
}

/// Polls an endpoint every `poll` until it leaves Creating/Updating, writing the SDK's progress to `out`:
/// `-` per poll while it is being created or updated, then `!` when InService (or `*` when Failed, `x`
/// OutOfService, `o` Deleting) and a line break. Any final status but InService is
/// [`AwsError::EndpointFailed`] with the FailureReason. Throttled or failed polls are retried (each retried failure
/// is a line of the output); a wait that still fails is [`AwsError::WaitInterrupted`], naming how to resume
/// (`Predictor::attach`), since the endpoint keeps starting on SageMaker.
pub fn wait_for_endpoint(
    cfg: &AwsConfig,
    endpoint_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<EndpointInfo, AwsError> {
    let retries = RetryNotes::default();
    let waited = cfg.run(async {
        let client = cfg.sagemaker_for_waits(&retries.log).await?;
        wait(&client, endpoint_name, poll, &mut retries.clone(), out).await
    });
    let resume = format!(
        "`Predictor::attach`: `let mut predictor = Predictor::attach(&session, \"{endpoint_name}\")?;` in a new cell \
         (after a kernel restart, run the setup cell first)"
    );
    match waited {
        Err(e @ AwsError::EndpointFailed { .. }) => Err(e),
        waited => interrupted("endpoint", endpoint_name, &resume, waited),
    }
}

/// Polls until the endpoint no longer exists (DeleteEndpoint returns while it is still `Deleting`, and its name
/// cannot be used again before it is gone), writing `o` per poll and a line break.
pub fn wait_for_endpoint_deleted(
    cfg: &AwsConfig,
    endpoint_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<(), AwsError> {
    let retries = RetryNotes::default();
    cfg.run(async {
        let client = cfg.sagemaker_for_waits(&retries.log).await?;
        loop {
            match describe(&client, endpoint_name).await {
                Err(AwsError::EndpointNotFound { .. }) => {
                    out("\n");
                    return Ok(());
                }
                Err(e) => return Err(e),
                Ok(_) => {
                    out("o");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    })
}

/// Describes an endpoint and its endpoint config: the instances it runs on and its models (DescribeEndpoint,
/// DescribeEndpointConfig); a missing endpoint is [`AwsError::EndpointNotFound`].
pub fn describe_hosted_endpoint(cfg: &AwsConfig, endpoint_name: &str) -> Result<HostedEndpoint, AwsError> {
    cfg.run(async { hosted(&cfg.sagemaker().await?, endpoint_name).await })
}

/// DescribeEndpoint and DescribeEndpointConfig on an open client.
pub(crate) async fn hosted(client: &Client, endpoint_name: &str) -> Result<HostedEndpoint, AwsError> {
    let info = describe(client, endpoint_name).await?;
    let config = match client.describe_endpoint_config().endpoint_config_name(&info.endpoint_config_name).send().await {
        Ok(out) => Some(out),
        Err(e) if is_not_found(&ServiceError::from_sdk("DescribeEndpointConfig", &e)) => None,
        Err(e) => return Err(AwsError::sdk("DescribeEndpointConfig", e)),
    };
    let variants = config.as_ref().map_or(&[][..], |c| c.production_variants());
    let first = variants.first();
    Ok(HostedEndpoint {
        instance_type: first.and_then(|v| v.instance_type()).map(|t| t.as_str().to_string()),
        instance_count: first.and_then(|v| v.initial_instance_count()).and_then(|n| u32::try_from(n).ok()),
        model_names: variants.iter().filter_map(|v| v.model_name().map(String::from)).collect(),
        info,
    })
}

/// Describes an endpoint; a missing one is [`AwsError::EndpointNotFound`].
pub fn describe_endpoint(cfg: &AwsConfig, endpoint_name: &str) -> Result<EndpointInfo, AwsError> {
    cfg.run(async { describe(&cfg.sagemaker().await?, endpoint_name).await })
}

/// Deletes an endpoint with its endpoint config and models (what `predictor.delete_endpoint()` + `delete_model()`
/// do). A missing endpoint is [`AwsError::EndpointNotFound`].
pub fn delete_endpoint(cfg: &AwsConfig, endpoint_name: &str) -> Result<DeletedEndpoint, AwsError> {
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let info = describe(&client, endpoint_name).await?;
        let config = info.endpoint_config_name;
        let mut deleted =
            DeletedEndpoint { endpoint_name: endpoint_name.into(), endpoint_config_name: None, model_names: vec![] };
        let models = config_models(&client, &config).await?;
        client
            .delete_endpoint()
            .endpoint_name(endpoint_name)
            .send()
            .await
            .map_err(|e| endpoint_error(endpoint_name, ServiceError::from_sdk("DeleteEndpoint", &e), is_not_found))?;
        let Some(models) = models else { return Ok(deleted) };
        client
            .delete_endpoint_config()
            .endpoint_config_name(&config)
            .send()
            .await
            .map_err(|e| AwsError::sdk("DeleteEndpointConfig", e))?;
        deleted.endpoint_config_name = Some(config);
        for model in models {
            match client.delete_model().model_name(&model).send().await {
                Ok(_) => deleted.model_names.push(model),
                Err(e) if is_not_found(&ServiceError::from_sdk("DeleteModel", &e)) => {}
                Err(e) => return Err(AwsError::sdk("DeleteModel", e)),
            }
        }
        Ok(deleted)
    })
}

async fn wait(
    client: &Client,
    endpoint_name: &str,
    poll: Duration,
    retries: &mut RetryNotes,
    out: &mut dyn FnMut(&str),
) -> Result<EndpointInfo, AwsError> {
    loop {
        let info = describe(client, endpoint_name).await?;
        for note in retries.news() {
            out(&format!("\n{note}\n"));
        }
        out(symbol(info.status));
        if matches!(
            info.status,
            EndpointStatus::Creating
                | EndpointStatus::Updating
                | EndpointStatus::SystemUpdating
                | EndpointStatus::RollingBack
        ) {
            tokio::time::sleep(poll).await;
            continue;
        }
        out("\n");
        if info.status == EndpointStatus::InService {
            return Ok(info);
        }
        return Err(AwsError::EndpointFailed {
            endpoint_name: endpoint_name.into(),
            status: info.status,
            reason: info.failure_reason.unwrap_or_else(|| "(No reason provided)".into()),
        });
    }
}

/// The Python SDK's progress symbol for an endpoint status.
fn symbol(status: EndpointStatus) -> &'static str {
    match status {
        EndpointStatus::OutOfService => "x",
        EndpointStatus::Creating | EndpointStatus::Updating | EndpointStatus::SystemUpdating => "-",
        EndpointStatus::InService => "!",
        EndpointStatus::RollingBack => "<",
        EndpointStatus::Deleting => "o",
        EndpointStatus::Failed => "*",
        EndpointStatus::UpdateRollbackFailed => "?",
    }
}

pub(crate) async fn describe(client: &Client, endpoint_name: &str) -> Result<EndpointInfo, AwsError> {
    let out = client
        .describe_endpoint()
        .endpoint_name(endpoint_name)
        .send()
        .await
        .map_err(|e| endpoint_error(endpoint_name, ServiceError::from_sdk("DescribeEndpoint", &e), is_not_found))?;
    Ok(EndpointInfo {
        endpoint_name: out.endpoint_name().unwrap_or(endpoint_name).to_string(),
        endpoint_arn: out.endpoint_arn().unwrap_or_default().to_string(),
        endpoint_config_name: out.endpoint_config_name().unwrap_or_default().to_string(),
        status: parse_status("DescribeEndpoint", out.endpoint_status().map_or("", |s| s.as_str()))?,
        failure_reason: out.failure_reason().map(String::from),
        creation_time: out.creation_time().map(|t| t.secs()),
    })
}

/// The models of an endpoint config, or `None` when the config is already gone.
async fn config_models(client: &Client, config: &str) -> Result<Option<Vec<String>>, AwsError> {
    match client.describe_endpoint_config().endpoint_config_name(config).send().await {
        Ok(out) => {
            Ok(Some(out.production_variants().iter().filter_map(|v| v.model_name().map(String::from)).collect()))
        }
        Err(e) if is_not_found(&ServiceError::from_sdk("DescribeEndpointConfig", &e)) => Ok(None),
        Err(e) => Err(AwsError::sdk("DescribeEndpointConfig", e)),
    }
}

/// SageMaker answers a missing resource with `ValidationException: Could not find …`.
pub(crate) fn is_not_found(e: &ServiceError) -> bool {
    e.code.as_deref() == Some("ValidationException")
        && e.message.as_deref().is_some_and(|m| m.contains("Could not find"))
}

/// `e` as [`AwsError::EndpointNotFound`] when `missing` recognises SageMaker's answer for a missing endpoint (the
/// control plane and the runtime word it differently), else as the service error it is.
pub(crate) fn endpoint_error(endpoint_name: &str, e: ServiceError, missing: fn(&ServiceError) -> bool) -> AwsError {
    if missing(&e) {
        AwsError::EndpointNotFound { endpoint_name: endpoint_name.into(), source: Box::new(e) }
    } else {
        AwsError::Service(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipinsights_sagemaker_facts::S3Uri;

    #[test]
    fn symbols_match_the_sdk() {
        let shown: String = ["Creating", "Updating", "InService", "Failed", "OutOfService", "Deleting", "RollingBack"]
            .into_iter()
            .map(|s| symbol(s.parse().unwrap()))
            .collect();
        assert_eq!(shown, "--!*xo<");
    }

    #[test]
    fn what_only_aws_checks_is_checked_before_any_call() {
        let model = ModelRequest::new(
            "ipinsights-model",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            S3Uri::parse("s3://workshop-bucket/out/job/output/model.tar.gz").unwrap(),
            "arn:aws:iam::123456789012:role/r",
        );
        let request = EndpointRequest {
            model: model.clone(),
            endpoint_name: "ipinsights-endpoint".into(),
            initial_instance_count: 1,
            instance_type: "ml.m5.xlarge".into(),
        };
        let bad = [
            EndpointRequest { model: ModelRequest { role: "role".into(), ..model.clone() }, ..request.clone() },
            EndpointRequest { instance_type: "t2.micro".into(), ..request.clone() },
        ];
        for b in bad {
            let err = deploy(&AwsConfig::default(), &b.clone().check().unwrap(), Duration::ZERO, &mut |_| {});
            let err = err.unwrap_err().to_string();
            assert!(err.contains("IAM role ARN") || err.contains("SageMaker instance type"), "{b:?}: {err}");
        }
        let err = create_model(&AwsConfig::default(), &ModelRequest { role: "r".into(), ..model }.check().unwrap());
        assert!(err.unwrap_err().to_string().contains("not an IAM role ARN"));
    }
}
