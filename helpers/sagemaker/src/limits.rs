//! Service limits of SageMaker that the project checks against.

/// The largest IP Insights model SageMaker trains and hosts: 8 GB, read generously as 8 GiB (8,589,934,592
/// bytes) so that nothing SageMaker accepts is refused here.
pub const MAX_MODEL_BYTES: u64 = 8 << 30;
