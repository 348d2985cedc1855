//! Response bodies: predictions encoded as JSON or JSON Lines, and decoded back for clients.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ResponseError;
use crate::media::{ResponseFormat, ResponseKind};

/// The answer for one pair: its score and, in verbose responses, both embeddings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// ⟨entity vector, IP vector⟩: a log-odds, higher = more normal (`null` on the wire if not finite).
    #[serde(deserialize_with = "nullable_f32")]
    pub dot_product: f32,
    /// The entity's embedding (verbose responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_embedding: Option<Vec<f32>>,
    /// The IP address's embedding (verbose responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_embedding: Option<Vec<f32>>,
}

impl Prediction {
    /// A non-verbose prediction.
    pub fn score(dot_product: f32) -> Self {
        Self { dot_product, entity_embedding: None, ip_embedding: None }
    }
}

fn nullable_f32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
}

/// Encodes predictions as a response body of `format.kind`; embeddings are written when present.
pub fn encode_response(format: ResponseFormat, predictions: &[Prediction]) -> Vec<u8> {
    let per_row = 24 + predictions.first().map_or(0, |p| embedding_len(p) * 14);
    let mut out = Vec::with_capacity(predictions.len() * per_row + 20);
    write_response(format, predictions, &mut out);
    out
}

fn embedding_len(p: &Prediction) -> usize {
    p.entity_embedding.as_ref().map_or(0, Vec::len) + p.ip_embedding.as_ref().map_or(0, Vec::len)
}

/// Appends the response body to `out` (see [`encode_response`]).
pub fn write_response(format: ResponseFormat, predictions: &[Prediction], out: &mut Vec<u8>) {
    let mut floats = ryu::Buffer::new();
    match format.kind {
        ResponseKind::Json => {
            out.extend_from_slice(b"{\"predictions\":[");
            for (i, p) in predictions.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_prediction(out, p, &mut floats);
            }
            out.extend_from_slice(b"]}");
        }
        ResponseKind::JsonLines => {
            for p in predictions {
                write_prediction(out, p, &mut floats);
                out.push(b'\n');
            }
        }
    }
}

fn write_prediction(out: &mut Vec<u8>, p: &Prediction, floats: &mut ryu::Buffer) {
    out.extend_from_slice(b"{\"dot_product\":");
    write_f32(out, p.dot_product, floats);
    for (key, values) in
        [(&b",\"entity_embedding\":["[..], &p.entity_embedding), (b",\"ip_embedding\":[", &p.ip_embedding)]
    {
        if let Some(values) = values {
            out.extend_from_slice(key);
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_f32(out, *v, floats);
            }
            out.push(b']');
        }
    }
    out.push(b'}');
}

fn write_f32(out: &mut Vec<u8>, v: f32, floats: &mut ryu::Buffer) {
    if v.is_finite() {
        out.extend_from_slice(floats.format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

#[derive(Deserialize)]
struct Predictions {
    predictions: Vec<Prediction>,
}

/// Decodes a response body of `kind` into predictions, in order.
pub fn decode_response(kind: ResponseKind, body: &[u8]) -> Result<Vec<Prediction>, ResponseError> {
    match kind {
        ResponseKind::Json => serde_json::from_slice::<Predictions>(body)
            .map(|p| p.predictions)
            .map_err(|e| ResponseError::Json(e.to_string())),
        ResponseKind::JsonLines => body
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| {
                serde_json::from_slice(line).map_err(|e| ResponseError::Line { line: i + 1, message: e.to_string() })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_sagemaker() {
        let preds = [Prediction::score(1.25), Prediction::score(-0.5)];
        let json = ResponseFormat::new(ResponseKind::Json, false);
        assert_eq!(encode_response(json, &preds), br#"{"predictions":[{"dot_product":1.25},{"dot_product":-0.5}]}"#);
        let lines = ResponseFormat::new(ResponseKind::JsonLines, false);
        assert_eq!(encode_response(lines, &preds), b"{\"dot_product\":1.25}\n{\"dot_product\":-0.5}\n");
        let verbose = [Prediction {
            dot_product: 2.0,
            entity_embedding: Some(vec![0.5, 1.0]),
            ip_embedding: Some(vec![3.0, -1.5]),
        }];
        assert_eq!(
            encode_response(json, &verbose),
            br#"{"predictions":[{"dot_product":2.0,"entity_embedding":[0.5,1.0],"ip_embedding":[3.0,-1.5]}]}"#
        );
        assert_eq!(encode_response(json, &[Prediction::score(f32::NAN)]), br#"{"predictions":[{"dot_product":null}]}"#);
    }

    #[test]
    fn decodes_what_it_encodes_and_what_serde_writes() {
        let preds = vec![
            Prediction::score(0.1),
            Prediction {
                dot_product: -3.4e-7,
                entity_embedding: Some(vec![1.0, 2.5]),
                ip_embedding: Some(vec![0.0, -1e30]),
            },
        ];
        for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
            let body = encode_response(ResponseFormat::new(kind, true), &preds);
            assert_eq!(decode_response(kind, &body).unwrap(), preds);
        }
        let serde = serde_json::to_vec(&serde_json::json!({ "predictions": preds })).unwrap();
        assert_eq!(decode_response(ResponseKind::Json, &serde).unwrap(), preds);
        assert!(decode_response(ResponseKind::Json, br#"{"predictions":[{"dot_product":null}]}"#).unwrap()[0]
            .dot_product
            .is_nan());
    }

    #[test]
    fn malformed_responses_are_errors() {
        assert!(matches!(decode_response(ResponseKind::Json, b"{}"), Err(ResponseError::Json(_))));
        let e = decode_response(ResponseKind::JsonLines, b"{\"dot_product\":1}\n{\"x\":1}\n").unwrap_err();
        assert!(matches!(e, ResponseError::Line { line: 2, .. }), "{e}");
    }
}
