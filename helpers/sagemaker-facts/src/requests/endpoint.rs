//! CreateModel, and CreateEndpointConfig + CreateEndpoint: what the SDK's `deploy` and `transformer` send.

use super::{check_image, check_instances, check_name, Checked, VpcConfig};
use crate::training::{check_tags, check_vpc, OptionError};
use crate::S3Uri;

/// A model (CreateModel) made from a training job's artifact, as the SDK makes one from an estimator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRequest {
    /// The model's name.
    pub model_name: String,
    /// `image_uri`: the inference image.
    pub image_uri: String,
    /// `model_data`: the artifact, `s3://…/model.tar.gz`.
    pub model_data: S3Uri,
    /// `role`: the execution role.
    pub role: String,
    /// The estimator's `subnets` and `security_group_ids`.
    pub vpc: VpcConfig,
    /// The estimator's `enable_network_isolation`.
    pub enable_network_isolation: bool,
    /// `tags` on the model (and on the endpoint config and endpoint that serve it).
    pub tags: Vec<(String, String)>,
}

impl ModelRequest {
    /// A model with no VPC, no network isolation and no tags.
    pub fn new(model_name: &str, image_uri: &str, model_data: S3Uri, role: &str) -> Self {
        ModelRequest {
            model_name: model_name.into(),
            image_uri: image_uri.into(),
            model_data,
            role: role.into(),
            vpc: VpcConfig::default(),
            enable_network_isolation: false,
            tags: Vec::new(),
        }
    }

    /// Checks the model as SageMaker would, before any call.
    pub fn check(self) -> Result<Checked<ModelRequest>, OptionError> {
        self.check_fields()?;
        Ok(Checked(self))
    }

    fn check_fields(&self) -> Result<(), OptionError> {
        check_name("model_name", "model", &self.model_name)?;
        check_image(&self.image_uri)?;
        check_vpc(&self.vpc.subnets, &self.vpc.security_group_ids)?;
        check_tags(&self.tags)
    }
}

/// A model hosted on a new endpoint (`deploy`): the endpoint config takes the endpoint's name, as in the SDK,
/// with one `AllTraffic` variant; the model's tags go on the config and the endpoint too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRequest {
    /// The model to create and host.
    pub model: ModelRequest,
    /// `endpoint_name`: the endpoint's (and its configuration's) name.
    pub endpoint_name: String,
    /// `initial_instance_count`.
    pub initial_instance_count: u32,
    /// `instance_type`.
    pub instance_type: String,
}

impl EndpointRequest {
    /// Checks the endpoint and its model as SageMaker would, before any call.
    pub fn check(self) -> Result<Checked<EndpointRequest>, OptionError> {
        check_name("endpoint_name", "endpoint", &self.endpoint_name)?;
        check_instances("initial_instance_count", self.initial_instance_count, &self.instance_type)?;
        self.model.check_fields()?;
        Ok(Checked(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelRequest {
        ModelRequest::new(
            "ipinsights-2019-12-16-23-39-04-000",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            S3Uri::parse("s3://workshop-bucket/output/job/output/model.tar.gz").unwrap(),
            "arn:aws:iam::123456789012:role/r",
        )
    }

    fn endpoint() -> EndpointRequest {
        EndpointRequest {
            model: model(),
            endpoint_name: "ipinsights-2019-12-16-23-39-04-000".into(),
            initial_instance_count: 1,
            instance_type: "ml.m5.xlarge".into(),
        }
    }

    #[test]
    fn models_are_refused_naming_the_option() {
        model().check().unwrap();
        type Breaker = fn(&mut ModelRequest);
        let cases: [(&str, Breaker); 4] = [
            ("model_name: invalid model name", |m| m.model_name = "a_b".into()),
            ("image_uri: ", |m| m.image_uri = String::new()),
            ("subnets: a VPC configuration needs subnets", |m| m.vpc.security_group_ids = vec!["sg-1".into()]),
            ("tags: tag \"k\" is given twice", |m| m.tags = vec![("k".into(), "1".into()), ("k".into(), "2".into())]),
        ];
        for (expected, break_it) in cases {
            let mut m = model();
            break_it(&mut m);
            let err = m.check().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn endpoints_are_refused_naming_the_option() {
        endpoint().check().unwrap();
        type Breaker = fn(&mut EndpointRequest);
        let cases: [(&str, Breaker); 4] = [
            ("endpoint_name: invalid endpoint name", |e| e.endpoint_name = "-x".into()),
            ("initial_instance_count: give at least 1", |e| e.initial_instance_count = 0),
            ("instance_type: give an instance type", |e| e.instance_type = " ".into()),
            ("model_name: invalid model name", |e| e.model.model_name = String::new()),
        ];
        for (expected, break_it) in cases {
            let mut e = endpoint();
            break_it(&mut e);
            let err = e.check().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{expected}: {err}");
        }
    }
}
