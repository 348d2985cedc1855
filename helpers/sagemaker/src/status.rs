//! The statuses of a training job (`TrainingJobStatus` of DescribeTrainingJob) and of a transform job.

use std::fmt;

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

/// A transform job's `TransformJobStatus`: the same five statuses, spelled the same way.
pub type TransformJobStatus = TrainingJobStatus;

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
        }
        assert!(!TrainingJobStatus::InProgress.is_terminal() && !TrainingJobStatus::Stopping.is_terminal());
        assert!(TrainingJobStatus::Stopped.is_terminal());
    }
}
