//! `Estimator`: configure, `fit`, `attach` and `deploy`, named like the SageMaker Python SDK.
//!
//! ```no_run
//! # use ipinsights_workshop::prelude::*;
//! # fn main() -> ipinsights_workshop::Result<()> {
//! let session = Session::new()?;
//! let image = image_uri(session.region(), "ipinsights")?;
//! let mut ip_insights = Estimator::new(&session, image, session.execution_role()?)
//!     .instance_count(1)
//!     .instance_type("ml.m5.xlarge")
//!     .output_path("s3://my-bucket/ipinsights/output");
//! ip_insights.set_hyperparameters(IpInsightsParams::new(20_000, 128).epochs(5))?;
//! ip_insights.fit(&[("train", TrainingInput::new("s3://my-bucket/ipinsights/train/tuples.csv"))])?;
//! let predictor = ip_insights.deploy(1, "ml.m5.xlarge")?;
//! # Ok(()) }
//! ```

use std::borrow::Borrow;
use std::time::SystemTime;

use ipinsights_sagemaker_facts::{
    base_name_from_image, name_from_base, Channel, HyperParameters, InstanceUse, IpInsightsParams, S3Uri,
    TrainingJobStatus, TrainingOptions, TransformOptions,
};

use crate::backend::{EndpointRequest, ModelRequest, ResourceKind, TrainingJobDescription, TrainingJobRequest};
use crate::error::{ErrorKind, Result, WorkshopError};
use crate::predictor::Predictor;
use crate::session::{print_fragment, Session};
use crate::transformer::Transformer;

/// A training channel (`sagemaker.inputs.TrainingInput`): where the data is and how to read it, as the attendee
/// typed it; `fit` parses it once into the request's [`Channel`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingInput {
    /// `s3://bucket/key` of the data.
    pub s3_data: String,
    /// `FullyReplicated` or `ShardedByS3Key` (anything else is refused before any job starts).
    pub distribution: String,
    /// Only `text/csv` for IP Insights.
    pub content_type: String,
}

impl TrainingInput {
    /// A channel reading `s3_data` as `text/csv`, fully replicated.
    pub fn new(s3_data: impl Into<String>) -> Self {
        TrainingInput {
            s3_data: s3_data.into(),
            distribution: "FullyReplicated".into(),
            content_type: "text/csv".into(),
        }
    }

    /// Sets the distribution.
    pub fn distribution(mut self, distribution: &str) -> Self {
        self.distribution = distribution.into();
        self
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = content_type.into();
        self
    }
}

/// A finished training job.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingJob {
    /// Its name (`ipinsights-YYYY-MM-DD-HH-MM-SS-mmm`).
    pub job_name: String,
    /// `Completed`, or `Stopped` (at its max_run, or by a user) with the model it wrote.
    pub status: TrainingJobStatus,
    /// `s3://…/{job}/output/model.tar.gz`.
    pub model_data: String,
    /// Seconds it took.
    pub training_seconds: u64,
}

impl TrainingJob {
    fn from_description(job: TrainingJobDescription) -> Result<TrainingJob> {
        let model_data = job.model_artifacts.ok_or_else(|| match job.status {
            TrainingJobStatus::Stopped => WorkshopError::of(
                ErrorKind::Stopped { name: job.job_name.clone() },
                format!(
                    "training job {} was stopped before it wrote a model: there is nothing to deploy; run fit again \
                     (with a larger max_run if it reached its time limit)",
                    job.job_name
                ),
            ),
            _ => WorkshopError::new(format!("training job {} has no model artifact", job.job_name)),
        })?;
        Ok(TrainingJob {
            job_name: job.job_name,
            status: job.status,
            model_data,
            training_seconds: job.training_seconds,
        })
    }
}

/// An IP Insights estimator (`sagemaker.estimator.Estimator`): plain data, safe to keep across cells. Its
/// arguments carry the SDK's names, set with the builder methods of the same names.
#[derive(Debug, Clone)]
pub struct Estimator {
    session: Session,
    /// `image_uri`: the algorithm image.
    pub image_uri: String,
    /// `role`: the execution role ARN.
    pub role: String,
    /// `instance_count`: training instances (default 1).
    pub instance_count: u32,
    /// `instance_type`: the training instance type, e.g. `ml.m5.xlarge` (required).
    pub instance_type: String,
    /// `output_path`: `s3://bucket/prefix/output`, where each job writes `{job}/output/model.tar.gz` (required).
    pub output_path: String,
    /// The hyperparameters, checked by `set_hyperparameters`.
    pub hyperparameters: Option<HyperParameters>,
    /// The SDK's other estimator arguments (`volume_size`, `max_run`, `tags`, KMS keys, VPC, network isolation,
    /// spot training, checkpoints), set with the builder methods of the same names and checked by `fit`.
    pub options: TrainingOptions,
    /// The last job `fit` ran or `attach` found.
    pub latest_training_job: Option<TrainingJob>,
}

impl Estimator {
    /// An estimator like `Estimator(image_uri, role, sagemaker_session=session)`; set `instance_type` and
    /// `output_path` (and `instance_count`, default 1) with the methods of those names.
    pub fn new(session: &Session, image_uri: impl Into<String>, role: impl Into<String>) -> Self {
        Estimator {
            session: session.clone(),
            image_uri: image_uri.into(),
            role: role.into(),
            instance_count: 1,
            instance_type: String::new(),
            output_path: String::new(),
            hyperparameters: None,
            options: TrainingOptions::default(),
            latest_training_job: None,
        }
    }

    /// `volume_size=`: GB of storage per training instance (default 30).
    pub fn volume_size(mut self, gb: u32) -> Self {
        self.options.volume_size = gb;
        self
    }

    /// `max_run=`: seconds after which SageMaker stops the job (default 86,400); a job stopped this way keeps the
    /// model it wrote, with a warning.
    pub fn max_run(mut self, seconds: u32) -> Self {
        self.options.max_run = seconds;
        self
    }

    /// `tags=`: (key, value) tags on the training job, and on the models and transform jobs made from it.
    pub fn tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.options.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self
    }

    /// `output_kms_key=`: the KMS key encrypting the model artifact in S3.
    pub fn output_kms_key(mut self, key: impl Into<String>) -> Self {
        self.options.output_kms_key = Some(key.into());
        self
    }

    /// `volume_kms_key=`: the KMS key encrypting the training instances' volumes.
    pub fn volume_kms_key(mut self, key: impl Into<String>) -> Self {
        self.options.volume_kms_key = Some(key.into());
        self
    }

    /// `subnets=`: the VPC subnets of the training instances (and of models made from the job); needs
    /// `security_group_ids`.
    pub fn subnets(mut self, subnets: &[&str]) -> Self {
        self.options.vpc.subnets = subnets.iter().map(|s| s.to_string()).collect();
        self
    }

    /// `security_group_ids=`: the VPC security groups, with `subnets`.
    pub fn security_group_ids(mut self, ids: &[&str]) -> Self {
        self.options.vpc.security_group_ids = ids.iter().map(|s| s.to_string()).collect();
        self
    }

    /// `encrypt_inter_container_traffic=`.
    pub fn encrypt_inter_container_traffic(mut self, on: bool) -> Self {
        self.options.encrypt_inter_container_traffic = on;
        self
    }

    /// `enable_network_isolation=`: the algorithm's container (and models made from the job) get no network.
    pub fn enable_network_isolation(mut self, on: bool) -> Self {
        self.options.enable_network_isolation = on;
        self
    }

    /// `use_spot_instances=`: managed spot training; needs `max_wait` of at least `max_run`.
    pub fn use_spot_instances(mut self, on: bool) -> Self {
        self.options.use_spot_instances = on;
        self
    }

    /// `max_wait=`: seconds a spot training job may take in all, waiting for capacity included.
    pub fn max_wait(mut self, seconds: u32) -> Self {
        self.options.max_wait = Some(seconds);
        self
    }

    /// `checkpoint_s3_uri=`: where SageMaker keeps the job's checkpoints (for spot training).
    pub fn checkpoint_s3_uri(mut self, uri: impl Into<String>) -> Self {
        self.options.checkpoint_s3_uri = Some(uri.into());
        self
    }

    /// `instance_count=`.
    pub fn instance_count(mut self, instance_count: u32) -> Self {
        self.instance_count = instance_count;
        self
    }

    /// `instance_type=`.
    pub fn instance_type(mut self, instance_type: impl Into<String>) -> Self {
        self.instance_type = instance_type.into();
        self
    }

    /// `output_path=`.
    pub fn output_path(mut self, output_path: impl Into<String>) -> Self {
        self.output_path = output_path.into();
        self
    }

    /// `set_hyperparameters(...)`: checks them once (names, ranges, the negative-sampling sum, the model size);
    /// training takes only checked hyperparameters.
    pub fn set_hyperparameters(&mut self, params: IpInsightsParams) -> Result<()> {
        self.hyperparameters = Some(params.check()?);
        Ok(())
    }

    /// Runs a training job on the channels (`train`, optionally `validation`) and waits for it, streaming its log.
    /// The inputs may be given by reference (`fit(&[("train", &input)])`) or by value.
    pub fn fit<I: Borrow<TrainingInput>>(&mut self, inputs: &[(&str, I)]) -> Result<()> {
        // The generic part stays this one borrowing pass: it is compiled inside the notebook cell.
        let borrowed: Vec<(&str, &TrainingInput)> =
            inputs.iter().map(|(name, input)| (*name, input.borrow())).collect();
        self.fit_inputs(&borrowed)
    }

    /// The name of the last training job `fit` ran or `attach` found; before any, an error saying to run `fit`.
    pub fn job_name(&self) -> Result<&str> {
        match &self.latest_training_job {
            Some(job) => Ok(&job.job_name),
            None => Err(WorkshopError::new("no training job yet: run `fit` (or `attach`) first")),
        }
    }

    /// [`Estimator::fit`] on borrowed inputs (compiled once, with this crate).
    fn fit_inputs(&mut self, inputs: &[(&str, &TrainingInput)]) -> Result<()> {
        let hyperparameters = self.hyperparameters.clone().ok_or_else(|| {
            WorkshopError::validation(
                "fit needs hyperparameters: set_hyperparameters(IpInsightsParams::new(num_entity_vectors, vector_dim))",
            )
        })?;
        let mut options = self.options.clone();
        options.tags = self.session.workshop_tags(&options.tags);
        let request = TrainingJobRequest {
            job_name: name_from_base(base_name_from_image(&self.image_uri), SystemTime::now()),
            image_uri: self.image_uri.clone(),
            role: self.role.clone(),
            channels: channels(inputs)?,
            output_path: self.parsed_output_path()?,
            instance_count: self.instance_count,
            instance_type: self.instance_type.clone(),
            hyperparameters,
            options,
        };
        let request = request.check().map_err(|e| WorkshopError::validation(format!("fit: {e}")))?;
        let backend = self.session.backend();
        backend.check_instance_type(&request.instance_type, InstanceUse::Training, &mut print_fragment)?;
        self.session.record(ResourceKind::TrainingJob, &request.job_name);
        let job = backend.train(&request, &mut print_fragment)?;
        self.latest_training_job = Some(TrainingJob::from_description(job)?);
        Ok(())
    }

    /// Attaches to an existing training job by name (`Estimator.attach`), waiting for it to finish, so `deploy`
    /// can serve its model.
    pub fn attach(&mut self, job_name: &str) -> Result<()> {
        let job = self.session.backend().attach_training_job(job_name, &mut print_fragment)?;
        self.latest_training_job = Some(TrainingJob::from_description(job)?);
        Ok(())
    }

    /// Deploys the latest training job's model to an endpoint named after that job (its model and endpoint config
    /// too, as the SDK v1 the workshop was written for named them) and returns its predictor.
    ///
    /// Safe to run twice: when the endpoint already exists on the same instances (`InService`, or still being
    /// created, which is then waited for), it is reused, not created again; when it exists on other instances or
    /// has failed, it is replaced (deleted with its endpoint config and model, then created again). Either way one
    /// endpoint serves each training job.
    pub fn deploy(&self, initial_instance_count: u32, instance_type: &str) -> Result<Predictor> {
        let name = self
            .latest_training_job
            .as_ref()
            .map(|job| job.job_name.clone())
            .ok_or_else(|| WorkshopError::new("deploy needs a trained model: run fit (or attach) first"))?;
        let request = EndpointRequest {
            model: self.model_request("deploy", &name)?,
            endpoint_name: name.clone(),
            initial_instance_count,
            instance_type: instance_type.into(),
        };
        let request = request.check().map_err(|e| WorkshopError::validation(format!("deploy: {e}")))?;
        let backend = self.session.backend();
        backend.check_instance_type(instance_type, InstanceUse::Endpoint, &mut print_fragment)?;
        if let Some(existing) = backend.find_endpoint(&name)? {
            let same_instances = existing.instance_type.as_deref() == Some(instance_type)
                && existing.instance_count == Some(initial_instance_count);
            if same_instances && existing.status.is_alive() {
                let instances = format!("{initial_instance_count} × {instance_type}");
                println!("Endpoint {name} already serves this model on {instances}: reusing it.");
                self.session.record(ResourceKind::Endpoint, &name);
                let endpoint = backend.attach_endpoint(&name, &mut print_fragment)?;
                return Ok(Predictor::new(&self.session, &endpoint.endpoint_name));
            }
            println!(
                "Endpoint {name} is {} on {}: replacing it (its endpoint, endpoint config and model are deleted \
                 first).",
                existing.status,
                existing.instance_type.as_deref().unwrap_or("other instances")
            );
            backend.remove(ResourceKind::Endpoint, &name)?;
            backend.wait_endpoint_deleted(&name, &mut print_fragment)?;
        }
        // What an earlier deploy of this model left before it got as far as an endpoint.
        backend.remove(ResourceKind::EndpointConfig, &name)?;
        backend.remove(ResourceKind::Model, &name)?;
        for kind in [ResourceKind::Model, ResourceKind::EndpointConfig, ResourceKind::Endpoint] {
            self.session.record(kind, &name);
        }
        let endpoint = backend.deploy(&request, &mut print_fragment)?;
        Ok(Predictor::new(&self.session, &endpoint.endpoint_name))
    }

    /// A transformer for batch transform with the latest training job's model (`estimator.transformer(
    /// instance_count, instance_type)`): the model is created now (CreateModel, with the estimator's VPC, network
    /// isolation and tags, as the SDK does); set `output_path` and the other options on the transformer, then
    /// `transform(...)`.
    pub fn transformer(&self, instance_count: u32, instance_type: &str) -> Result<Transformer> {
        if instance_count == 0 || instance_type.trim().is_empty() {
            return Err(WorkshopError::validation("transformer needs instance_count ≥ 1 and an instance_type"));
        }
        let name = name_from_base(base_name_from_image(&self.image_uri), SystemTime::now());
        let model = self.model_request("transformer", &name)?;
        let model = model.check().map_err(|e| WorkshopError::validation(format!("transformer: {e}")))?;
        let backend = self.session.backend();
        backend.check_instance_type(instance_type, InstanceUse::Transform, &mut print_fragment)?;
        self.session.record(ResourceKind::Model, &name);
        backend.create_model(&model)?;
        let base = base_name_from_image(&self.image_uri).to_string();
        let options = TransformOptions {
            tags: self.options.tags.clone(),
            ..TransformOptions::new(instance_count, instance_type)
        };
        Ok(Transformer::new(&self.session, &model, options, &base))
    }

    /// The model of the latest training job, as the SDK makes one from an estimator (with the workshop's tags).
    fn model_request(&self, call: &str, name: &str) -> Result<ModelRequest> {
        let job = self
            .latest_training_job
            .as_ref()
            .ok_or_else(|| WorkshopError::new(format!("{call} needs a trained model: run fit (or attach) first")))?;
        Ok(ModelRequest {
            vpc: self.options.vpc.clone(),
            enable_network_isolation: self.options.enable_network_isolation,
            tags: self.session.workshop_tags(&self.options.tags),
            ..ModelRequest::new(name, &self.image_uri, S3Uri::parse(&job.model_data)?, &self.role)
        })
    }

    fn parsed_output_path(&self) -> Result<S3Uri> {
        if self.output_path.trim().is_empty() {
            return Err(WorkshopError::validation(
                "fit needs an output_path: Estimator::new(…).output_path(\"s3://bucket/prefix/output\")",
            ));
        }
        Ok(S3Uri::parse(&self.output_path)?)
    }
}

/// The channels of `fit`, parsed once from what the attendee typed (checked with the request).
fn channels(inputs: &[(&str, &TrainingInput)]) -> Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(inputs.len());
    for (name, input) in inputs {
        channels.push(Channel {
            name: name.to_string(),
            s3_data: S3Uri::parse(&input.s3_data)?,
            distribution: input.distribution.parse()?,
            content_type: input.content_type.parse()?,
        });
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimator(session: &Session) -> Estimator {
        let mut e = Estimator::new(session, "image", "role")
            .instance_count(1)
            .instance_type("ml.m5.xlarge")
            .output_path("s3://workshop-bucket/output");
        e.set_hyperparameters(IpInsightsParams::new(100, 16)).unwrap();
        e
    }

    #[test]
    fn channels_are_parsed_and_checked_before_any_job() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let input = || TrainingInput::new("s3://workshop-bucket/t.csv");
        let cases: [(&[(&str, TrainingInput)], &str); 6] = [
            (&[("validation", input())], "fit: inputs: a training job needs a \"train\" channel"),
            (&[("train", input()), ("test", input())], "unknown channel \"test\""),
            (&[("train", input()), ("train", input())], "given twice"),
            (&[("train", input().content_type("application/json"))], "IP Insights trains on text/csv"),
            (&[("train", TrainingInput::new("/local/file.csv"))], "invalid S3 URI"),
            (&[("train", input().distribution("Sharded"))], "invalid distribution \"Sharded\": use one of"),
        ];
        for (inputs, expected) in cases {
            let err = estimator(&session).fit(inputs).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::Validation, "{expected}: {err}");
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
        let err = estimator(&session).fit(&[("train", input().content_type("text/plain"))]).unwrap_err();
        assert!(err.to_string().contains("invalid content_type \"text/plain\""), "{err}");
        assert!(!root.path().join("training-jobs").exists(), "no job was started");
    }

    #[test]
    fn fit_names_what_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let train = [("train", TrainingInput::new("s3://workshop-bucket/t.csv"))];
        let mut estimator = Estimator::new(&session, "image", "role");
        let err = estimator.fit(&train).unwrap_err().to_string();
        assert!(err.starts_with("fit needs hyperparameters"), "{err}");
        estimator.set_hyperparameters(IpInsightsParams::new(100, 16)).unwrap();
        let err = estimator.fit(&train).unwrap_err().to_string();
        assert!(err.starts_with("fit needs an output_path"), "{err}");
        let mut estimator = estimator.output_path("s3://workshop-bucket/output").instance_count(0);
        let err = estimator.fit(&train).unwrap_err().to_string();
        assert!(err.starts_with("fit: instance_count: give at least 1 instance"), "{err}");
        let mut estimator = estimator.instance_count(1);
        let err = estimator.fit(&train).unwrap_err().to_string();
        assert!(err.starts_with("fit: instance_type: give an instance type"), "{err}");
        let err = estimator.set_hyperparameters(IpInsightsParams::new(100, 2)).unwrap_err().to_string();
        assert!(err.contains("vector_dim=\"2\""), "{err}");
        let err = estimator.deploy(1, "ml.m5.xlarge").unwrap_err().to_string();
        assert!(err.starts_with("deploy needs a trained model"), "{err}");
        let err = estimator.transformer(1, "ml.m5.xlarge").unwrap_err().to_string();
        assert!(err.starts_with("transformer needs a trained model"), "{err}");
    }

    #[test]
    fn options_are_checked_before_any_job() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let train = [("train", TrainingInput::new("s3://workshop-bucket/t.csv"))];
        let base = || estimator(&session);
        let cases: [(Estimator, &str); 6] = [
            (base().use_spot_instances(true), "fit: max_wait: spot training"),
            (base().max_run(3600).use_spot_instances(true).max_wait(60), "less than max_run"),
            (base().subnets(&["subnet-0abc"]), "fit: security_group_ids"),
            (base().tags(&[("aws:created-by", "me")]), "fit: tags: tag \"aws:created-by\""),
            (base().volume_size(0), "fit: volume_size"),
            (base().checkpoint_s3_uri("/tmp/checkpoints"), "fit: checkpoint_s3_uri: invalid S3 URI"),
        ];
        for (mut estimator, expected) in cases {
            let err = estimator.fit(&train).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::Validation, "{expected}: {err}");
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
        assert!(!root.path().join("training-jobs").exists(), "no job was started");
    }
}
