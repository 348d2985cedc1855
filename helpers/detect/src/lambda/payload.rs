//! The invocation payload, read so that JSON which does not parse reaches the handler as a countable skip instead
//! of failing the invocation before it (which Lambda would retry).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One invocation's payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// A JSON value (an EventBridge event, a finding, an array, GetFindings output…).
    Event(Value),
    /// The payload is not JSON (truncated, corrupt): the parser's message.
    Invalid(String),
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer) {
            Ok(value) => Payload::Event(value),
            Err(error) => Payload::Invalid(error.to_string()),
        })
    }
}

impl Payload {
    /// Parses raw bytes the way the Lambda runtime hands them over.
    pub fn from_slice(bytes: &[u8]) -> Payload {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match Payload::deserialize(&mut de) {
            Ok(payload) => payload,
            Err(error) => Payload::Invalid(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_json_is_a_payload_not_an_error() {
        assert_eq!(Payload::from_slice(br#"{"a": [1]}"#), Payload::Event(serde_json::json!({"a": [1]})));
        let Payload::Invalid(message) = Payload::from_slice(br#"{"version": "0", "detail": {"id": "x""#) else {
            panic!("truncated JSON parsed")
        };
        assert!(message.contains("EOF while parsing"), "{message}");
    }
}
