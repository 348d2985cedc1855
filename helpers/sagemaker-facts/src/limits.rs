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

/// Whether address text is written in IPv6 notation, which SageMaker reads nowhere (see [`IPV4_ONLY`]), an
/// IPv4-mapped address such as `::ffff:10.0.0.2` included; surrounding spaces are ignored, and text that is no
/// address is not IPv6 notation (whoever parses it reports it).
pub fn ipv6_notation(text: &str) -> bool {
    text.trim().parse::<std::net::Ipv6Addr>().is_ok()
}

/// Batch transform's largest `MaxPayloadInMB`.
pub const MAX_TRANSFORM_PAYLOAD_MB: u32 = 100;

/// Batch transform's `MaxPayloadInMB` when a job does not set it.
pub const DEFAULT_TRANSFORM_PAYLOAD_MB: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_notation_is_any_address_written_with_colons() {
        for text in ["2001:db8::1", " ::ffff:10.0.0.2 ", "::1", "fe80::1"] {
            assert!(ipv6_notation(text), "{text:?}");
        }
        for text in ["10.0.0.2", " 1.2.3.4", "not:an:address", "", "[2001:db8::1]", "2001:db8::1%eth0"] {
            assert!(!ipv6_notation(text), "{text:?}");
        }
    }
}
