//! Principal and source-address normalisation shared by CloudTrail and GuardDuty.

use std::net::IpAddr;

use crate::skip::SkipReason;

/// The entity for a principal id: the part before the first ':' (so `AROA…:session` maps to the role
/// `AROA…`), trimmed; `None` when that is empty.
pub fn entity_of(principal_id: &str) -> Option<&str> {
    let head = principal_id.split(':').next().unwrap_or("").trim();
    (!head.is_empty()).then_some(head)
}

/// Parses an IPv4 or IPv6 address, turning IPv4-mapped IPv6 (`::ffff:a.b.c.d`) into IPv4.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let ip: IpAddr = text.trim().parse().ok()?;
    Some(normalize_ip(ip))
}

/// Turns an IPv4-mapped IPv6 address into its IPv4 address; other addresses are unchanged.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Classifies a CloudTrail `sourceIPAddress`: an address, or the reason it yields no tuple.
pub fn classify_source(value: Option<&str>) -> Result<IpAddr, SkipReason> {
    let text = value.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(SkipReason::NoSourceIp);
    }
    if let Some(ip) = parse_ip(text) {
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
    fn entities() {
        assert_eq!(entity_of("AROAEXAMPLE:session-1"), Some("AROAEXAMPLE"));
        assert_eq!(entity_of("AIDAEXAMPLE"), Some("AIDAEXAMPLE"));
        assert_eq!(entity_of(":x"), None);
        assert_eq!(entity_of("  "), None);
    }

    #[test]
    fn sources() {
        assert_eq!(classify_source(Some("1.2.3.4")), Ok("1.2.3.4".parse().unwrap()));
        assert_eq!(classify_source(Some("::ffff:10.1.2.3")), Ok("10.1.2.3".parse().unwrap()));
        assert_eq!(classify_source(Some("2001:db8::1")), Ok("2001:db8::1".parse().unwrap()));
        assert_eq!(classify_source(Some("AWS Internal")), Err(SkipReason::AwsInternal));
        assert_eq!(classify_source(Some("ec2.amazonaws.com")), Err(SkipReason::ServiceName));
        assert_eq!(classify_source(Some("1.2.3")), Err(SkipReason::NotAnIp));
        assert_eq!(classify_source(Some("999.1.1.1")), Err(SkipReason::NotAnIp));
        assert_eq!(classify_source(Some("")), Err(SkipReason::NoSourceIp));
        assert_eq!(classify_source(None), Err(SkipReason::NoSourceIp));
    }
}
