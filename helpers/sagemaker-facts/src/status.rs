//! The statuses of each kind of resource, spelled as SageMaker spells them: a training job's
//! (`TrainingJobStatus`), a transform job's (`TransformJobStatus`) and an endpoint's (`EndpointStatus`).

use std::fmt;
use std::str::FromStr;

use crate::values::{sdk_values, ValueError};

/// A training job's primary status, spelled as SageMaker spells it (also in serde).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TrainingJobStatus {
    /// Running.
    InProgress,
    /// Finished with a model.
    Completed,
    /// Finished without a model (see the failure reason).
    Failed,
    /// Being stopped.
    Stopping,
    /// Stopped by a user or by the stopping condition (the model may still be there).
    Stopped,
}

sdk_values!(
    /// A transform job's `TransformJobStatus`.
    TransformJobStatus, "TransformJobStatus", {
        /// Running.
        InProgress => "InProgress",
        /// Every object transformed.
        Completed => "Completed",
        /// Ended early (see the failure reason).
        Failed => "Failed",
        /// Being stopped.
        Stopping => "Stopping",
        /// Stopped by a user.
        Stopped => "Stopped",
    }
);

impl TransformJobStatus {
    /// Whether the job has ended (Completed, Failed or Stopped).
    pub fn is_terminal(self) -> bool {
        matches!(self, TransformJobStatus::Completed | TransformJobStatus::Failed | TransformJobStatus::Stopped)
    }
}

sdk_values!(
    /// An endpoint's `EndpointStatus`.
    EndpointStatus, "EndpointStatus", {
        /// Not serving.
        OutOfService => "OutOfService",
        /// Being created.
        Creating => "Creating",
        /// Being updated.
        Updating => "Updating",
        /// Being patched by SageMaker.
        SystemUpdating => "SystemUpdating",
        /// Going back to its last configuration.
        RollingBack => "RollingBack",
        /// Serving.
        InService => "InService",
        /// Being deleted.
        Deleting => "Deleting",
        /// Creation or update failed (see the failure reason).
        Failed => "Failed",
        /// An update and its rollback failed.
        UpdateRollbackFailed => "UpdateRollbackFailed",
    }
);

impl EndpointStatus {
    /// Whether the endpoint serves, or will once SageMaker is done with it (InService, Creating, Updating,
    /// SystemUpdating).
    pub fn is_alive(self) -> bool {
        matches!(
            self,
            EndpointStatus::InService
                | EndpointStatus::Creating
                | EndpointStatus::Updating
                | EndpointStatus::SystemUpdating
        )
    }
}

impl TrainingJobStatus {
    /// The status as SageMaker spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingJobStatus::InProgress => "InProgress",
            TrainingJobStatus::Completed => "Completed",
            TrainingJobStatus::Failed => "Failed",
            TrainingJobStatus::Stopping => "Stopping",
            TrainingJobStatus::Stopped => "Stopped",
        }
    }

    /// Whether the job has ended (Completed, Failed or Stopped).
    pub fn is_terminal(self) -> bool {
        matches!(self, TrainingJobStatus::Completed | TrainingJobStatus::Failed | TrainingJobStatus::Stopped)
    }
}

impl FromStr for TrainingJobStatus {
    type Err = ValueError;

    fn from_str(value: &str) -> Result<Self, ValueError> {
        const ALL: [TrainingJobStatus; 5] = [
            TrainingJobStatus::InProgress,
            TrainingJobStatus::Completed,
            TrainingJobStatus::Failed,
            TrainingJobStatus::Stopping,
            TrainingJobStatus::Stopped,
        ];
        ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| ValueError {
            parameter: "TrainingJobStatus",
            value: value.into(),
            allowed: &["InProgress", "Completed", "Failed", "Stopping", "Stopped"],
        })
    }
}

impl fmt::Display for TrainingJobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled_as_sagemaker_spells_them() {
        for (status, text) in [
            (TrainingJobStatus::InProgress, "InProgress"),
            (TrainingJobStatus::Completed, "Completed"),
            (TrainingJobStatus::Failed, "Failed"),
            (TrainingJobStatus::Stopping, "Stopping"),
            (TrainingJobStatus::Stopped, "Stopped"),
        ] {
            assert_eq!(status.to_string(), text);
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<TrainingJobStatus>(&format!("\"{text}\"")).unwrap(), status);
            assert_eq!(text.parse::<TrainingJobStatus>().unwrap(), status);
            assert_eq!(text.parse::<TransformJobStatus>().unwrap().to_string(), text);
        }
        assert!("Weird".parse::<TrainingJobStatus>().unwrap_err().to_string().contains("TrainingJobStatus"));
        assert!("Weird".parse::<TransformJobStatus>().is_err());
        assert!(!TrainingJobStatus::InProgress.is_terminal() && !TrainingJobStatus::Stopping.is_terminal());
        assert!(TrainingJobStatus::Stopped.is_terminal());
        assert!(TransformJobStatus::Failed.is_terminal() && !TransformJobStatus::Stopping.is_terminal());
    }

    #[test]
    fn endpoint_statuses_are_sagemakers_nine() {
        for text in EndpointStatus::ALL {
            assert_eq!(text.parse::<EndpointStatus>().unwrap().to_string(), *text);
        }
        assert_eq!(EndpointStatus::ALL.len(), 9);
        assert!(EndpointStatus::Creating.is_alive() && !EndpointStatus::Failed.is_alive());
        let err = "Ready".parse::<EndpointStatus>().unwrap_err().to_string();
        assert!(err.starts_with("invalid EndpointStatus \"Ready\": use one of OutOfService,"), "{err}");
    }
}
