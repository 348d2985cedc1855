//! One request row, the leaf every codec shares: the [`Pair`] type and the rules of its two fields.
//!
//! Entities follow the engine's one entity rule ([`ipinsights_engine::tuples::normalize_entity`]: surrounding
//! whitespace is not part of an entity, so `" alice"` scores as `alice`, exactly as it trained); addresses are
//! parsed by [`ipinsights_engine::ip::parse_ip`] (surrounding spaces ignored, IPv4-mapped IPv6 read as IPv4).
//! Under [`Addresses::Ipv4Only`] the address text is judged before it is mapped, by the one rule training's reader
//! also uses ([`ipinsights_sagemaker_facts::ipv6_notation`]): `::ffff:1.2.3.4` is IPv6 notation and refused everywhere.

use std::borrow::Cow;
use std::io::Write;
use std::net::IpAddr;

use ipinsights_engine::tuples::normalize_entity;

use crate::error::{Field, RequestErrorKind};

/// One decoded request row: the entity (borrowed from the body when possible) and the IP address.
pub type Pair<'a> = (Cow<'a, str>, IpAddr);

/// The entity field under the one entity rule; empty (after trimming) is an error.
pub(crate) fn entity(raw: Cow<'_, str>) -> Result<Cow<'_, str>, RequestErrorKind> {
    let kept = normalize_entity(&raw).len();
    if kept == 0 {
        return Err(RequestErrorKind::EmptyField(Field::Entity));
    }
    if kept == raw.len() {
        return Ok(raw);
    }
    Ok(match raw {
        Cow::Borrowed(text) => Cow::Borrowed(normalize_entity(text)),
        Cow::Owned(text) => Cow::Owned(normalize_entity(&text).to_string()),
    })
}

/// Which addresses a request may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addresses {
    /// IPv4 and IPv6, as the local engine reads them (IPv4-mapped IPv6 read as IPv4).
    #[default]
    Both,
    /// IPv4 in decimal-dot notation only, as SageMaker's IP Insights reads them: any address written in IPv6
    /// notation, an IPv4-mapped one included, is refused ([`ipinsights_sagemaker_facts::IPV4_ONLY`]).
    Ipv4Only,
}

/// The IP field: IPv4 or IPv6 as the engine reads addresses, unless `addresses` admits IPv4 only.
pub(crate) fn parse_ip(text: &str, addresses: Addresses) -> Result<IpAddr, RequestErrorKind> {
    if addresses == Addresses::Ipv4Only && ipinsights_sagemaker_facts::ipv6_notation(text) {
        return Err(RequestErrorKind::Ipv6Refused { field: Field::Ip, value: text.trim().to_string() });
    }
    ipinsights_engine::ip::parse_ip(text).map_err(|e| RequestErrorKind::InvalidIp { field: Field::Ip, value: e.text })
}

/// Appends the textual form of `ip` (dotted quad without going through `fmt` for IPv4).
pub(crate) fn write_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                if octet >= 100 {
                    out.push(b'0' + octet / 100);
                }
                if octet >= 10 {
                    out.push(b'0' + octet / 10 % 10);
                }
                out.push(b'0' + octet % 10);
            }
        }
        IpAddr::V6(v6) => {
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_writer_matches_display() {
        for ip in ["0.0.0.0", "1.20.255.100", "255.255.255.255", "10.0.9.99", "::ffff:1.2.3.4", "2001:db8::1"] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut out = Vec::new();
            write_ip(&mut out, ip);
            assert_eq!(String::from_utf8(out).unwrap(), ip.to_string());
        }
    }

    #[test]
    fn entities_are_trimmed_and_never_empty() {
        assert_eq!(entity(Cow::Borrowed(" alice\t")).unwrap(), "alice");
        assert!(matches!(entity(Cow::Borrowed("alice")).unwrap(), Cow::Borrowed("alice")));
        assert_eq!(entity(Cow::Owned(" a b ".into())).unwrap(), "a b");
        assert_eq!(entity(Cow::Borrowed(" \n ")), Err(RequestErrorKind::EmptyField(Field::Entity)));
    }

    #[test]
    fn addresses_as_the_engine_reads_them() {
        let both = Addresses::Both;
        assert_eq!(parse_ip(" 10.0.0.1 ", both).unwrap(), IpAddr::from([10, 0, 0, 1]));
        assert_eq!(parse_ip("::ffff:1.2.3.4", both).unwrap(), IpAddr::from([1, 2, 3, 4]), "IPv4-mapped is IPv4");
        let bad = parse_ip("1.2.3", both);
        assert_eq!(bad, Err(RequestErrorKind::InvalidIp { field: Field::Ip, value: "1.2.3".into() }));
    }

    #[test]
    fn ipv4_only_refuses_ipv6_notation_before_mapping() {
        let only = Addresses::Ipv4Only;
        assert_eq!(parse_ip(" 10.0.0.1 ", only).unwrap(), IpAddr::from([10, 0, 0, 1]));
        for text in [" ::ffff:1.2.3.4 ", "2001:db8::1", "::1"] {
            let refused = RequestErrorKind::Ipv6Refused { field: Field::Ip, value: text.trim().into() };
            assert_eq!(parse_ip(text, only), Err(refused), "{text:?}");
        }
        let message = parse_ip("::ffff:1.2.3.4", only).unwrap_err().to_string();
        assert!(message.contains("\"::ffff:1.2.3.4\" in field 2 (ip)"), "{message}");
        assert!(message.contains(ipinsights_sagemaker_facts::IPV4_ONLY), "{message}");
        assert!(matches!(parse_ip("1.2.3", only), Err(RequestErrorKind::InvalidIp { .. })));
    }
}
