//! What an instance is used for, and the name of SageMaker's quota of a type for that use in Service Quotas
//! (`ml.m5.xlarge for training job usage`; a value of 0 means the type is not available in the region).

/// What an instance is for: each use has its own quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceUse {
    /// Training jobs.
    Training,
    /// Real-time endpoints.
    Endpoint,
    /// Batch transform jobs.
    Transform,
}

impl InstanceUse {
    /// The end of the quota's name: `ml.m5.xlarge for training job usage`.
    pub fn quota_suffix(self) -> &'static str {
        match self {
            InstanceUse::Training => "for training job usage",
            InstanceUse::Endpoint => "for endpoint usage",
            InstanceUse::Transform => "for transform job usage",
        }
    }

    /// The use in words: `training jobs`.
    pub fn describe(self) -> &'static str {
        match self {
            InstanceUse::Training => "training jobs",
            InstanceUse::Endpoint => "endpoints",
            InstanceUse::Transform => "batch transform jobs",
        }
    }

    /// The quota name of `instance_type` for this use.
    pub fn quota_name(self, instance_type: &str) -> String {
        format!("{instance_type} {}", self.quota_suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_names_are_service_quotas_own() {
        assert_eq!(InstanceUse::Training.quota_name("ml.m5.xlarge"), "ml.m5.xlarge for training job usage");
        assert_eq!(InstanceUse::Endpoint.quota_name("ml.m5.xlarge"), "ml.m5.xlarge for endpoint usage");
        assert_eq!(InstanceUse::Transform.quota_name("ml.c5.xlarge"), "ml.c5.xlarge for transform job usage");
    }
}
