//! What the workshop left running on SageMaker, found by its tag: every training job, model, endpoint config,
//! endpoint and transform job the workshop creates carries `ipinsights_sagemaker_facts::WORKSHOP_TAG_KEY`, so a new
//! session (after a kernel restart) lists them (List* and ListTags) and deletes or stops them on request.

use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::operation::describe_transform_job::DescribeTransformJobOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{TrainingJobStatus, TransformJobStatus};
use aws_sdk_sagemaker::Client;

use crate::hosting::{hosted, is_not_found};
use crate::training::parse_status;
use crate::{AwsConfig, AwsError, ServiceError};
pub use ipinsights_sagemaker_facts::tags::{Removal, ResourceKind, ResourceStatus, TaggedResource};

/// Every endpoint, endpoint config and model, and every training and transform job still in progress, that carries
/// the tag `key` (with any value): the List* calls, then ListTags for each resource, DescribeEndpoint(Config) and
/// Describe*Job for the instances of those found.
pub fn list_tagged(cfg: &AwsConfig, key: &str) -> Result<Vec<TaggedResource>, AwsError> {
    use ResourceKind::{Endpoint, EndpointConfig, Model, TrainingJob, TransformJob};
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let mut found = Vec::new();
        for kind in [Endpoint, EndpointConfig, Model, TrainingJob, TransformJob] {
            for (name, arn, created) in listed(&client, kind).await? {
                let Some(session) = tag_value(&client, &arn, key).await? else { continue };
                if let Some(resource) = described(&client, plain(kind, name, session, created)).await? {
                    found.push(resource);
                }
            }
        }
        Ok(found)
    })
}

/// `resource` with its status and instances (DescribeEndpoint(Config), Describe*Job); `None` for an endpoint gone
/// since the listing.
async fn described(client: &Client, resource: TaggedResource) -> Result<Option<TaggedResource>, AwsError> {
    let name = &resource.name;
    let count = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
    match resource.kind {
        ResourceKind::Endpoint => match hosted(client, name).await {
            Ok(hosted) => Ok(Some(TaggedResource {
                status: Some(ResourceStatus::Endpoint(hosted.info.status)),
                instance_type: hosted.instance_type,
                instance_count: hosted.instance_count,
                ..resource
            })),
            Err(AwsError::EndpointNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        },
        ResourceKind::EndpointConfig | ResourceKind::Model => Ok(Some(resource)),
        ResourceKind::TrainingJob => {
            let job = client.describe_training_job().training_job_name(name).send().await;
            let job = job.map_err(|e| AwsError::sdk("DescribeTrainingJob", e))?;
            let resources = job.resource_config();
            Ok(Some(TaggedResource {
                status: job
                    .training_job_status()
                    .map(|s| parse_status("DescribeTrainingJob", s.as_str()).map(ResourceStatus::TrainingJob))
                    .transpose()?,
                instance_type: resources.and_then(|r| r.instance_type()).map(|t| t.as_str().to_string()),
                instance_count: count(resources.and_then(|r| r.instance_count())),
                ..resource
            }))
        }
        ResourceKind::TransformJob => {
            let job = client.describe_transform_job().transform_job_name(name).send().await;
            let job = job.map_err(|e| AwsError::sdk("DescribeTransformJob", e))?;
            let resources = job.transform_resources();
            Ok(Some(TaggedResource {
                status: job
                    .transform_job_status()
                    .map(|s| parse_status("DescribeTransformJob", s.as_str()).map(ResourceStatus::TransformJob))
                    .transpose()?,
                instance_type: resources.and_then(|r| r.instance_type()).map(|t| t.as_str().to_string()),
                instance_count: count(resources.and_then(|r| r.instance_count())),
                ..resource
            }))
        }
    }
}

/// Deletes an endpoint, endpoint config or model, or stops a training or transform job; one already gone (or a job
/// already ended) is [`Removal::AlreadyGone`]. An endpoint is only asked to delete (it may stay `Deleting` a while:
/// see [`crate::wait_for_endpoint_deleted`]).
pub fn remove(cfg: &AwsConfig, kind: ResourceKind, name: &str) -> Result<Removal, AwsError> {
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let result = match kind {
            ResourceKind::Endpoint => {
                let r = client.delete_endpoint().endpoint_name(name).send().await;
                r.map(|_| Removal::Deleted).map_err(|e| ServiceError::from_sdk("DeleteEndpoint", &e))
            }
            ResourceKind::EndpointConfig => {
                let r = client.delete_endpoint_config().endpoint_config_name(name).send().await;
                let op = "DeleteEndpointConfig";
                r.map(|_| Removal::Deleted).map_err(|e| ServiceError::from_sdk(op, &e))
            }
            ResourceKind::Model => {
                let r = client.delete_model().model_name(name).send().await;
                r.map(|_| Removal::Deleted).map_err(|e| ServiceError::from_sdk("DeleteModel", &e))
            }
            ResourceKind::TrainingJob => {
                let job = client.describe_training_job().training_job_name(name).send().await;
                let running =
                    |job: &DescribeTrainingJobOutput| job.training_job_status() == Some(&TrainingJobStatus::InProgress);
                if !still_running("DescribeTrainingJob", job, running)? {
                    return Ok(Removal::AlreadyGone);
                }
                let r = client.stop_training_job().training_job_name(name).send().await;
                let op = "StopTrainingJob";
                r.map(|_| Removal::Stopped).map_err(|e| ServiceError::from_sdk(op, &e))
            }
            ResourceKind::TransformJob => {
                let job = client.describe_transform_job().transform_job_name(name).send().await;
                let running = |job: &DescribeTransformJobOutput| {
                    job.transform_job_status() == Some(&TransformJobStatus::InProgress)
                };
                if !still_running("DescribeTransformJob", job, running)? {
                    return Ok(Removal::AlreadyGone);
                }
                let r = client.stop_transform_job().transform_job_name(name).send().await;
                let op = "StopTransformJob";
                r.map(|_| Removal::Stopped).map_err(|e| ServiceError::from_sdk(op, &e))
            }
        };
        match result {
            Ok(removal) => Ok(removal),
            Err(e) if is_not_found(&e) => Ok(Removal::AlreadyGone),
            Err(e) => Err(AwsError::Service(Box::new(e))),
        }
    })
}

/// Whether a Describe*Job answer says the job still runs (`running`); false for a job gone.
fn still_running<T, E>(
    operation: &'static str,
    described: Result<T, SdkError<E, HttpResponse>>,
    running: impl FnOnce(&T) -> bool,
) -> Result<bool, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match described {
        Ok(job) => Ok(running(&job)),
        Err(e) if is_not_found(&ServiceError::from_sdk(operation, &e)) => Ok(false),
        Err(e) => Err(AwsError::sdk(operation, e)),
    }
}

/// A resource with nothing more to say than its name and age.
fn plain(kind: ResourceKind, name: String, session: String, created: Option<i64>) -> TaggedResource {
    TaggedResource { kind, name, session, created, status: None, instance_type: None, instance_count: None }
}

/// The value of the tag `key` on the resource `arn`, if it has that tag (ListTags, every page).
async fn tag_value(client: &Client, arn: &str, key: &str) -> Result<Option<String>, AwsError> {
    let mut token = None;
    loop {
        let out = client.list_tags().resource_arn(arn).set_next_token(token).send().await;
        let out = match out {
            Ok(out) => out,
            // Deleted between the listing and this call.
            Err(e) if is_not_found(&ServiceError::from_sdk("ListTags", &e)) => return Ok(None),
            Err(e) => return Err(AwsError::sdk("ListTags", e)),
        };
        if let Some(tag) = out.tags().iter().find(|t| t.key() == Some(key)) {
            return Ok(Some(tag.value().unwrap_or_default().to_string()));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(None);
        }
    }
}

/// (name, ARN, creation time) of a listing.
type Listed = Vec<(String, String, Option<i64>)>;

/// Every resource of `kind` (its List* call, every page through the SDK's paginator); training and transform jobs
/// in progress only (`StatusEquals=InProgress`).
async fn listed(client: &Client, kind: ResourceKind) -> Result<Listed, AwsError> {
    let row = |name: Option<&str>, arn: Option<&str>, created: Option<&DateTime>| {
        (name.unwrap_or_default().to_string(), arn.unwrap_or_default().to_string(), created.map(DateTime::secs))
    };
    let listed = match kind {
        ResourceKind::Endpoint => {
            let all = client.list_endpoints().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
            let all = all.map_err(|e| AwsError::sdk("ListEndpoints", e))?;
            all.iter().map(|e| row(e.endpoint_name(), e.endpoint_arn(), e.creation_time())).collect()
        }
        ResourceKind::EndpointConfig => {
            let all = client.list_endpoint_configs().into_paginator().items().send();
            let all = all.collect::<Result<Vec<_>, _>>().await.map_err(|e| AwsError::sdk("ListEndpointConfigs", e))?;
            all.iter().map(|c| row(c.endpoint_config_name(), c.endpoint_config_arn(), c.creation_time())).collect()
        }
        ResourceKind::Model => {
            let all = client.list_models().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
            let all = all.map_err(|e| AwsError::sdk("ListModels", e))?;
            all.iter().map(|m| row(m.model_name(), m.model_arn(), m.creation_time())).collect()
        }
        ResourceKind::TrainingJob => {
            let list = client.list_training_jobs().status_equals(TrainingJobStatus::InProgress);
            let all = list.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
            let all = all.map_err(|e| AwsError::sdk("ListTrainingJobs", e))?;
            all.iter().map(|j| row(j.training_job_name(), j.training_job_arn(), j.creation_time())).collect()
        }
        ResourceKind::TransformJob => {
            let list = client.list_transform_jobs().status_equals(TransformJobStatus::InProgress);
            let all = list.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
            let all = all.map_err(|e| AwsError::sdk("ListTransformJobs", e))?;
            all.iter().map(|j| row(j.transform_job_name(), j.transform_job_arn(), j.creation_time())).collect()
        }
    };
    Ok(listed)
}
