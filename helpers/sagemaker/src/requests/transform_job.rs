//! CreateTransformJob: the request `transformer.transform(data, content_type, split_type)` sends.

use super::{check_instances, check_name, Checked};
use crate::training::{check_kms_key, check_tags, OptionError};
use crate::transform::check_max_payload;
use crate::values::{AssemblyType, BatchStrategy, ContentType, SplitType};
use crate::S3Uri;

/// A batch transform job (CreateTransformJob, S3Prefix input), its options with the SDK's `Transformer` names.
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
    /// `accept`: the answers' media type, e.g. `application/jsonlines`.
    pub accept: String,
    /// `assemble_with`.
    pub assemble_with: AssemblyType,
    /// `strategy`.
    pub strategy: BatchStrategy,
    /// `max_payload`: MB per request (1–100).
    pub max_payload: u32,
    /// `instance_count`.
    pub instance_count: u32,
    /// `instance_type`.
    pub instance_type: String,
    /// `output_kms_key`.
    pub output_kms_key: Option<String>,
    /// `volume_kms_key`.
    pub volume_kms_key: Option<String>,
    /// `tags`.
    pub tags: Vec<(String, String)>,
}

impl TransformJobRequest {
    /// Checks the job as SageMaker would, before any call.
    pub fn check(self) -> Result<Checked<TransformJobRequest>, OptionError> {
        check_name("job_name", "transform job", &self.job_name)?;
        check_name("model_name", "model", &self.model_name)?;
        check_instances("instance_count", self.instance_count, &self.instance_type)?;
        check_max_payload(self.max_payload)?;
        for (option, key) in [("output_kms_key", &self.output_kms_key), ("volume_kms_key", &self.volume_kms_key)] {
            if let Some(key) = key {
                check_kms_key(option, key)?;
            }
        }
        check_tags(&self.tags)?;
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
            accept: "application/jsonlines".into(),
            assemble_with: AssemblyType::Line,
            strategy: BatchStrategy::MultiRecord,
            max_payload: 6,
            instance_count: 1,
            instance_type: "ml.m5.xlarge".into(),
            output_kms_key: None,
            volume_kms_key: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn transform_jobs_are_refused_naming_the_option() {
        request().check().unwrap();
        type Breaker = fn(&mut TransformJobRequest);
        let cases: [(&str, Breaker); 7] = [
            ("job_name: invalid transform job name", |r| r.job_name = "x_y".into()),
            ("model_name: invalid model name", |r| r.model_name = String::new()),
            ("instance_count: give at least 1", |r| r.instance_count = 0),
            ("max_payload: batch transform takes 1 to 100 MB", |r| r.max_payload = 0),
            ("max_payload: batch transform takes 1 to 100 MB per request", |r| r.max_payload = 101),
            ("volume_kms_key: give a KMS key", |r| r.volume_kms_key = Some(" ".into())),
            ("tags: tag \"aws:x\"", |r| r.tags = vec![("aws:x".into(), String::new())]),
        ];
        for (expected, break_it) in cases {
            let mut r = request();
            break_it(&mut r);
            let err = r.check().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
        let mut edge = request();
        edge.max_payload = 100;
        edge.check().unwrap();
    }
}
