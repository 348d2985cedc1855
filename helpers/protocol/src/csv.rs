//! `text/csv` requests: headerless rows of exactly two fields, `entity,ip`.
//!
//! Decisions (SageMaker's own parser is not public): exactly two fields per row, like SageMaker's
//! IP Insights input; RFC 4180 quoting (commas, doubled quotes and line breaks inside quotes);
//! `\n` or `\r\n` line ends; blank lines skipped; both fields are trimmed (the entity by the one entity rule,
//! see [`crate::pair`]; so `alice, 1.2.3.4` works). Rows are numbered by the 1-based line where they start.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::error::{Field, Location, RequestError, RequestErrorKind};
use crate::pair::{entity, parse_ip, write_ip, Addresses, Pair};

/// How a field ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Comma,
    LineEnd,
}

/// Decodes a CSV body into pairs, borrowing from it wherever no unquoting is needed.
pub(crate) fn decode(body: &[u8], addresses: Addresses) -> Result<Vec<Pair<'_>>, RequestError> {
    let mut pairs = Vec::with_capacity(body.len() / 24);
    let mut pos = 0;
    let mut line = 1;
    while pos < body.len() {
        let row = line;
        let err = |kind| RequestError::new(Location::Row(row), kind);
        let mut fields: [Cow<'_, [u8]>; 2] = [Cow::Borrowed(&[]), Cow::Borrowed(&[])];
        let mut count = 0;
        loop {
            let (field, end) = next_field(body, &mut pos, &mut line).map_err(err)?;
            if count < 2 {
                fields[count] = field;
            }
            count += 1;
            if end == End::LineEnd {
                break;
            }
        }
        if count == 1 && fields[0].iter().all(u8::is_ascii_whitespace) {
            continue; // blank line
        }
        if count != 2 {
            return Err(err(RequestErrorKind::FieldCount(count)));
        }
        let [entity, ip] = fields;
        pairs.push((entity_str(entity).map_err(err)?, ip_field(&ip, addresses).map_err(err)?));
    }
    if pairs.is_empty() {
        return Err(RequestError::new(Location::Body, RequestErrorKind::Empty));
    }
    Ok(pairs)
}

/// Reads one field at `pos`, leaving `pos` after its terminator and counting line breaks.
fn next_field<'a>(body: &'a [u8], pos: &mut usize, line: &mut usize) -> Result<(Cow<'a, [u8]>, End), RequestErrorKind> {
    let rest = &body[*pos..];
    let lead = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    if rest.get(lead) == Some(&b'"') {
        return quoted_field(body, pos, *pos + lead + 1, line);
    }
    match memchr::memchr2(b',', b'\n', rest) {
        Some(i) => {
            *pos += i + 1;
            if rest[i] == b',' {
                Ok((Cow::Borrowed(&rest[..i]), End::Comma))
            } else {
                *line += 1;
                Ok((Cow::Borrowed(strip_cr(&rest[..i])), End::LineEnd))
            }
        }
        None => {
            *pos = body.len();
            Ok((Cow::Borrowed(strip_cr(rest)), End::LineEnd))
        }
    }
}

/// Reads a quoted field whose content starts at `start` (just after the opening quote).
fn quoted_field<'a>(
    body: &'a [u8],
    pos: &mut usize,
    start: usize,
    line: &mut usize,
) -> Result<(Cow<'a, [u8]>, End), RequestErrorKind> {
    let mut owned: Option<Vec<u8>> = None;
    let mut from = start;
    loop {
        let q = from + memchr::memchr(b'"', &body[from..]).ok_or(RequestErrorKind::BadQuote)?;
        *line += memchr::memchr_iter(b'\n', &body[from..q]).count();
        if body.get(q + 1) == Some(&b'"') {
            owned.get_or_insert_with(Vec::new).extend_from_slice(&body[from..=q]);
            from = q + 2;
            continue;
        }
        let content = match owned {
            Some(mut v) => {
                v.extend_from_slice(&body[from..q]);
                Cow::Owned(v)
            }
            None => Cow::Borrowed(&body[start..q]),
        };
        let mut after = q + 1;
        while matches!(body.get(after), Some(b' ' | b'\t' | b'\r')) {
            after += 1;
        }
        *pos = (after + 1).min(body.len());
        return match body.get(after) {
            Some(b',') => Ok((content, End::Comma)),
            Some(b'\n') => {
                *line += 1;
                Ok((content, End::LineEnd))
            }
            None => Ok((content, End::LineEnd)),
            Some(_) => Err(RequestErrorKind::BadQuote),
        };
    }
}

fn strip_cr(field: &[u8]) -> &[u8] {
    field.strip_suffix(b"\r").unwrap_or(field)
}

fn entity_str(field: Cow<'_, [u8]>) -> Result<Cow<'_, str>, RequestErrorKind> {
    let not_utf8 = |_| RequestErrorKind::NotUtf8(Field::Entity);
    let text = match field {
        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed).map_err(not_utf8)?,
        Cow::Owned(v) => String::from_utf8(v).map(Cow::Owned).map_err(|_| RequestErrorKind::NotUtf8(Field::Entity))?,
    };
    entity(text)
}

fn ip_field(field: &[u8], addresses: Addresses) -> Result<IpAddr, RequestErrorKind> {
    let text = std::str::from_utf8(field).map_err(|_| RequestErrorKind::NotUtf8(Field::Ip))?;
    parse_ip(text, addresses)
}

/// Appends one row `entity,ip\n`, quoting the entity when it holds `,`, `"`, `\r` or `\n`
/// (or starts with a space or quote, which the decoder would otherwise read differently).
/// The entity is written as given; the decoder applies the entity rule.
pub(crate) fn write_row(out: &mut Vec<u8>, entity: &str, ip: IpAddr) {
    let needs_quotes =
        entity.starts_with([' ', '\t', '"']) || entity.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if needs_quotes {
        out.push(b'"');
        for part in entity.split_inclusive('"') {
            out.extend_from_slice(part.as_bytes());
            if part.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(entity.as_bytes());
    }
    out.push(b',');
    write_ip(out, ip);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Vec<(String, String)> {
        decode(body.as_bytes(), Addresses::Both)
            .unwrap()
            .into_iter()
            .map(|(e, ip)| (e.into_owned(), ip.to_string()))
            .collect()
    }

    fn err(body: &str) -> String {
        decode(body.as_bytes(), Addresses::Both).unwrap_err().to_string()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn plain_rows_with_variants() {
        assert_eq!(
            ok("alice,1.2.3.4\r\nbob, 5.6.7.8\n\n  \ncarol,::1"),
            pairs(&[("alice", "1.2.3.4"), ("bob", "5.6.7.8"), ("carol", "::1")])
        );
    }

    #[test]
    fn quoted_fields() {
        assert_eq!(
            ok("\"a,b\",1.2.3.4\n\"say \"\"hi\"\"\", \"5.6.7.8\" \n\"multi\nline\",9.9.9.9\n"),
            pairs(&[("a,b", "1.2.3.4"), ("say \"hi\"", "5.6.7.8"), ("multi\nline", "9.9.9.9")])
        );
        assert_eq!(err("a,1.2.3.4\n\"multi\nline\",1.2.3.4\nb,x\n"), "row 4: invalid IP address \"x\" in field 2 (ip)");
        assert_eq!(err("\"open,1.2.3.4\n"), "row 1: malformed quoted field");
        assert_eq!(err("\"a\"b,1.2.3.4\n"), "row 1: malformed quoted field");
    }

    #[test]
    fn errors_name_row_and_field() {
        assert_eq!(err("a,1.2.3.4\nb,1.2.3\n"), "row 2: invalid IP address \"1.2.3\" in field 2 (ip)");
        assert_eq!(err("a,1.2.3.4\n\nb,1.2.3.4,x\n"), "row 3: expected 2 fields (entity, ip), found 3");
        assert_eq!(err("a\n"), "row 1: expected 2 fields (entity, ip), found 1");
        assert_eq!(err(",1.2.3.4\n"), "row 1: field 1 (entity) is empty");
        assert_eq!(err("  ,1.2.3.4\n"), "row 1: field 1 (entity) is empty");
        assert_eq!(err("a,\n"), "row 1: invalid IP address \"\" in field 2 (ip)");
        assert_eq!(err("\n\n"), "request body: no rows");
        assert_eq!(err(""), "request body: no rows");
        let bad = decode(b"\xff,1.2.3.4", Addresses::Both).unwrap_err();
        assert_eq!(bad.to_string(), "row 1: field 1 (entity) is not valid UTF-8");
    }

    #[test]
    fn written_rows_read_back() {
        let entities = ["plain", "a,b", "q\"uote", "new\nline", "\"start", "ünï", "in ner"];
        let mut out = Vec::new();
        for e in entities {
            write_row(&mut out, e, "10.0.0.1".parse().unwrap());
        }
        let back: Vec<String> =
            decode(&out, Addresses::Both).unwrap().into_iter().map(|(e, _)| e.into_owned()).collect();
        assert_eq!(back, entities);
    }
}
