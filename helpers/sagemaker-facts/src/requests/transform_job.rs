//! CreateTransformJob: the request `transformer.transform(data, content_type, split_type)` sends.

use super::{check_instances, check_name, Checked};
use crate::limits::DEFAULT_TRANSFORM_PAYLOAD_MB;
use crate::training::{check_kms_keys, check_tags, OptionError};
use crate::transform::check_max_payload;
use crate::values::{AssemblyType, BatchStrategy, ContentType, SplitType};
use crate::S3Uri;

/// The `Transformer`'s options, with the SDK's names: what every job of one transformer shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformOptions {
    /// `instance_count`.
    pub instance_count: u32,
    /// `instance_type`.
    pub instance_type: String,
    /// `accept`: the answers' media type (default `application/jsonlines`).
    pub accept: String,
    /// `assemble_with` (default `Line`: one answer line per input line).
    pub assemble_with: AssemblyType,
    /// `strategy` (default `MultiRecord`: as many records per request as fit `max_payload`).
    pub strategy: BatchStrategy,
    /// `max_payload`: MB per request, 1 to 100 (default 6).
    pub max_payload: u32,
    /// `output_kms_key`.
    pub output_kms_key: Option<String>,
    /// `volume_kms_key`.
    pub volume_kms_key: Option<String>,
    /// `tags`.
    pub tags: Vec<(String, String)>,
}

impl TransformOptions {
    /// The SDK's defaults on `instance_count` × `instance_type`.
    pub fn new(instance_count: u32, instance_type: &str) -> Self {
        TransformOptions {
            instance_count,
            instance_type: instance_type.into(),
            accept: "application/jsonlines".into(),
            assemble_with: AssemblyType::Line,
            strategy: BatchStrategy::MultiRecord,
            max_payload: DEFAULT_TRANSFORM_PAYLOAD_MB,
            output_kms_key: None,
            volume_kms_key: None,
            tags: Vec::new(),
        }
    }

    /// Checks the options as SageMaker would.
    fn check(&self) -> Result<(), OptionError> {
        check_instances("instance_count", self.instance_count, &self.instance_type)?;
        check_max_payload(self.max_payload)?;
        check_kms_keys(&self.output_kms_key, &self.volume_kms_key)?;
        check_tags(&self.tags)
    }
}

/// A batch transform job (CreateTransformJob, S3Prefix input): `transformer.transform(data, content_type,
/// split_type)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformJobRequest {
    /// The job's name.
    pub job_name: String,
    /// `model_name`: the model it runs (created by `transformer(...)`).
    pub model_name: String,
    /// That model's artifact (the local backend runs it directly).
    pub model_data: S3Uri,
    /// `data`: the input object, or a prefix whose objects are all inputs.
    pub data: S3Uri,
    /// `content_type` of the input.
    pub content_type: ContentType,
    /// `split_type`.
    pub split_type: SplitType,
    /// `output_path`: where `{input}.out` objects are written.
    pub output_path: S3Uri,
    /// The transformer's options.
    pub options: TransformOptions,
}

impl TransformJobRequest {
    /// Checks the job as SageMaker would, before any call.
    pub fn check(self) -> Result<Checked<TransformJobRequest>, OptionError> {
        check_name("job_name", "transform job", &self.job_name)?;
        check_name("model_name", "model", &self.model_name)?;
        self.options.check()?;
        Ok(Checked(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TransformJobRequest {
        let uri = |s: &str| S3Uri::parse(s).unwrap();
        TransformJobRequest {
            job_name: "ipinsights-2019-12-16-23-50-01-000".into(),
            model_name: "ipinsights-2019-12-16-23-50-00-000".into(),
            model_data: uri("s3://workshop-bucket/output/job/output/model.tar.gz"),
            data: uri("s3://workshop-bucket/ipinsights/test/test.csv"),
            content_type: ContentType::Csv,
            split_type: SplitType::Line,
            output_path: uri("s3://workshop-bucket/ipinsights/transform"),
            options: TransformOptions::new(1, "ml.m5.xlarge"),
        }
    }

    #[test]
    fn transform_jobs_are_refused_naming_the_option() {
        request().check().unwrap();
        type Breaker = fn(&mut TransformJobRequest);
        let cases: [(&str, Breaker); 7] = [
            ("job_name: invalid transform job name", |r| r.job_name = "x_y".into()),
            ("model_name: invalid model name", |r| r.model_name = String::new()),
            ("instance_count: give at least 1", |r| r.options.instance_count = 0),
            ("max_payload: batch transform takes 1 to 100 MB", |r| r.options.max_payload = 0),
            ("max_payload: batch transform takes 1 to 100 MB per request", |r| r.options.max_payload = 101),
            ("volume_kms_key: give a KMS key", |r| r.options.volume_kms_key = Some(" ".into())),
            ("tags: tag \"aws:x\"", |r| r.options.tags = vec![("aws:x".into(), String::new())]),
        ];
        for (expected, break_it) in cases {
            let mut r = request();
            break_it(&mut r);
            let err = r.check().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
        let mut edge = request();
        edge.options.max_payload = 100;
        edge.check().unwrap();
    }
}
