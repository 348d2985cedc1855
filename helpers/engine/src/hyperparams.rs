//! The IP Insights hyperparameters, from the crate of SageMaker facts (`ipinsights-sagemaker-facts`): names, ranges and
//! defaults are defined there once; training takes the checked [`HyperParameters`].

pub use ipinsights_sagemaker_facts::hyperparameters::*;
