//! The workshop's resource tag: every resource a notebook or the detector creates carries it, so a session can
//! delete what it made and a sweep after a kernel restart can find what is still running; the kinds of resource
//! it tags, what a sweep finds and what removing one did, as both backends report them.

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
    /// Its status (endpoints and jobs), e.g. `InService`, `InProgress`.
    pub status: Option<String>,
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
