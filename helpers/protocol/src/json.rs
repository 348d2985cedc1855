//! `application/json` and `application/jsonlines` requests.
//!
//! An instance is `{"features": ["entity", "ip"]}` or `{"data": {"features": {"values": ["entity", "ip"]}}}`;
//! a JSON body is `{"instances": [instance, ...]}` (shapes may be mixed), a JSON Lines body one
//! instance per line (blank lines skipped). Unknown keys are ignored; a known key given twice (`instances`,
//! `features`, `data`, `values`) is refused, never read as its last value. Both fields follow [`crate::pair`]'s
//! rules.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::net::IpAddr;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Location, RequestError, RequestErrorKind};
use crate::pair::{entity, parse_ip, write_ip, Addresses, Pair};

/// A string that borrows from the body unless it holds escapes.
#[derive(Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct Instance<'a> {
    #[serde(borrow, default)]
    features: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    features: DataFeatures<'a>,
}

#[derive(Deserialize)]
struct DataFeatures<'a> {
    #[serde(borrow)]
    values: Vec<Str<'a>>,
}

/// Decodes `{"instances": [...]}`.
pub(crate) fn decode_json(body: &[u8], addresses: Addresses) -> Result<Vec<Pair<'_>>, RequestError> {
    let failed_at = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let instances =
        BodySeed { failed_at: &failed_at }.deserialize(&mut de).and_then(|v| de.end().map(|()| v)).map_err(|e| {
            let location = failed_at.get().map_or(Location::Body, Location::Instance);
            RequestError::new(location, RequestErrorKind::Json(e.to_string()))
        })?;
    let pairs = instances
        .into_iter()
        .enumerate()
        .map(|(i, inst)| to_pair(inst, addresses).map_err(|k| RequestError::new(Location::Instance(i), k)))
        .collect::<Result<Vec<_>, _>>()?;
    non_empty(pairs)
}

/// Decodes one instance per non-blank line.
pub(crate) fn decode_jsonlines(body: &[u8], addresses: Addresses) -> Result<Vec<Pair<'_>>, RequestError> {
    let mut pairs = Vec::with_capacity(body.len() / 40);
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let err = |k| RequestError::new(Location::Line(i + 1), k);
        let inst: Instance<'_> =
            serde_json::from_slice(line).map_err(|e| err(RequestErrorKind::Json(e.to_string())))?;
        pairs.push(to_pair(inst, addresses).map_err(err)?);
    }
    non_empty(pairs)
}

fn non_empty(pairs: Vec<Pair<'_>>) -> Result<Vec<Pair<'_>>, RequestError> {
    if pairs.is_empty() {
        return Err(RequestError::new(Location::Body, RequestErrorKind::Empty));
    }
    Ok(pairs)
}

fn to_pair(inst: Instance<'_>, addresses: Addresses) -> Result<Pair<'_>, RequestErrorKind> {
    let values = match (inst.features, inst.data) {
        (Some(v), None) => v,
        (None, Some(d)) => d.features.values,
        _ => {
            return Err(RequestErrorKind::Json("an instance needs exactly one of \"features\" or \"data\"".to_string()))
        }
    };
    let [Str(name), Str(ip)]: [Str<'_>; 2] =
        values.try_into().map_err(|v: Vec<_>| RequestErrorKind::FieldCount(v.len()))?;
    Ok((entity(name)?, parse_ip(&ip, addresses)?))
}

/// Deserializes the top-level object, remembering which instance failed.
struct BodySeed<'c> {
    failed_at: &'c Cell<Option<usize>>,
}

impl<'de, 'c> DeserializeSeed<'de> for BodySeed<'c> {
    type Value = Vec<Instance<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'c> Visitor<'de> for BodySeed<'c> {
    type Value = Vec<Instance<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"instances\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut instances = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "instances" {
                if instances.is_some() {
                    return Err(A::Error::duplicate_field("instances"));
                }
                instances = Some(map.next_value_seed(InstancesSeed { failed_at: self.failed_at })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        instances.ok_or_else(|| A::Error::missing_field("instances"))
    }
}

struct InstancesSeed<'c> {
    failed_at: &'c Cell<Option<usize>>,
}

impl<'de, 'c> DeserializeSeed<'de> for InstancesSeed<'c> {
    type Value = Vec<Instance<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'c> Visitor<'de> for InstancesSeed<'c> {
    type Value = Vec<Instance<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of instances")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            self.failed_at.set(Some(out.len()));
            match seq.next_element::<Instance<'de>>()? {
                Some(inst) => out.push(inst),
                None => break,
            }
        }
        self.failed_at.set(None);
        Ok(out)
    }
}

/// Appends `{"features":["entity","ip"]}`.
pub(crate) fn write_instance(out: &mut Vec<u8>, entity: &str, ip: IpAddr) {
    out.extend_from_slice(b"{\"features\":[");
    // Writing a &str into a Vec<u8> cannot fail.
    let _ = serde_json::to_writer(&mut *out, entity);
    out.extend_from_slice(b",\"");
    write_ip(out, ip);
    out.extend_from_slice(b"\"]}");
}

#[cfg(test)]
mod tests {
    use super::*;

    type Decoder = fn(&[u8], Addresses) -> Result<Vec<Pair<'_>>, RequestError>;

    fn ok(f: Decoder, body: &str) -> Vec<(String, String)> {
        f(body.as_bytes(), Addresses::Both)
            .unwrap()
            .into_iter()
            .map(|(e, ip)| (e.into_owned(), ip.to_string()))
            .collect()
    }

    fn err(f: Decoder, body: &str) -> String {
        f(body.as_bytes(), Addresses::Both).unwrap_err().to_string()
    }

    #[test]
    fn both_shapes_mixed() {
        let body = r#"{"instances": [{"data": {"features": {"values": ["e1", "1.2.3.4"]}}}, {"features": ["e\"2", " 5.6.7.8"]}], "x": 1}"#;
        let want = vec![("e1".to_string(), "1.2.3.4".to_string()), ("e\"2".to_string(), "5.6.7.8".to_string())];
        assert_eq!(ok(decode_json, body), want);
        let lines = "{\"data\": {\"features\": {\"values\": [\"e1\", \"1.2.3.4\"]}}}\n\n{\"features\": [\"e\\\"2\", \"5.6.7.8\"]}\n";
        assert_eq!(ok(decode_jsonlines, lines), want);
    }

    #[test]
    fn json_errors_name_the_instance() {
        let e =
            err(decode_json, r#"{"instances": [{"features": ["a", "1.2.3.4"]}, {"features": ["b", "300.1.1.1"]}]}"#);
        assert_eq!(e, "instances[1]: invalid IP address \"300.1.1.1\" in field 2 (ip)");
        let e = err(decode_json, r#"{"instances": [{"features": ["a", "1.2.3.4"]}, {"features": ["b", 5]}]}"#);
        assert!(e.starts_with("instances[1]: malformed JSON: invalid type: integer `5`"), "{e}");
        let e = err(decode_json, r#"{"instances": [{"features": ["a", "1.2.3.4", "x"]}]}"#);
        assert_eq!(e, "instances[0]: expected 2 fields (entity, ip), found 3");
        let e = err(decode_json, r#"{"instances": [{"other": 1}]}"#);
        assert!(e.starts_with("instances[0]: malformed JSON: an instance needs"), "{e}");
        assert!(
            err(decode_json, r#"{"rows": []}"#).starts_with("request body: malformed JSON: missing field `instances`")
        );
        assert_eq!(err(decode_json, r#"{"instances": []}"#), "request body: no rows");
        assert!(err(decode_json, r#"{"instances": [{"features": ["a", "1.2.3.4"]}]} x"#)
            .starts_with("request body: malformed JSON"));
        assert!(err(decode_json, "[").starts_with("request body: malformed JSON"));
    }

    #[test]
    fn duplicate_keys_are_refused_at_every_level() {
        let one = r#"{"features": ["a", "1.2.3.4"]}"#;
        let e = err(decode_json, &format!(r#"{{"instances": [{one}], "x": 1, "instances": [{one}, {one}]}}"#));
        assert!(e.starts_with("request body: malformed JSON: duplicate field `instances`"), "{e}");
        let e = err(decode_json, r#"{"instances": [{"features": ["a", "1.2.3.4"], "features": ["b", "1.2.3.4"]}]}"#);
        assert!(e.starts_with("instances[0]: malformed JSON: duplicate field `features`"), "{e}");
        // Unknown keys stay ignored, even twice.
        assert_eq!(ok(decode_json, &format!(r#"{{"x": 1, "instances": [{one}], "x": 2}}"#)).len(), 1);
    }

    #[test]
    fn jsonlines_errors_name_the_line() {
        let e = err(decode_jsonlines, "{\"features\": [\"a\", \"1.2.3.4\"]}\n\n{\"features\": [\"a\", \"nope\"]}\n");
        assert_eq!(e, "line 3: invalid IP address \"nope\" in field 2 (ip)");
        let e = err(decode_jsonlines, "{\"features\": [\"a\", \"1.2.3.4\"]}\n{\"features\": \n");
        assert!(e.starts_with("line 2: malformed JSON"), "{e}");
    }
}
