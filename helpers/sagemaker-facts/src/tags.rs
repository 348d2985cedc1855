//! The workshop's resource tag: every resource a notebook or the detector creates carries it, so a session can
//! delete what it made and a sweep after a kernel restart can find what is still running; the kinds of resource
//! it tags, what a sweep finds and what removing one did, as both backends report them.

use std::fmt;

use crate::status::{EndpointStatus, TrainingJobStatus, TransformJobStatus};

/// The tag key on every resource the workshop creates (training jobs, models, endpoint configs, endpoints,
/// transform jobs, the detector's resources); its value names the session that created it.
pub const WORKSHOP_TAG_KEY: &str = "ipinsights-workshop";

/// The kinds of resource a workshop session creates on SageMaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// An endpoint (deleted first: it is what bills by the hour).
    Endpoint,
    /// An endpoint config.
    EndpointConfig,
    /// A model.
    Model,
    /// A training job (stopped while it runs).
    TrainingJob,
    /// A batch transform job (stopped while it runs).
    TransformJob,
}

impl ResourceKind {
    /// How SageMaker's console names it, e.g. `endpoint config`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Endpoint => "endpoint",
            ResourceKind::EndpointConfig => "endpoint config",
            ResourceKind::Model => "model",
            ResourceKind::TrainingJob => "training job",
            ResourceKind::TransformJob => "transform job",
        }
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource carrying the workshop's tag, as the sweep lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaggedResource {
    /// What it is.
    pub kind: ResourceKind,
    /// Its name.
    pub name: String,
    /// The tag's value: the session that created it.
    pub session: String,
    /// `CreationTime`, in Unix seconds.
    pub created: Option<i64>,
    /// Its status (endpoints and jobs), e.g. `InService`, `InProgress`; `None` for models and endpoint configs.
    pub status: Option<ResourceStatus>,
    /// The instance type it runs on (endpoints and jobs).
    pub instance_type: Option<String>,
    /// How many instances.
    pub instance_count: Option<u32>,
}

/// What deleting (or stopping) one resource did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Deleted.
    Deleted,
    /// A running job asked to stop (StopTrainingJob, StopTransformJob).
    Stopped,
    /// Already gone, or a job that had already ended: nothing to do.
    AlreadyGone,
}

/// A tagged resource's status, in its kind's own enum (models and endpoint configs have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStatus {
    /// An endpoint's.
    Endpoint(EndpointStatus),
    /// A training job's.
    TrainingJob(TrainingJobStatus),
    /// A transform job's.
    TransformJob(TransformJobStatus),
}

impl ResourceStatus {
    /// Whether its instances run, and so bill by the hour: an endpoint unless it is out of service, failed or
    /// being deleted; a job until it has ended.
    pub fn runs_instances(self) -> bool {
        match self {
            ResourceStatus::Endpoint(s) => {
                !matches!(s, EndpointStatus::OutOfService | EndpointStatus::Failed | EndpointStatus::Deleting)
            }
            ResourceStatus::TrainingJob(s) => !s.is_terminal(),
            ResourceStatus::TransformJob(s) => !s.is_terminal(),
        }
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceStatus::Endpoint(s) => s.fmt(f),
            ResourceStatus::TrainingJob(s) => s.fmt(f),
            ResourceStatus::TransformJob(s) => s.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_runs_instances_is_decided_by_each_kinds_status() {
        assert!(ResourceStatus::Endpoint(EndpointStatus::InService).runs_instances());
        assert!(ResourceStatus::Endpoint(EndpointStatus::Creating).runs_instances());
        assert!(!ResourceStatus::Endpoint(EndpointStatus::OutOfService).runs_instances());
        assert!(!ResourceStatus::Endpoint(EndpointStatus::Deleting).runs_instances());
        assert!(ResourceStatus::TrainingJob(TrainingJobStatus::InProgress).runs_instances());
        assert!(
            !ResourceStatus::TrainingJob(TrainingJobStatus::Completed).runs_instances(),
            "an ended job bills nothing"
        );
        assert!(!ResourceStatus::TransformJob(TransformJobStatus::Stopped).runs_instances());
        assert_eq!(ResourceStatus::TransformJob(TransformJobStatus::InProgress).to_string(), "InProgress");
    }
}
