//! CloudTrail's `sourceIPAddress`: an address (parsed by the engine's [`parse_ip`]), or one of the values that name
//! no address (`AWS Internal`, a service's DNS name), each a skip reason of its own.

use std::net::IpAddr;

use ipinsights_engine::ip::parse_ip;

use crate::skip::SkipReason;

/// Classifies a CloudTrail `sourceIPAddress`: an address, or the reason it yields no tuple.
pub fn classify_source(value: Option<&str>) -> Result<IpAddr, SkipReason> {
    let text = value.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(SkipReason::NoSourceIp);
    }
    if let Ok(ip) = parse_ip(text) {
        return Ok(ip);
    }
    if text.eq_ignore_ascii_case("AWS Internal") {
        Err(SkipReason::AwsInternal)
    } else if is_dns_name(text) {
        Err(SkipReason::ServiceName)
    } else {
        Err(SkipReason::NotAnIp)
    }
}

/// True for host names like `ec2.amazonaws.com`: dotted labels of letters, digits and '-', ending in a
/// letters-only top-level label.
fn is_dns_name(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(classify_source(Some("1.2.3.4")), Ok("1.2.3.4".parse().unwrap()));
        assert_eq!(classify_source(Some(" 1.2.3.4\u{a0}")), Ok("1.2.3.4".parse().unwrap()));
        assert_eq!(classify_source(Some("::ffff:10.1.2.3")), Ok("10.1.2.3".parse().unwrap()));
        assert_eq!(classify_source(Some("2001:db8::1")), Ok("2001:db8::1".parse().unwrap()));
        assert_eq!(classify_source(Some("AWS Internal")), Err(SkipReason::AwsInternal));
        assert_eq!(classify_source(Some("ec2.amazonaws.com")), Err(SkipReason::ServiceName));
        assert_eq!(classify_source(Some("1.2.3")), Err(SkipReason::NotAnIp));
        assert_eq!(classify_source(Some("999.1.1.1")), Err(SkipReason::NotAnIp));
        assert_eq!(classify_source(Some("")), Err(SkipReason::NoSourceIp));
        assert_eq!(classify_source(Some("   ")), Err(SkipReason::NoSourceIp));
        assert_eq!(classify_source(None), Err(SkipReason::NoSourceIp));
    }
}
