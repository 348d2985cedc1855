//! `Transformer`: batch transform, named like the SageMaker Python SDK (`estimator.transformer(instance_count,
//! instance_type)`, `transformer.transform(data, content_type, split_type)`, `wait()`).
//!
//! ```no_run
//! # use ipinsights_workshop::prelude::*;
//! # fn main() -> ipinsights_workshop::Result<()> {
//! # let session = Session::new()?;
//! # let estimator = Estimator::new(&session, "image", "role");
//! let mut transformer = estimator.transformer(1, "ml.m5.xlarge")?.output_path("s3://my-bucket/ipinsights/transform");
//! transformer.transform("s3://my-bucket/ipinsights/test/test.csv", "text/csv", "Line")?; // waits, like the SDK's
//! let scores = transformer.read_output("s3://my-bucket/ipinsights/test/test.csv")?; // test.csv.out, one per row
//! # Ok(()) }
//! ```
//!
//! Every input object `{data}…/{name}` gets one output object `{output_path}/{name}.out` of JSON lines, one
//! `{"dot_product": …}` per input row (see `ipinsights_sagemaker_facts::transform`). On SageMaker the job is
//! CreateTransformJob with the model `transformer(...)` created; locally the `ipinsights transform` process does
//! the same job on the local buckets.

use std::path::PathBuf;
use std::time::SystemTime;

use ipinsights_client::Prediction;
use ipinsights_protocol::{decode_response, ResponseFormat, ResponseKind};
use ipinsights_sagemaker_facts::transform::output_uri;
use ipinsights_sagemaker_facts::{name_from_base, Checked, S3Uri, TransformJobStatus, TransformOptions};

use crate::backend::{ModelRequest, TransformJobDescription, TransformJobRequest};
use crate::error::{Result, WorkshopError};
use crate::session::{print_fragment, Session};

/// A transform job that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformJob {
    /// Its name.
    pub job_name: String,
    /// `Completed`, or `Stopped`.
    pub status: TransformJobStatus,
    /// Its input (`data`).
    pub data: String,
    /// Where its outputs are.
    pub output_path: String,
}

impl TransformJob {
    fn from_description(job: TransformJobDescription) -> TransformJob {
        TransformJob {
            job_name: job.job_name,
            status: job.status,
            data: job.data.to_string(),
            output_path: job.output_path.to_string(),
        }
    }
}

/// A batch transformer (`sagemaker.transformer.Transformer`): plain data, safe to keep across cells. Its options
/// carry the SDK's names and defaults (JSON lines, one answer line per input line, as many records per request as
/// fit `max_payload` of 6 MB), set with the builder methods of the same names.
#[derive(Debug, Clone)]
pub struct Transformer {
    session: Session,
    /// The SageMaker model the jobs run.
    pub model_name: String,
    /// That model's artifact.
    pub model_data: String,
    /// `output_path`; when empty, `s3://{the input's bucket}/{job name}` (the SDK uses its default bucket there).
    pub output_path: String,
    /// `instance_count`, `instance_type`, `accept`, `assemble_with`, `strategy`, `max_payload`, the KMS keys and
    /// `tags` (the estimator's by default) of every job.
    pub options: TransformOptions,
    /// `base_transform_job_name`.
    pub base_transform_job_name: String,
    /// The last job `transform` ran or `attach` found.
    pub latest_transform_job: Option<TransformJob>,
}

impl Transformer {
    /// A transformer for a model created by [`crate::Estimator::transformer`].
    pub(crate) fn new(
        session: &Session,
        model: &Checked<ModelRequest>,
        options: TransformOptions,
        base_name: &str,
    ) -> Transformer {
        Transformer {
            session: session.clone(),
            model_name: model.model_name.clone(),
            model_data: model.model_data.to_string(),
            output_path: String::new(),
            options,
            base_transform_job_name: base_name.into(),
            latest_transform_job: None,
        }
    }

    /// A transformer attached to an existing transform job (`Transformer.attach`), waiting for it to end, so that
    /// its outputs can be read (`read_output`). It runs no new job: make a transformer from the estimator for that.
    pub fn attach(session: &Session, job_name: &str) -> Result<Transformer> {
        let job =
            TransformJob::from_description(session.backend().attach_transform_job(job_name, &mut print_fragment)?);
        Ok(Transformer {
            session: session.clone(),
            model_name: String::new(),
            model_data: String::new(),
            output_path: job.output_path.clone(),
            options: TransformOptions::new(1, ""),
            base_transform_job_name: String::new(),
            latest_transform_job: Some(job),
        })
    }

    /// `output_path=`.
    pub fn output_path(mut self, output_path: impl Into<String>) -> Self {
        self.output_path = output_path.into();
        self
    }

    /// `accept=`: the answers' media type, e.g. `application/json`.
    pub fn accept(mut self, accept: impl Into<String>) -> Self {
        self.options.accept = accept.into();
        self
    }

    /// `assemble_with=`: `"Line"` or `"None"` (anything else is an error naming the values).
    pub fn assemble_with(mut self, assemble_with: &str) -> Result<Self> {
        self.options.assemble_with = assemble_with.parse()?;
        Ok(self)
    }

    /// `strategy=`: `"MultiRecord"` or `"SingleRecord"` (anything else is an error naming the values).
    pub fn strategy(mut self, strategy: &str) -> Result<Self> {
        self.options.strategy = strategy.parse()?;
        Ok(self)
    }

    /// `max_payload=` (MB, 1 to 100).
    pub fn max_payload(mut self, mb: u32) -> Self {
        self.options.max_payload = mb;
        self
    }

    /// `output_kms_key=`.
    pub fn output_kms_key(mut self, key: impl Into<String>) -> Self {
        self.options.output_kms_key = Some(key.into());
        self
    }

    /// `volume_kms_key=`.
    pub fn volume_kms_key(mut self, key: impl Into<String>) -> Self {
        self.options.volume_kms_key = Some(key.into());
        self
    }

    /// Runs a transform job on `data` (an `s3://` object, or a prefix whose objects are all inputs) and waits for
    /// it, like the SDK's `transform(data, content_type=…, split_type=…)` with its default `wait=True`; the job's
    /// progress and log are printed. `split_type` is `Line` (one record per line) or `None`. Options are checked
    /// before any call.
    pub fn transform(&mut self, data: &str, content_type: &str, split_type: &str) -> Result<()> {
        let request = self.request(data, content_type, split_type)?;
        println!("Transform job: {} (output: {})", request.job_name, request.output_path);
        self.session.record(crate::backend::ResourceKind::TransformJob, &request.job_name);
        let job = self.session.backend().transform(&request, &mut print_fragment)?;
        self.latest_transform_job = Some(TransformJob::from_description(job));
        Ok(())
    }

    /// Waits for the latest transform job (`wait()`): returns at once when it has ended (as `transform` waits).
    pub fn wait(&mut self) -> Result<()> {
        let job = self
            .latest_transform_job
            .as_ref()
            .ok_or_else(|| WorkshopError::new("No transform job available: run transform first"))?;
        if !job.status.is_terminal() {
            let job = self.session.backend().attach_transform_job(&job.job_name, &mut print_fragment)?;
            self.latest_transform_job = Some(TransformJob::from_description(job));
        }
        Ok(())
    }

    /// Where the results of the input object `input` of the latest job are: `{output_path}/{name}.out`.
    pub fn output_uri(&self, input: &str) -> Result<String> {
        let job = self
            .latest_transform_job
            .as_ref()
            .ok_or_else(|| WorkshopError::new("No transform job available: run transform first"))?;
        let (data, object, output) = (S3Uri::parse(&job.data)?, S3Uri::parse(input)?, S3Uri::parse(&job.output_path)?);
        if object.bucket != data.bucket {
            return Err(WorkshopError::validation(format!(
                "{input} is not an input of transform job {}",
                job.job_name
            )));
        }
        let uri = output_uri(&data, &object.key, &output).ok_or_else(|| {
            WorkshopError::validation(format!("{input} is not an input of transform job {}", job.job_name))
        })?;
        Ok(uri.to_string())
    }

    /// The predictions the latest job wrote for the input object `input`, one per scored input row, in order.
    pub fn read_output(&self, input: &str) -> Result<Vec<Prediction>> {
        let uri = S3Uri::parse(&self.output_uri(input)?)?;
        let file = scratch_file();
        let read = self
            .session
            .backend()
            .download(&uri, &file)
            .and_then(|()| std::fs::read(&file).map_err(|e| WorkshopError::io("read", &file, e)));
        let _ = std::fs::remove_file(&file);
        let body = read?;
        let accept = &self.options.accept;
        let format = ResponseFormat::from_accept(Some(accept))
            .map_err(|e| WorkshopError::context(format!("accept {accept:?}"), e))?;
        let bad = |e| WorkshopError::context(format!("the transform output {uri}"), e);
        match format.kind {
            ResponseKind::JsonLines => decode_response(ResponseKind::JsonLines, &body).map_err(bad),
            // One JSON answer per request, each on its line (`assemble_with` Line).
            ResponseKind::Json => {
                let mut predictions = Vec::new();
                for line in body.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
                    predictions.extend(decode_response(ResponseKind::Json, line).map_err(bad)?);
                }
                Ok(predictions)
            }
        }
    }

    /// The `dot_product`s the latest job wrote for the input object `input`, one per scored input row, in order.
    pub fn read_dot_products(&self, input: &str) -> Result<Vec<f32>> {
        Ok(self.read_output(input)?.iter().map(|p| p.dot_product).collect())
    }

    /// The job to run, the SDK strings parsed once and the whole request checked before any call.
    fn request(&self, data: &str, content_type: &str, split_type: &str) -> Result<Checked<TransformJobRequest>> {
        let data = S3Uri::parse(data)?;
        if self.model_data.is_empty() {
            return Err(WorkshopError::new(
                "this transformer was attached to a job: make a new one with estimator.transformer(...) to transform",
            ));
        }
        let job_name = name_from_base(&self.base_transform_job_name, SystemTime::now());
        let output_path = match self.output_path.trim() {
            "" => S3Uri { bucket: data.bucket.clone(), key: job_name.clone() },
            path => S3Uri::parse(path)?,
        };
        let request = TransformJobRequest {
            job_name,
            model_name: self.model_name.clone(),
            model_data: S3Uri::parse(&self.model_data)?,
            data,
            content_type: content_type.parse()?,
            split_type: split_type.parse()?,
            output_path,
            options: TransformOptions { tags: self.session.workshop_tags(&self.options.tags), ..self.options.clone() },
        };
        request.check().map_err(|e| WorkshopError::validation(format!("transform: {e}")))
    }
}

/// A file name for reading one output back, unique to this process and moment.
fn scratch_file() -> PathBuf {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("ipinsights-transform-{}-{nanos}.out", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transformer(session: &Session) -> Transformer {
        let model_data = S3Uri::parse("s3://workshop-bucket/output/job/output/model.tar.gz").unwrap();
        let model = ModelRequest::new("ipinsights-model", "image", model_data, "role").check().unwrap();
        Transformer::new(session, &model, TransformOptions::new(1, "ml.m5.xlarge"), "ipinsights")
    }

    #[test]
    fn sdk_strings_are_parsed_once_and_unknown_values_name_the_parameter() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let set = transformer(&session).strategy("SingleRecord").unwrap().assemble_with("None").unwrap();
        assert_eq!((set.options.strategy.as_str(), set.options.assemble_with.as_str()), ("SingleRecord", "None"));
        let err = transformer(&session).strategy("Many").unwrap_err().to_string();
        assert_eq!(err, "invalid strategy \"Many\": use one of MultiRecord, SingleRecord");
        let err = transformer(&session).assemble_with("line").unwrap_err().to_string();
        assert_eq!(err, "invalid assemble_with \"line\": use one of Line, None");
        let data = "s3://workshop-bucket/test.csv";
        let cases = [
            (transformer(&session), "text/csv", "RecordIO", "invalid split_type \"RecordIO\": use one of Line, None"),
            (transformer(&session), "text/plain", "Line", "invalid content_type \"text/plain\": use one of text/csv"),
            (transformer(&session).max_payload(0), "text/csv", "Line", "transform: max_payload: batch transform"),
        ];
        for (mut t, content_type, split_type, expected) in cases {
            let err = t.transform(data, content_type, split_type).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
        assert!(!root.path().join("transform-jobs").exists(), "no job was started");
    }
}
