//! What the workshop left running on SageMaker, found by its tag: every training job, model, endpoint config,
//! endpoint and transform job the workshop creates carries `ipinsights_sagemaker::WORKSHOP_TAG_KEY`, so a new
//! session (after a kernel restart) lists them (List* and ListTags) and deletes or stops them on request.

use aws_sdk_sagemaker::types::{TrainingJobStatus, TransformJobStatus};
use aws_sdk_sagemaker::Client;

use crate::hosting::{hosted, is_not_found};
use crate::{AwsConfig, AwsError, ServiceError};
pub use ipinsights_sagemaker::tags::{Removal, ResourceKind, TaggedResource};

/// Every endpoint, endpoint config and model, and every training and transform job still in progress, that carries
/// the tag `key` (with any value): the List* calls, then ListTags for each resource, DescribeEndpoint(Config) and
/// Describe*Job for the instances of those found.
pub fn list_tagged(cfg: &AwsConfig, key: &str) -> Result<Vec<TaggedResource>, AwsError> {
    cfg.run(async {
        let client = cfg.sagemaker().await?;
        let mut found = Vec::new();
        for (name, arn, created) in endpoints(&client).await? {
            let Some(session) = tag_value(&client, &arn, key).await? else { continue };
            let hosted = match hosted(&client, &name).await {
                Ok(h) => h,
                Err(AwsError::EndpointNotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            found.push(TaggedResource {
                kind: ResourceKind::Endpoint,
                name,
                session,
                created,
                status: Some(hosted.info.status.to_string()),
                instance_type: hosted.instance_type,
                instance_count: hosted.instance_count,
            });
        }
        for (name, arn, created) in endpoint_configs(&client).await? {
            if let Some(session) = tag_value(&client, &arn, key).await? {
                found.push(plain(ResourceKind::EndpointConfig, name, session, created));
            }
        }
        for (name, arn, created) in models(&client).await? {
            if let Some(session) = tag_value(&client, &arn, key).await? {
                found.push(plain(ResourceKind::Model, name, session, created));
            }
        }
        for (name, arn, created) in training_jobs(&client).await? {
            let Some(session) = tag_value(&client, &arn, key).await? else { continue };
            let job = client.describe_training_job().training_job_name(&name).send().await;
            let job = job.map_err(|e| AwsError::sdk("DescribeTrainingJob", e))?;
            let resources = job.resource_config();
            found.push(TaggedResource {
                status: job.training_job_status().map(|s| s.as_str().to_string()),
                instance_type: resources.and_then(|r| r.instance_type()).map(|t| t.as_str().to_string()),
                instance_count: resources.and_then(|r| r.instance_count()).and_then(|n| u32::try_from(n).ok()),
                ..plain(ResourceKind::TrainingJob, name, session, created)
            });
        }
        for (name, arn, created) in transform_jobs(&client).await? {
            let Some(session) = tag_value(&client, &arn, key).await? else { continue };
            let job = client.describe_transform_job().transform_job_name(&name).send().await;
            let job = job.map_err(|e| AwsError::sdk("DescribeTransformJob", e))?;
            let resources = job.transform_resources();
            found.push(TaggedResource {
                status: job.transform_job_status().map(|s| s.as_str().to_string()),
                instance_type: resources.and_then(|r| r.instance_type()).map(|t| t.as_str().to_string()),
                instance_count: resources.and_then(|r| r.instance_count()).and_then(|n| u32::try_from(n).ok()),
                ..plain(ResourceKind::TransformJob, name, session, created)
            });
        }
        Ok(found)
    })
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
                let job = match job {
                    Ok(job) => job,
                    Err(e) if is_not_found(&ServiceError::from_sdk("DescribeTrainingJob", &e)) => {
                        return Ok(Removal::AlreadyGone)
                    }
                    Err(e) => return Err(AwsError::sdk("DescribeTrainingJob", e)),
                };
                if job.training_job_status() != Some(&TrainingJobStatus::InProgress) {
                    return Ok(Removal::AlreadyGone);
                }
                let r = client.stop_training_job().training_job_name(name).send().await;
                let op = "StopTrainingJob";
                r.map(|_| Removal::Stopped).map_err(|e| ServiceError::from_sdk(op, &e))
            }
            ResourceKind::TransformJob => {
                let job = client.describe_transform_job().transform_job_name(name).send().await;
                let job = match job {
                    Ok(job) => job,
                    Err(e) if is_not_found(&ServiceError::from_sdk("DescribeTransformJob", &e)) => {
                        return Ok(Removal::AlreadyGone)
                    }
                    Err(e) => return Err(AwsError::sdk("DescribeTransformJob", e)),
                };
                if job.transform_job_status() != Some(&TransformJobStatus::InProgress) {
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

/// Every endpoint (ListEndpoints, every page).
async fn endpoints(client: &Client) -> Result<Listed, AwsError> {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = client.list_endpoints().set_next_token(token).send().await;
        let out = out.map_err(|e| AwsError::sdk("ListEndpoints", e))?;
        for e in out.endpoints() {
            listed.push((
                e.endpoint_name().unwrap_or_default().to_string(),
                e.endpoint_arn().unwrap_or_default().to_string(),
                e.creation_time().map(|t| t.secs()),
            ));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(listed);
        }
    }
}

/// Every endpoint config (ListEndpointConfigs, every page).
async fn endpoint_configs(client: &Client) -> Result<Listed, AwsError> {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = client.list_endpoint_configs().set_next_token(token).send().await;
        let out = out.map_err(|e| AwsError::sdk("ListEndpointConfigs", e))?;
        for c in out.endpoint_configs() {
            let created = c.creation_time().map(|t| t.secs());
            listed.push((
                c.endpoint_config_name().unwrap_or_default().to_string(),
                c.endpoint_config_arn().unwrap_or_default().to_string(),
                created,
            ));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(listed);
        }
    }
}

/// Every model (ListModels, every page).
async fn models(client: &Client) -> Result<Listed, AwsError> {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = client.list_models().set_next_token(token).send().await;
        let out = out.map_err(|e| AwsError::sdk("ListModels", e))?;
        for m in out.models() {
            listed.push((
                m.model_name().unwrap_or_default().to_string(),
                m.model_arn().unwrap_or_default().to_string(),
                m.creation_time().map(|t| t.secs()),
            ));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(listed);
        }
    }
}

/// Every training job in progress (ListTrainingJobs `StatusEquals=InProgress`, every page).
async fn training_jobs(client: &Client) -> Result<Listed, AwsError> {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_training_jobs()
            .status_equals(TrainingJobStatus::InProgress)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::sdk("ListTrainingJobs", e))?;
        for j in out.training_job_summaries() {
            let created = j.creation_time().map(|t| t.secs());
            listed.push((
                j.training_job_name().unwrap_or_default().to_string(),
                j.training_job_arn().unwrap_or_default().to_string(),
                created,
            ));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(listed);
        }
    }
}

/// Every transform job in progress (ListTransformJobs `StatusEquals=InProgress`, every page).
async fn transform_jobs(client: &Client) -> Result<Listed, AwsError> {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_transform_jobs()
            .status_equals(TransformJobStatus::InProgress)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::sdk("ListTransformJobs", e))?;
        for j in out.transform_job_summaries() {
            let created = j.creation_time().map(|t| t.secs());
            listed.push((
                j.transform_job_name().unwrap_or_default().to_string(),
                j.transform_job_arn().unwrap_or_default().to_string(),
                created,
            ));
        }
        token = out.next_token().map(String::from);
        if token.is_none() {
            return Ok(listed);
        }
    }
}
