//! Request bodies: decoding into `(entity, ip)` pairs and encoding pairs into a body.

use std::net::IpAddr;

use crate::error::RequestError;
use crate::media::RequestFormat;
use crate::pair::{Addresses, Pair};
use crate::writer::RowWriter;

/// Decodes a request body of `format` into its pairs, in order, IPv4 and IPv6 alike; the error names row and
/// field.
pub fn decode_request(format: RequestFormat, body: &[u8]) -> Result<Vec<Pair<'_>>, RequestError> {
    decode_request_of(format, body, Addresses::Both)
}

/// Like [`decode_request`], admitting only `addresses`: with [`Addresses::Ipv4Only`] (SageMaker's container) the
/// first address written in IPv6 notation, an IPv4-mapped one included, refuses the body, naming its row.
pub fn decode_request_of(
    format: RequestFormat,
    body: &[u8],
    addresses: Addresses,
) -> Result<Vec<Pair<'_>>, RequestError> {
    match format {
        RequestFormat::Csv => crate::csv::decode(body, addresses),
        RequestFormat::Json => crate::json::decode_json(body, addresses),
        RequestFormat::JsonLines => crate::json::decode_jsonlines(body, addresses),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips() {
        let rows: Vec<(String, IpAddr)> = vec![
            ("alice".into(), "1.2.3.4".parse().unwrap()),
            ("b,o\"b\n!".into(), "2001:db8::2".parse().unwrap()),
            ("ü".into(), "255.0.0.1".parse().unwrap()),
        ];
        for format in [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines] {
            let body = encode_request(format, &rows);
            assert_eq!(decode_request_owned(format, &body).unwrap(), rows, "{format:?}");
        }
    }

    #[test]
    fn ipv4_only_refuses_ipv6_notation_in_every_format_mapped_addresses_included() {
        let bodies = [
            (RequestFormat::Csv, &b"a,10.0.0.1\nb, ::ffff:1.2.3.4\n"[..], "row 2"),
            (
                RequestFormat::Json,
                br#"{"instances": [{"features": ["a", "10.0.0.1"]}, {"features": ["b", "::ffff:1.2.3.4"]}]}"#,
                "instances[1]",
            ),
            (
                RequestFormat::JsonLines,
                b"{\"features\": [\"a\", \"10.0.0.1\"]}\n{\"data\": {\"features\": {\"values\": [\"b\", \"::ffff:1.2.3.4\"]}}}\n",
                "line 2",
            ),
        ];
        for (format, body, at) in bodies {
            let e = decode_request_of(format, body, Addresses::Ipv4Only).unwrap_err().to_string();
            let want = format!(
                "{at}: IPv6 address \"::ffff:1.2.3.4\" in field 2 (ip): {}",
                ipinsights_sagemaker_facts::IPV4_ONLY
            );
            assert_eq!(e, want, "{format:?}");
            // Without the rule the mapped address is read as IPv4, as the engine reads it.
            let pairs = decode_request(format, body).unwrap();
            assert_eq!(pairs[1].1, IpAddr::from([1, 2, 3, 4]), "{format:?}");
        }
    }

    #[test]
    fn entities_are_trimmed_in_every_format() {
        let bodies = [
            (RequestFormat::Csv, &b"\" alice \",1.2.3.4\n  bob\t, 5.6.7.8\n"[..]),
            (RequestFormat::Json, br#"{"instances": [{"features": [" alice ", "1.2.3.4"]}, {"data": {"features": {"values": ["  bob\t", "5.6.7.8"]}}}]}"#),
            (RequestFormat::JsonLines, b"{\"features\": [\" alice \", \"1.2.3.4\"]}\n{\"features\": [\"  bob\\t\", \"5.6.7.8\"]}\n"),
        ];
        for (format, body) in bodies {
            let got = decode_request_owned(format, body).unwrap();
            let entities: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
            assert_eq!(entities, ["alice", "bob"], "{format:?}");
        }
        for (format, body) in [
            (RequestFormat::Csv, &b"\"  \",1.2.3.4\n"[..]),
            (RequestFormat::Json, br#"{"instances": [{"features": [" ", "1.2.3.4"]}]}"#),
            (RequestFormat::JsonLines, b"{\"features\": [\"\\t\", \"1.2.3.4\"]}\n"),
        ] {
            let e = decode_request(format, body).unwrap_err().to_string();
            assert!(e.ends_with("field 1 (entity) is empty"), "{format:?}: {e}");
        }
    }
}
