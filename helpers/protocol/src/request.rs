//! Request bodies: decoding into `(entity, ip)` pairs and encoding pairs into a body.

use std::borrow::Cow;
use std::io::Write;
use std::net::IpAddr;

use crate::error::{Field, RequestError, RequestErrorKind};
use crate::media::RequestFormat;
use crate::split::RowWriter;

/// One decoded request row: the entity (borrowed from the body when possible) and the IP address.
pub type Pair<'a> = (Cow<'a, str>, IpAddr);

/// Decodes a request body of `format` into its pairs, in order; the error names row and field.
pub fn decode_request(format: RequestFormat, body: &[u8]) -> Result<Vec<Pair<'_>>, RequestError> {
    match format {
        RequestFormat::Csv => crate::csv::decode(body),
        RequestFormat::Json => crate::json::decode_json(body),
        RequestFormat::JsonLines => crate::json::decode_jsonlines(body),
    }
}

/// Like [`decode_request`], with owned entities.
pub fn decode_request_owned(format: RequestFormat, body: &[u8]) -> Result<Vec<(String, IpAddr)>, RequestError> {
    Ok(decode_request(format, body)?.into_iter().map(|(e, ip)| (e.into_owned(), ip)).collect())
}

/// Encodes pairs into one request body of `format` (no size limit: see [`crate::split_requests`]).
pub fn encode_request<S: AsRef<str>>(format: RequestFormat, rows: &[(S, IpAddr)]) -> Vec<u8> {
    let writer = RowWriter::new(format);
    let mut out = Vec::with_capacity(rows.len() * 32 + 16);
    writer.begin(&mut out);
    for (i, (entity, ip)) in rows.iter().enumerate() {
        writer.row(&mut out, i == 0, entity.as_ref(), *ip);
    }
    writer.end(&mut out);
    out
}

/// Parses the IP field: surrounding whitespace trimmed, IPv4 or IPv6.
pub(crate) fn parse_ip(text: &str) -> Result<IpAddr, RequestErrorKind> {
    let text = text.trim();
    text.parse().map_err(|_| RequestErrorKind::InvalidIp { field: Field::Ip, value: text.to_string() })
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
    fn every_format_round_trips() {
        let rows: Vec<(String, IpAddr)> = vec![
            ("alice".into(), "1.2.3.4".parse().unwrap()),
            ("b,o\"b\n".into(), "2001:db8::2".parse().unwrap()),
            ("ü".into(), "255.0.0.1".parse().unwrap()),
        ];
        for format in [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines] {
            let body = encode_request(format, &rows);
            assert_eq!(decode_request_owned(format, &body).unwrap(), rows, "{format:?}");
        }
    }
}
