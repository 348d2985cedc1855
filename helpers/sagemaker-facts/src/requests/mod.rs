//! One request type per SageMaker operation, with the SageMaker Python SDK's names, built by the facade and
//! checked once into a [`Checked`] request that both backends take: the local backend maps it to the `ipinsights`
//! process, the AWS crate to the SDK's builder.
//!
//! - [`TrainingJobRequest`] (CreateTrainingJob) with its [`Channel`]s and [`TrainingOptions`];
//! - [`ModelRequest`] (CreateModel) and [`EndpointRequest`] (CreateEndpointConfig + CreateEndpoint);
//! - [`TransformJobRequest`] (CreateTransformJob).

mod endpoint;
mod training;
mod transform_job;

use std::ops::Deref;

pub use endpoint::{EndpointRequest, ModelRequest};
pub use training::{Channel, TrainingJobRequest, TrainingOptions, VpcConfig};
pub use transform_job::{TransformJobRequest, TransformOptions};

use crate::training::OptionError;

/// A request that passed its checks: what SageMaker would refuse was refused before any call. Only the
/// request's own `check` makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<R>(R);

impl<R> Checked<R> {
    /// The request, to change and check again.
    pub fn into_inner(self) -> R {
        self.0
    }
}

impl<R> Deref for Checked<R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.0
    }
}

/// Checks a resource name (`option` is the SDK's name of the field, `kind` what it names).
fn check_name(option: &'static str, kind: &str, name: &str) -> Result<(), OptionError> {
    crate::validate_resource_name(kind, name).map_err(|e| OptionError { option, rule: e.to_string() })
}

/// Checks the instances of a job or endpoint: at least one, of a named type.
fn check_instances(count_option: &'static str, count: u32, instance_type: &str) -> Result<(), OptionError> {
    if count == 0 {
        return Err(OptionError { option: count_option, rule: "give at least 1 instance".into() });
    }
    if instance_type.trim().is_empty() {
        return Err(OptionError { option: "instance_type", rule: "give an instance type, e.g. ml.m5.xlarge".into() });
    }
    Ok(())
}

/// Checks an image URI is given.
fn check_image(image_uri: &str) -> Result<(), OptionError> {
    if image_uri.trim().is_empty() {
        return Err(OptionError { option: "image_uri", rule: "the algorithm image is empty (see image_uri)".into() });
    }
    Ok(())
}
