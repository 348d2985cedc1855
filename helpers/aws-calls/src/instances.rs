//! The instance settings every SageMaker training job, endpoint and transform job takes, checked before any call.

use crate::error::AwsError;

/// Checks `instance_type` (an `ml.` type such as ml.m5.xlarge) and `instance_count` (at least 1).
pub(crate) fn check_instances(instance_type: &str, instance_count: u32) -> Result<(), AwsError> {
    if !instance_type.starts_with("ml.") {
        return Err(AwsError::InvalidInput(format!(
            "instance type `{instance_type}` is not a SageMaker instance type (like ml.m5.xlarge)"
        )));
    }
    if instance_count == 0 {
        return Err(AwsError::InvalidInput("instance_count must be at least 1".into()));
    }
    Ok(())
}
