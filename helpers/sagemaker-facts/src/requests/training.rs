//! CreateTrainingJob: the request `Estimator.fit` sends, with the SDK's `Estimator` and `TrainingInput` names.

use super::{check_image, check_instances, check_name, Checked};
use crate::training::{check_kms_keys, check_stopping, check_tags, check_vpc, OptionError};
use crate::values::{ContentType, S3DataDistribution};
use crate::{HyperParameters, S3Uri};

/// One input channel (`TrainingInput`): `train` or `validation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The channel's name: `train` or `validation`.
    pub name: String,
    /// `s3_data`: an object or a prefix of headerless `entity,ip` CSV.
    pub s3_data: S3Uri,
    /// `distribution` (`S3DataDistributionType`).
    pub distribution: S3DataDistribution,
    /// `content_type`: IP Insights trains on `text/csv` only.
    pub content_type: ContentType,
}

impl Channel {
    /// A fully replicated channel of `text/csv`, as `TrainingInput(s3_data)` makes one.
    pub fn new(name: &str, s3_data: S3Uri) -> Self {
        Channel {
            name: name.into(),
            s3_data,
            distribution: S3DataDistribution::FullyReplicated,
            content_type: ContentType::Csv,
        }
    }
}

/// `subnets` and `security_group_ids` (`VpcConfig`): both given or both empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpcConfig {
    /// `subnets`: subnet ids (`subnet-…`).
    pub subnets: Vec<String>,
    /// `security_group_ids`: security group ids (`sg-…`).
    pub security_group_ids: Vec<String>,
}

impl VpcConfig {
    /// Whether it names no VPC.
    pub fn is_empty(&self) -> bool {
        self.subnets.is_empty() && self.security_group_ids.is_empty()
    }
}

/// The `Estimator`'s options beyond its image, role, instances and output path; the defaults are the SDK's
/// (30 GB, 24 h, nothing else set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingOptions {
    /// `volume_size`: GB of storage per instance.
    pub volume_size: u32,
    /// `max_run`: seconds before SageMaker stops the job.
    pub max_run: u32,
    /// `volume_kms_key`.
    pub volume_kms_key: Option<String>,
    /// `output_kms_key`.
    pub output_kms_key: Option<String>,
    /// `subnets` and `security_group_ids` (also the VPC of models made from the job).
    pub vpc: VpcConfig,
    /// `encrypt_inter_container_traffic`.
    pub encrypt_inter_container_traffic: bool,
    /// `enable_network_isolation` (also of models made from the job).
    pub enable_network_isolation: bool,
    /// `use_spot_instances`: managed spot training (needs `max_wait`).
    pub use_spot_instances: bool,
    /// `max_wait`: seconds of spot training in all, waiting included.
    pub max_wait: Option<u32>,
    /// `checkpoint_s3_uri`: an `s3://` URI.
    pub checkpoint_s3_uri: Option<String>,
    /// `tags`: (key, value) pairs on the job (and on the models and transform jobs made from it).
    pub tags: Vec<(String, String)>,
}

impl Default for TrainingOptions {
    fn default() -> Self {
        TrainingOptions {
            volume_size: 30,
            max_run: 86_400,
            volume_kms_key: None,
            output_kms_key: None,
            vpc: VpcConfig::default(),
            encrypt_inter_container_traffic: false,
            enable_network_isolation: false,
            use_spot_instances: false,
            max_wait: None,
            checkpoint_s3_uri: None,
            tags: Vec::new(),
        }
    }
}

impl TrainingOptions {
    /// Checks the options as SageMaker would.
    fn check(&self) -> Result<(), OptionError> {
        if self.volume_size == 0 {
            return Err(OptionError { option: "volume_size", rule: "give at least 1 GB".into() });
        }
        check_stopping(self.max_run, self.use_spot_instances, self.max_wait)?;
        check_vpc(&self.vpc.subnets, &self.vpc.security_group_ids)?;
        check_tags(&self.tags)?;
        check_kms_keys(&self.output_kms_key, &self.volume_kms_key)?;
        if let Some(uri) = &self.checkpoint_s3_uri {
            S3Uri::parse(uri).map_err(|e| OptionError { option: "checkpoint_s3_uri", rule: e.to_string() })?;
        }
        Ok(())
    }
}

/// A training job to run (CreateTrainingJob): File mode, S3Prefix channels.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingJobRequest {
    /// The job's name (`ipinsights-YYYY-MM-DD-HH-MM-SS-mmm`).
    pub job_name: String,
    /// `image_uri`: the algorithm image.
    pub image_uri: String,
    /// `role`: the execution role.
    pub role: String,
    /// The channels (`fit(inputs)`); `train` first once checked.
    pub channels: Vec<Channel>,
    /// `output_path`: where the job writes `{job_name}/output/model.tar.gz`.
    pub output_path: S3Uri,
    /// `instance_count`.
    pub instance_count: u32,
    /// `instance_type`, e.g. `ml.m5.xlarge`.
    pub instance_type: String,
    /// The hyperparameters (checked by their type).
    pub hyperparameters: HyperParameters,
    /// Everything else.
    pub options: TrainingOptions,
}

impl TrainingJobRequest {
    /// The workshop's job: 1 × ml.m5.xlarge, a fully replicated `train` channel, the SDK's default options.
    pub fn new(
        job_name: &str,
        image_uri: &str,
        role: &str,
        train: S3Uri,
        output_path: S3Uri,
        hyperparameters: HyperParameters,
    ) -> Self {
        TrainingJobRequest {
            job_name: job_name.into(),
            image_uri: image_uri.into(),
            role: role.into(),
            channels: vec![Channel::new("train", train)],
            output_path,
            instance_count: 1,
            instance_type: "ml.m5.xlarge".into(),
            hyperparameters,
            options: TrainingOptions::default(),
        }
    }

    /// Checks the request as SageMaker would, before any call; the channels come back `train` first.
    pub fn check(mut self) -> Result<Checked<TrainingJobRequest>, OptionError> {
        check_name("job_name", "training job", &self.job_name)?;
        check_image(&self.image_uri)?;
        check_instances("instance_count", self.instance_count, &self.instance_type)?;
        check_channels(&self.channels)?;
        self.options.check()?;
        self.channels.sort_by_key(|c| c.name != "train");
        Ok(Checked(self))
    }
}

/// The channels: `train` (required) and `validation`, each once, of `text/csv`.
fn check_channels(channels: &[Channel]) -> Result<(), OptionError> {
    let refuse = |rule: String| Err(OptionError { option: "inputs", rule });
    if !channels.iter().any(|c| c.name == "train") {
        return refuse("a training job needs a \"train\" channel".into());
    }
    for (i, channel) in channels.iter().enumerate() {
        if !["train", "validation"].contains(&channel.name.as_str()) {
            return refuse(format!(
                "unknown channel {:?}: IP Insights reads \"train\" and \"validation\"",
                channel.name
            ));
        }
        if channels[..i].iter().any(|c| c.name == channel.name) {
            return refuse(format!("channel {:?} given twice", channel.name));
        }
        if channel.content_type != ContentType::Csv {
            return Err(OptionError {
                option: "content_type",
                rule: format!("{}: IP Insights trains on text/csv", channel.content_type),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IpInsightsParams;

    fn request() -> TrainingJobRequest {
        let uri = |s: &str| S3Uri::parse(s).unwrap();
        let mut request = TrainingJobRequest::new(
            "ipinsights-2019-12-16-23-39-04-000",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            "arn:aws:iam::123456789012:role/r",
            uri("s3://workshop-bucket/ipinsights/train/t.csv"),
            uri("s3://workshop-bucket/ipinsights/output"),
            IpInsightsParams::new(20_000, 128).check().unwrap(),
        );
        request.channels.insert(0, Channel::new("validation", uri("s3://workshop-bucket/ipinsights/validation/")));
        request
    }

    #[test]
    fn a_checked_request_lists_train_first() {
        let checked = request().check().unwrap();
        let names: Vec<&str> = checked.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["train", "validation"]);
    }

    #[test]
    fn requests_are_refused_naming_the_option() {
        type Breaker = fn(&mut TrainingJobRequest);
        let cases: [(&str, Breaker); 17] = [
            ("job_name: invalid training job name", |r| r.job_name = "bad_name".into()),
            ("image_uri: the algorithm image is empty", |r| r.image_uri = " ".into()),
            ("instance_count: give at least 1", |r| r.instance_count = 0),
            ("instance_type: give an instance type", |r| r.instance_type = String::new()),
            ("inputs: a training job needs a \"train\" channel", |r| r.channels.retain(|c| c.name != "train")),
            ("inputs: unknown channel \"test\"", |r| r.channels[0].name = "test".into()),
            ("inputs: channel \"train\" given twice", |r| r.channels[0].name = "train".into()),
            ("content_type: application/json: IP Insights trains on text/csv", |r| {
                r.channels[1].content_type = ContentType::Json
            }),
            ("volume_size: give at least 1 GB", |r| r.options.volume_size = 0),
            ("max_wait: spot training", |r| r.options.use_spot_instances = true),
            ("max_run: the training time limit", |r| r.options.max_run = 0),
            ("security_group_ids: a VPC configuration needs security groups", |r| {
                r.options.vpc.subnets = vec!["subnet-0abc".into()]
            }),
            ("tags: tag \"aws:owner\"", |r| r.options.tags = vec![("aws:owner".into(), "me".into())]),
            ("output_kms_key: give a KMS key", |r| r.options.output_kms_key = Some(" ".into())),
            ("volume_kms_key: give a KMS key", |r| r.options.volume_kms_key = Some(String::new())),
            ("max_wait: max_wait applies to spot training only", |r| r.options.max_wait = Some(60)),
            ("checkpoint_s3_uri: invalid S3 URI", |r| r.options.checkpoint_s3_uri = Some("/tmp/c".into())),
        ];
        for (expected, break_it) in cases {
            let mut r = request();
            break_it(&mut r);
            let err = r.check().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
    }
}
