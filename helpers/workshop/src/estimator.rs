//! `Estimator`: configure, `fit` and `deploy`, named like the SageMaker Python SDK.

use crate::clock::unique_name;
use crate::error::{Result, WorkshopError};
use crate::local;
use crate::predictor::Predictor;
use crate::session::{split_s3_uri, Backend, Session};
use ipinsights_engine::HyperParameters;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::SystemTime;

/// A training channel (`sagemaker.inputs.TrainingInput`): where the data is and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingInput {
    /// `s3://bucket/key` of the data.
    pub s3_data: String,
    /// `FullyReplicated` or `ShardedByS3Key`.
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
    /// `s3://…/{job}/output/model.tar.gz`.
    pub model_data: String,
    /// Seconds it took.
    pub training_seconds: u64,
}

/// An IP Insights estimator (`sagemaker.estimator.Estimator`); plain data, safe to keep across cells.
#[derive(Debug, Clone)]
pub struct Estimator {
    session: Session,
    /// The algorithm image.
    pub image_uri: String,
    /// The execution role ARN.
    pub role: String,
    /// Training instances.
    pub instance_count: u32,
    /// Training instance type.
    pub instance_type: String,
    /// `s3://bucket/prefix/output`.
    pub output_path: String,
    /// Hyperparameters as SageMaker strings.
    pub hyperparameters: BTreeMap<String, String>,
    /// The last job `fit` ran.
    pub latest_training_job: Option<TrainingJob>,
}

impl Estimator {
    /// An estimator like `Estimator(image, role, instance_count=…, instance_type=…, output_path=…)`.
    pub fn new(
        session: &Session,
        image_uri: impl Into<String>,
        role: impl Into<String>,
        instance_count: u32,
        instance_type: &str,
        output_path: impl Into<String>,
    ) -> Self {
        Estimator {
            session: session.clone(),
            image_uri: image_uri.into(),
            role: role.into(),
            instance_count,
            instance_type: instance_type.into(),
            output_path: output_path.into(),
            hyperparameters: BTreeMap::new(),
            latest_training_job: None,
        }
    }

    /// Sets hyperparameters (`set_hyperparameters(num_entity_vectors="20000", …)`); values become strings.
    pub fn set_hyperparameters<K: ToString, V: ToString>(&mut self, values: impl IntoIterator<Item = (K, V)>) {
        for (k, v) in values {
            self.hyperparameters.insert(k.to_string(), v.to_string());
        }
    }

    /// Runs a training job on the channels (`train`, optionally `validation`) and waits for it, streaming its log.
    pub fn fit(&mut self, inputs: &[(&str, TrainingInput)]) -> Result<()> {
        HyperParameters::from_map(&self.hyperparameters)?;
        let channel = |name: &str| inputs.iter().find(|(n, _)| *n == name).map(|(_, input)| input);
        let train = channel("train").ok_or_else(|| WorkshopError::new("fit needs a \"train\" channel"))?;
        if let Some((unknown, _)) = inputs.iter().find(|(n, _)| !["train", "validation"].contains(n)) {
            return Err(WorkshopError::new(format!(
                "unknown channel {unknown:?}: IP Insights reads \"train\" and \"validation\""
            )));
        }
        for input in inputs.iter().map(|(_, i)| i) {
            if input.content_type != "text/csv" {
                return Err(WorkshopError::new(format!(
                    "content type {:?}: IP Insights trains on text/csv",
                    input.content_type
                )));
            }
        }
        let job_name = unique_name("ipinsights", SystemTime::now());
        match self.session.backend {
            Backend::Local => self.fit_local(&job_name, train, channel("validation")),
            Backend::Aws => with_aws!(self.fit_aws(&job_name, train, channel("validation"))),
        }
    }

    #[cfg(feature = "aws")]
    fn fit_aws(&mut self, job_name: &str, train: &TrainingInput, validation: Option<&TrainingInput>) -> Result<()> {
        let request = crate::aws_backend::FitRequest {
            job_name,
            image: &self.image_uri,
            role: &self.role,
            train: &train.s3_data,
            validation: validation.map(|v| v.s3_data.as_str()),
            output_path: &self.output_path,
            instance: (&self.instance_type, self.instance_count),
            hyperparameters: &self.hyperparameters,
        };
        let (model_data, training_seconds) = crate::aws_backend::fit(&self.session, &request)?;
        self.latest_training_job = Some(TrainingJob { job_name: job_name.to_string(), model_data, training_seconds });
        Ok(())
    }

    fn fit_local(&mut self, job_name: &str, train: &TrainingInput, validation: Option<&TrainingInput>) -> Result<()> {
        let session = &self.session;
        let local_input = |input: &TrainingInput| -> Result<std::path::PathBuf> {
            let path = session.local_path(&input.s3_data)?;
            if !path.is_file() {
                return Err(WorkshopError::new(format!(
                    "no training data at {} (local file {})",
                    input.s3_data,
                    path.display()
                )));
            }
            Ok(path)
        };
        split_s3_uri(&self.output_path)?;
        let spec = local::job::JobSpec {
            name: job_name.to_string(),
            train: local_input(train)?,
            validation: validation.map(local_input).transpose()?,
            job_dir: session.local_path(&format!("{}/{job_name}", self.output_path.trim_end_matches('/')))?,
            hyperparameters: self.hyperparameters.clone(),
        };
        let binary = local::ipinsights_binary()?;
        let mut print = |line: &str| {
            println!("{line}");
            let _ = std::io::stdout().flush();
        };
        let outcome = local::job::run(&binary, &spec, &mut print)?;
        self.latest_training_job = Some(TrainingJob {
            job_name: job_name.to_string(),
            model_data: format!("{}/{job_name}/output/model.tar.gz", self.output_path.trim_end_matches('/')),
            training_seconds: outcome.training_seconds,
        });
        Ok(())
    }

    /// Attaches to an existing training job by name (`Estimator.attach`), waiting for it to finish, so `deploy`
    /// can serve its model.
    pub fn attach(&mut self, job_name: &str) -> Result<()> {
        let (model_data, training_seconds) = match self.session.backend {
            Backend::Local => {
                let job_dir =
                    self.session.local_path(&format!("{}/{job_name}", self.output_path.trim_end_matches('/')))?;
                let text = std::fs::read_to_string(job_dir.join("job.json")).map_err(|_| {
                    WorkshopError::new(format!("no training job {job_name} under {}", self.output_path))
                })?;
                let description: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| WorkshopError::context(format!("job {job_name}"), e))?;
                if description["TrainingJobStatus"] != "Completed" {
                    return Err(WorkshopError::new(format!(
                        "training job {job_name} is {}: {}",
                        description["TrainingJobStatus"], description["FailureReason"]
                    )));
                }
                let model_data = format!("{}/{job_name}/output/model.tar.gz", self.output_path.trim_end_matches('/'));
                (model_data, description["TrainingTimeInSeconds"].as_u64().unwrap_or(0))
            }
            Backend::Aws => with_aws!(crate::aws_backend::attach(&self.session, job_name))?,
        };
        self.latest_training_job = Some(TrainingJob { job_name: job_name.to_string(), model_data, training_seconds });
        Ok(())
    }

    /// Deploys the latest training job's model to a new endpoint and returns its predictor.
    pub fn deploy(&self, initial_instance_count: u32, instance_type: &str) -> Result<Predictor> {
        // Locally one process serves every "instance"; SageMaker gets both values.
        let _ = (initial_instance_count, instance_type);
        let job = self
            .latest_training_job
            .as_ref()
            .ok_or_else(|| WorkshopError::new("deploy needs a trained model: run fit first"))?;
        let endpoint_name = unique_name("ipinsights", SystemTime::now());
        match self.session.backend {
            Backend::Local => {
                let model_dir = self
                    .session
                    .local_path(&job.model_data)?
                    .parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default();
                let binary = local::ipinsights_binary()?;
                let mut progress = |mark: &str| {
                    print!("{mark}");
                    let _ = std::io::stdout().flush();
                };
                let record = local::endpoint::create(
                    &binary,
                    &self.session.local_root,
                    &endpoint_name,
                    &model_dir,
                    &mut progress,
                )?;
                println!();
                Ok(Predictor::local(&self.session, &record.name, &record.url))
            }
            Backend::Aws => with_aws!({
                let instance = (instance_type, initial_instance_count);
                crate::aws_backend::deploy(
                    &self.session,
                    &endpoint_name,
                    &self.image_uri,
                    &job.model_data,
                    &self.role,
                    instance,
                )
                .map(|()| Predictor::aws(&self.session, &endpoint_name))
            }),
        }
    }
}
