//! The local backend: SageMaker's architecture on this machine. A training job is an `ipinsights train` process
//! and an endpoint an `ipinsights serve` process (the release binary, so their speed never depends on how the
//! notebook kernel compiled this crate); this module is their control plane.
//!
//! Layout under the root folder (`IPINSIGHTS_LOCAL_ROOT`, default `out/local-aws` in the repository):
//!
//! | path | what |
//! |---|---|
//! | `{bucket}/{key}` | the object `s3://bucket/key` |
//! | `{output_path}/{job}/output/model.tar.gz` | a job's artifact (`model.ipinsights` inside, nothing beside it) |
//! | `{output_path}/{job}/events.jsonl` | the job's contract events |
//! | `training-jobs/{job}.json` | the job's [`ipinsights_contract::JobRecord`] (DescribeTrainingJob) |
//! | `endpoints/{name}.json` | an endpoint's [`ipinsights_contract::EndpointRecord`] (DescribeEndpoint) |
//! | `endpoints/{name}.ready.json`, `.log` | what its server wrote: ready record, log |
//! | `transform-jobs/{job}.events.jsonl` | a transform job's contract events |
//! | `tags/{kind}/{name}.json` | a resource's tags, instances and creation time ([`tags::TagRecord`]) |
//!
//! Models and endpoint configs are not kept: a transform request names its model's artifact, which the
//! `ipinsights transform` process reads in place, and an endpoint serves its model folder. Tags are kept (so a
//! sweep finds what a session made, as on SageMaker). The options that only mean something on SageMaker (VPC, KMS
//! keys, spot training, network isolation, server-side encryption) are accepted and said to be ignored.

pub mod binary;
pub mod endpoint;
pub mod job;
pub mod job_process;
pub mod process;
pub mod storage;
pub mod tags;
pub mod transform;

use std::path::{Path, PathBuf};

use ipinsights_client::EndpointClient;
use ipinsights_contract::JobRecord;
use ipinsights_sagemaker_facts::{
    validate_resource_name, EndpointStatus, ResourceStatus, S3Uri, ServerSideEncryption, TrainingJobStatus,
    TrainingOptions, TransformJobStatus, WORKSHOP_TAG_KEY,
};

use crate::backend::{
    Backend, Checked, EndpointDescription, EndpointRequest, Leftover, ModelRequest, Output, Removal, ResourceKind,
    TrainingJobDescription, TrainingJobRequest, TransformJobDescription, TransformJobRequest,
};
use crate::error::{ErrorKind, Missing, Result, WorkshopError};
use endpoint::Endpoints;
use process::EndpointProcess;
use storage::Buckets;
use tags::Tags;

/// The role the local backend reports: local jobs assume no role.
const LOCAL_ROLE: &str = "arn:aws:iam::000000000000:role/local-ipinsights-execution-role";

/// The region the local backend reports, for image URIs.
const LOCAL_REGION: &str = "us-east-1";

/// The local backend rooted at one folder (see the module docs); plain data.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
    buckets: Buckets,
    endpoints: Endpoints,
    tags: Tags,
}

impl LocalBackend {
    /// The local backend rooted at `root`.
    pub fn new(root: &Path) -> Self {
        LocalBackend {
            root: root.to_path_buf(),
            buckets: Buckets::new(root),
            endpoints: Endpoints::new(root),
            tags: Tags::new(root),
        }
    }

    /// The root named by `IPINSIGHTS_LOCAL_ROOT`, else `out/local-aws` in the repository.
    pub fn default_root() -> PathBuf {
        std::env::var_os("IPINSIGHTS_LOCAL_ROOT")
            .filter(|r| !r.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| binary::repo_root().join("out").join("local-aws"))
    }

    /// The folder it is rooted at.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file behind an `s3://bucket/key` URI.
    pub fn path_of(&self, uri: &S3Uri) -> Result<PathBuf> {
        self.buckets.path_of(uri)
    }

    fn job_record_path(&self, job_name: &str) -> Result<PathBuf> {
        validate_resource_name("training job", job_name)?;
        Ok(self.root.join("training-jobs").join(format!("{job_name}.json")))
    }

    /// The file behind a channel, which must exist (locally a channel is one object, not a prefix).
    fn channel_file(&self, uri: &S3Uri) -> Result<PathBuf> {
        let path = self.path_of(uri)?;
        if !path.is_file() {
            let message = format!("no training data at {uri} (local file {})", path.display());
            return Err(WorkshopError::not_found(Missing::Object, uri.to_string(), message));
        }
        Ok(path)
    }

    /// An endpoint as DescribeEndpoint would say: `InService` while its server runs, `OutOfService` once it stopped
    /// (its notebook kernel exited); `None` when there is no such endpoint.
    fn endpoint_description(&self, endpoint_name: &str) -> Result<Option<EndpointDescription>> {
        if !self.endpoints.exists(endpoint_name)? {
            return Ok(None);
        }
        let record = self.endpoints.find(endpoint_name)?;
        let running = EndpointProcess::verify(record.pid, endpoint_name, &record.model_dir).is_some();
        let tags = self.tags.get(ResourceKind::Endpoint, endpoint_name)?;
        Ok(Some(EndpointDescription {
            endpoint_name: record.endpoint_name,
            status: if running { EndpointStatus::InService } else { EndpointStatus::OutOfService },
            instance_type: tags.as_ref().and_then(|t| t.instance_type.clone()),
            instance_count: tags.as_ref().and_then(|t| t.instance_count),
        }))
    }
}

/// The options set that only SageMaker acts on, by their SDK names.
fn sagemaker_only_options(o: &TrainingOptions) -> Vec<&'static str> {
    let d = TrainingOptions::default();
    let set = [
        ("volume_size", o.volume_size != d.volume_size),
        ("max_run", o.max_run != d.max_run),
        ("volume_kms_key", o.volume_kms_key.is_some()),
        ("output_kms_key", o.output_kms_key.is_some()),
        ("subnets", !o.vpc.subnets.is_empty()),
        ("security_group_ids", !o.vpc.security_group_ids.is_empty()),
        ("encrypt_inter_container_traffic", o.encrypt_inter_container_traffic),
        ("enable_network_isolation", o.enable_network_isolation),
        ("use_spot_instances", o.use_spot_instances),
        ("max_wait", o.max_wait.is_some()),
        ("checkpoint_s3_uri", o.checkpoint_s3_uri.is_some()),
    ];
    set.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect()
}

/// What a finished job's record says, as the facade reads it.
fn description(record: JobRecord) -> TrainingJobDescription {
    TrainingJobDescription {
        job_name: record.training_job_name,
        status: record.training_job_status,
        model_artifacts: record.model_artifacts,
        training_seconds: record.training_time_in_seconds.unwrap_or(0),
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn region(&self) -> &str {
        LOCAL_REGION
    }

    fn execution_role(&self) -> Result<String> {
        Ok(LOCAL_ROLE.into())
    }

    fn check_bucket(&self, bucket: &str, out: Output<'_>) -> Result<()> {
        self.buckets.check(bucket, out)
    }

    fn upload(
        &self,
        file: &Path,
        destination: &S3Uri,
        encryption: Option<&ServerSideEncryption>,
        out: Output<'_>,
    ) -> Result<()> {
        if let Some(sse) = encryption {
            out(&format!("(local backend: nothing to encrypt with; {} applies on S3 only)\n", sse.algorithm()));
        }
        self.buckets.upload(file, destination)
    }

    fn download(&self, source: &S3Uri, file: &Path) -> Result<()> {
        let path = self.path_of(source)?;
        if !path.is_file() {
            let message = format!("no object at {source} (local file {})", path.display());
            return Err(WorkshopError::not_found(Missing::Object, source.to_string(), message));
        }
        let mut from = std::fs::File::open(&path).map_err(|e| WorkshopError::io("read", &path, e))?;
        ipinsights_engine::atomic::write_atomically(file, |w| std::io::copy(&mut from, w).map(|_| ()))
            .map_err(|e| WorkshopError::io("write", file, e))
    }

    fn create_model(&self, _request: &Checked<ModelRequest>) -> Result<()> {
        Ok(())
    }

    fn transform(&self, request: &Checked<TransformJobRequest>, out: Output<'_>) -> Result<TransformJobDescription> {
        let input = self.path_of(&request.data)?;
        if !input.exists() {
            let message = format!("no input at {} (local file or folder {})", request.data, input.display());
            return Err(WorkshopError::not_found(Missing::Object, request.data.to_string(), message));
        }
        let artifact = self.path_of(&request.model_data)?;
        let spec = transform::TransformSpec {
            request,
            model_dir: artifact.parent().map(Path::to_path_buf).unwrap_or_default(),
            input,
            output_dir: self.path_of(&request.output_path)?,
            events: self.root.join("transform-jobs").join(format!("{}.events.jsonl", request.job_name)),
        };
        let binary = binary::locate()?;
        let options = &request.options;
        let instances = Some((options.instance_type.as_str(), options.instance_count));
        self.tags.put(ResourceKind::TransformJob, &request.job_name, &options.tags, instances)?;
        transform::run(&binary, &spec, out)?;
        Ok(TransformJobDescription {
            job_name: request.job_name.clone(),
            status: TransformJobStatus::Completed,
            data: request.data.clone(),
            output_path: request.output_path.clone(),
        })
    }

    fn train(&self, request: &Checked<TrainingJobRequest>, out: Output<'_>) -> Result<TrainingJobDescription> {
        let channel = |name: &str| request.channels.iter().find(|c| c.name == name);
        let train = channel("train").ok_or_else(|| WorkshopError::new("a training job needs a \"train\" channel"))?;
        let spec = job::JobSpec {
            name: request.job_name.clone(),
            train: self.channel_file(&train.s3_data)?,
            validation: channel("validation").map(|c| self.channel_file(&c.s3_data)).transpose()?,
            job_dir: self.path_of(&request.output_path.join(&request.job_name))?,
            output_path: request.output_path.to_string().trim_end_matches('/').to_string(),
            hyperparameters: request.hyperparameters.clone(),
            record: self.job_record_path(&request.job_name)?,
        };
        let ignored = sagemaker_only_options(&request.options);
        if !ignored.is_empty() {
            out(&format!("(local backend: {} apply on SageMaker only)\n", ignored.join(", ")));
        }
        let binary = binary::locate()?;
        let instances = Some((request.instance_type.as_str(), request.instance_count));
        self.tags.put(ResourceKind::TrainingJob, &request.job_name, &request.options.tags, instances)?;
        job::run(&binary, &spec, out).map(description)
    }

    fn attach_training_job(&self, job_name: &str, _out: Output<'_>) -> Result<TrainingJobDescription> {
        let record = job::find(&self.job_record_path(job_name)?, job_name)?;
        match record.training_job_status {
            TrainingJobStatus::Completed => Ok(description(record)),
            status @ (TrainingJobStatus::InProgress | TrainingJobStatus::Stopping) => Err(WorkshopError::new(format!(
                "training job {job_name} is {status}: it runs in another notebook kernel; attach again once it ended"
            ))),
            status => {
                let reason = record.failure_reason.unwrap_or_else(|| "(No reason provided)".into());
                let message = format!("training job {job_name} is {status}: {reason}");
                let kind = match status {
                    TrainingJobStatus::Stopped => ErrorKind::Stopped { name: job_name.to_string() },
                    _ => ErrorKind::JobFailed { job_name: job_name.to_string(), reason },
                };
                Err(WorkshopError::of(kind, message))
            }
        }
    }

    fn deploy(&self, request: &Checked<EndpointRequest>, out: Output<'_>) -> Result<EndpointDescription> {
        let artifact = self.path_of(&request.model.model_data)?;
        let model_dir = artifact.parent().map(Path::to_path_buf).unwrap_or_default();
        let binary = binary::locate()?;
        let record = self.endpoints.create(&binary, &request.endpoint_name, &model_dir, out)?;
        let instances = Some((request.instance_type.as_str(), request.initial_instance_count));
        self.tags.put(ResourceKind::Endpoint, &request.endpoint_name, &request.model.tags, instances)?;
        Ok(EndpointDescription {
            endpoint_name: record.endpoint_name,
            status: EndpointStatus::InService,
            instance_type: Some(request.instance_type.clone()),
            instance_count: Some(request.initial_instance_count),
        })
    }

    fn describe_endpoint(&self, endpoint_name: &str) -> Result<EndpointDescription> {
        self.endpoint_description(endpoint_name)?.ok_or_else(|| endpoint::not_found(endpoint_name))
    }

    fn find_endpoint(&self, endpoint_name: &str) -> Result<Option<EndpointDescription>> {
        self.endpoint_description(endpoint_name)
    }

    fn attach_endpoint(&self, endpoint_name: &str, _out: Output<'_>) -> Result<EndpointDescription> {
        let described = self.describe_endpoint(endpoint_name)?;
        if described.status != EndpointStatus::InService {
            let message = format!(
                "endpoint {endpoint_name} is {}: its server stopped with the notebook kernel that started it; \
                 deploy again (or delete it with session.delete_leftovers())",
                described.status
            );
            let reason = "its server stopped with the notebook kernel that started it".to_string();
            let kind = ErrorKind::EndpointFailed { endpoint_name: endpoint_name.to_string(), reason };
            return Err(WorkshopError::of(kind, message));
        }
        Ok(described)
    }

    fn leftovers(&self) -> Result<Vec<Leftover>> {
        let mut found = Vec::new();
        for tags in self.tags.list(ResourceKind::Endpoint)? {
            let Some(session) = tags.value(WORKSHOP_TAG_KEY) else { continue };
            let Some(described) = self.endpoint_description(&tags.name)? else { continue };
            found.push(Leftover {
                kind: ResourceKind::Endpoint,
                name: tags.name.clone(),
                session: session.to_string(),
                created: Some(tags.created),
                status: Some(ResourceStatus::Endpoint(described.status)),
                instance_type: tags.instance_type.clone(),
                instance_count: tags.instance_count,
            });
        }
        for tags in self.tags.list(ResourceKind::TrainingJob)? {
            let Some(session) = tags.value(WORKSHOP_TAG_KEY) else { continue };
            let Ok(record) = job::find(&self.job_record_path(&tags.name)?, &tags.name) else { continue };
            if record.training_job_status != TrainingJobStatus::InProgress {
                continue;
            }
            found.push(Leftover {
                kind: ResourceKind::TrainingJob,
                name: tags.name.clone(),
                session: session.to_string(),
                created: Some(tags.created),
                status: Some(ResourceStatus::TrainingJob(record.training_job_status)),
                instance_type: tags.instance_type.clone(),
                instance_count: tags.instance_count,
            });
        }
        Ok(found)
    }

    fn remove(&self, kind: ResourceKind, name: &str) -> Result<Removal> {
        let removal = match kind {
            ResourceKind::Endpoint if self.endpoints.exists(name)? => {
                self.endpoints.delete(name)?;
                Removal::Deleted
            }
            // Models and endpoint configs are not kept; jobs run inside the cell that starts them.
            _ => Removal::AlreadyGone,
        };
        self.tags.remove(kind, name)?;
        Ok(removal)
    }

    fn invoke(&self, endpoint_name: &str, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>> {
        let record = self.endpoints.find(endpoint_name)?;
        EndpointClient::new(format!("{}/endpoints/{endpoint_name}", record.url))
            .invoke(&body, content_type, accept)
            .map_err(|e| WorkshopError::context(format!("endpoint {endpoint_name}"), e))
    }

    fn delete_endpoint(&self, endpoint_name: &str) -> Result<()> {
        self.endpoints.delete(endpoint_name)?;
        self.tags.remove(ResourceKind::Endpoint, endpoint_name)
    }
}
