//! Service limits of SageMaker that the project checks against.

/// The largest IP Insights model SageMaker trains and hosts: 8 GB, read generously as 8 GiB (8,589,934,592
/// bytes) so that nothing SageMaker accepts is refused here.
pub const MAX_MODEL_BYTES: u64 = 8 << 30;

/// Why an IPv6 address never goes to SageMaker: IP Insights' training and inference formats take "the IPv4
/// address … in decimal-dot notation". IPv6 is the local engine's extension; on SageMaker such rows are dropped
/// before upload, answered as not scorable, or refused (the emulated algorithm's strict mode).
pub const IPV4_ONLY: &str = "SageMaker's IP Insights takes IPv4 addresses only (decimal-dot notation)";

/// Whether SageMaker's IP Insights can read this address (IPv4 only, see [`IPV4_ONLY`]).
pub fn sagemaker_reads(ip: std::net::IpAddr) -> bool {
    ip.is_ipv4()
}

/// Batch transform's largest `MaxPayloadInMB`.
pub const MAX_TRANSFORM_PAYLOAD_MB: u32 = 100;

/// Batch transform's `MaxPayloadInMB` when a job does not set it.
pub const DEFAULT_TRANSFORM_PAYLOAD_MB: u32 = 6;
