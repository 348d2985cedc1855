//! Recognising the shapes GuardDuty findings arrive in, and PascalCase → camelCase keys.

use serde_json::{Map, Value};

/// A JSON value found in the input, after shape detection.
#[derive(Debug)]
pub(crate) enum Item {
    /// A finding, keys normalised to camelCase.
    Finding(Value),
    /// An EventBridge event from another source or of another detail-type.
    OtherEvent,
}

/// Keys of which at least one marks an object as a bare finding.
const FINDING_KEYS: [&str; 5] = ["id", "type", "schemaVersion", "resource", "service"];

/// Splits one top-level JSON value into findings: a bare finding, an array of findings or events,
/// an EventBridge event, or GetFindings output `{"Findings": [...]}`. `Err` describes an unknown shape.
pub(crate) fn split_items(value: Value, out: &mut Vec<Item>) -> Result<(), String> {
    match value {
        Value::Array(values) => {
            for (i, v) in values.into_iter().enumerate() {
                if !v.is_object() {
                    return Err(format!("array element {i}: expected an object, found {}", kind(&v)));
                }
                split_items(v, out).map_err(|e| format!("array element {i}: {e}"))?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            if let Some(findings) = take_any(&mut map, &["Findings", "findings"]) {
                let Value::Array(findings) = findings else {
                    return Err(format!("`Findings` is {}, expected an array", kind(&findings)));
                };
                return findings.into_iter().try_for_each(|f| split_items(f, out));
            }
            if map.contains_key("detail") && map.contains_key("source") {
                return split_event(map, out);
            }
            if FINDING_KEYS.iter().any(|k| map.contains_key(*k) || map.contains_key(&upper_first(k))) {
                out.push(Item::Finding(camel_keys(Value::Object(map))));
                return Ok(());
            }
            let keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
            Err(format!(
                "expected a GuardDuty finding, an array of findings, an EventBridge event or GetFindings \
                 output; found an object with keys {keys:?}"
            ))
        }
        other => Err(format!("expected a JSON object or array, found {}", kind(&other))),
    }
}

/// An EventBridge envelope: its `detail` if it is a GuardDuty finding.
fn split_event(mut map: Map<String, Value>, out: &mut Vec<Item>) -> Result<(), String> {
    let source = map.get("source").and_then(Value::as_str).unwrap_or("");
    let detail_type = map.get("detail-type").and_then(Value::as_str).unwrap_or("");
    if source != "aws.guardduty" || detail_type != "GuardDuty Finding" {
        out.push(Item::OtherEvent);
        return Ok(());
    }
    match map.remove("detail") {
        Some(detail @ Value::Object(_)) => {
            out.push(Item::Finding(camel_keys(detail)));
            Ok(())
        }
        Some(other) => Err(format!("`detail` is {}, expected an object", kind(&other))),
        None => Err("`detail` missing".to_string()),
    }
}

fn take_any(map: &mut Map<String, Value>, keys: &[&str]) -> Option<Value> {
    keys.iter().find_map(|k| map.remove(*k))
}

fn upper_first(key: &str) -> String {
    let mut chars = key.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Lower-cases the first letter of every object key, recursively (GetFindings PascalCase → camelCase).
pub(crate) fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k.chars().next() {
                        Some(c) if c.is_ascii_uppercase() => c.to_ascii_lowercase().to_string() + &k[1..],
                        _ => k,
                    };
                    (key, camel_keys(v))
                })
                .collect(),
        ),
        Value::Array(values) => Value::Array(values.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

/// "a string", "a number", … for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pascal_to_camel() {
        let v = camel_keys(json!({"Resource": {"AccessKeyDetails": {"PrincipalId": "x"}}, "id": 1}));
        assert_eq!(v, json!({"resource": {"accessKeyDetails": {"principalId": "x"}}, "id": 1}));
    }

    #[test]
    fn shapes() {
        let mut out = Vec::new();
        split_items(json!({"Findings": [{"Id": "a"}, {"Id": "b"}]}), &mut out).unwrap();
        split_items(json!([{"id": "c"}]), &mut out).unwrap();
        split_items(json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}), &mut out).unwrap();
        assert_eq!(out.len(), 4);
        assert!(matches!(out[3], Item::OtherEvent));
        assert!(split_items(json!({"Records": []}), &mut out).unwrap_err().contains("Records"));
        assert!(split_items(json!(3), &mut out).unwrap_err().contains("a number"));
    }
}
