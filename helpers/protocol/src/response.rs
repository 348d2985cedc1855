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

    /// The first value that is not finite (NaN or ±inf, written as `null` on the wire) and the field holding it
    /// (`dot_product`, `entity_embedding` or `ip_embedding`); `None` when every value is finite. Whoever answers
    /// for a model refuses such a prediction rather than send a `null` that passes for a score.
    pub fn non_finite(&self) -> Option<(&'static str, f32)> {
        let embeddings = [("entity_embedding", &self.entity_embedding), ("ip_embedding", &self.ip_embedding)];
        std::iter::once(("dot_product", self.dot_product))
            .chain(embeddings.into_iter().flat_map(|(what, v)| v.iter().flatten().map(move |x| (what, *x))))
            .find(|(_, x)| !x.is_finite())
    }
}

fn nullable_f32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
}

/// Opening of a JSON response body.
pub(crate) const JSON_OPEN: &[u8] = b"{\"predictions\":[";
/// Closing of a JSON response body.
pub(crate) const JSON_CLOSE: &[u8] = b"]}";
/// Start of every prediction object.
pub(crate) const DOT_PRODUCT_KEY: &[u8] = b"{\"dot_product\":";
/// Start of a verbose prediction's entity embedding.
pub(crate) const ENTITY_EMBEDDING_KEY: &[u8] = b",\"entity_embedding\":[";
/// Start of a verbose prediction's IP embedding.
pub(crate) const IP_EMBEDDING_KEY: &[u8] = b",\"ip_embedding\":[";

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
    let mut writer = ResponseWriter::into_vec(format, std::mem::take(out), usize::MAX);
    for p in predictions {
        // Nothing is over an unlimited size.
        let _ = writer.push(p);
    }
    *out = writer.finish();
}

/// A response body that would be larger than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the response would be larger than {limit} bytes: only its first {rows_fitted} rows fit")]
pub struct ResponseTooLarge {
    /// The byte limit.
    pub limit: usize,
    /// How many predictions fitted before the limit was reached.
    pub rows_fitted: usize,
}

/// Writes a response body one prediction at a time, never letting it grow past a byte limit.
pub struct ResponseWriter {
    format: ResponseFormat,
    out: Vec<u8>,
    /// Bytes already handed out by [`ResponseWriter::write_pending`] (they count against the limit).
    drained: usize,
    rows: usize,
    limit: usize,
    numbers: ryu::Buffer,
}

impl std::fmt::Debug for ResponseWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseWriter").field("format", &self.format).field("rows", &self.rows).finish()
    }
}

impl ResponseWriter {
    /// A writer of `format` bodies of at most `limit` bytes (framing included).
    pub fn new(format: ResponseFormat, limit: usize) -> Self {
        Self::into_vec(format, Vec::new(), limit)
    }

    fn into_vec(format: ResponseFormat, mut out: Vec<u8>, limit: usize) -> Self {
        if format.kind == ResponseKind::Json {
            out.extend_from_slice(JSON_OPEN);
        }
        Self { format, out, drained: 0, rows: 0, limit, numbers: ryu::Buffer::new() }
    }

    /// Appends one prediction; an error (and the body as it was) if the finished body would pass the limit.
    pub fn push(&mut self, p: &Prediction) -> Result<(), ResponseTooLarge> {
        let mark = self.out.len();
        if self.format.kind == ResponseKind::Json && self.rows > 0 {
            self.out.push(b',');
        }
        write_prediction(&mut self.out, p, &mut self.numbers);
        if self.format.kind == ResponseKind::JsonLines {
            self.out.push(b'\n');
        }
        if self.drained + self.out.len() + self.closing_len() > self.limit {
            self.out.truncate(mark);
            return Err(ResponseTooLarge { limit: self.limit, rows_fitted: self.rows });
        }
        self.rows += 1;
        Ok(())
    }

    /// Appends a non-verbose prediction of `dot_product`.
    pub fn push_score(&mut self, dot_product: f32) -> Result<(), ResponseTooLarge> {
        self.push(&Prediction::score(dot_product))
    }

    /// Writes the body so far to `sink` and forgets it, so a long body streams out in pieces; what
    /// [`ResponseWriter::finish`] returns afterwards is the rest (the pieces and the rest make the same bytes).
    pub fn write_pending(&mut self, sink: &mut impl std::io::Write) -> std::io::Result<()> {
        sink.write_all(&self.out)?;
        self.drained += self.out.len();
        self.out.clear();
        Ok(())
    }

    /// Predictions written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The finished body.
    pub fn finish(mut self) -> Vec<u8> {
        if self.format.kind == ResponseKind::Json {
            self.out.extend_from_slice(JSON_CLOSE);
        }
        self.out
    }

    /// Bytes [`ResponseWriter::finish`] appends.
    fn closing_len(&self) -> usize {
        match self.format.kind {
            ResponseKind::Json => JSON_CLOSE.len(),
            ResponseKind::JsonLines => 0,
        }
    }
}

fn write_prediction(out: &mut Vec<u8>, p: &Prediction, floats: &mut ryu::Buffer) {
    out.extend_from_slice(DOT_PRODUCT_KEY);
    write_f32(out, p.dot_product, floats);
    for (key, values) in [(ENTITY_EMBEDDING_KEY, &p.entity_embedding), (IP_EMBEDDING_KEY, &p.ip_embedding)] {
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
    fn non_finite_names_the_first_field_that_is_not_finite() {
        assert_eq!(Prediction::score(1.5).non_finite(), None);
        assert!(matches!(Prediction::score(f32::NAN).non_finite(), Some(("dot_product", x)) if x.is_nan()));
        let verbose = |e: f32, i: f32| Prediction {
            dot_product: 0.5,
            entity_embedding: Some(vec![0.0, e]),
            ip_embedding: Some(vec![i, 0.0]),
        };
        assert_eq!(verbose(0.25, 0.25).non_finite(), None);
        assert_eq!(verbose(f32::INFINITY, 0.25).non_finite(), Some(("entity_embedding", f32::INFINITY)));
        assert_eq!(verbose(0.25, f32::NEG_INFINITY).non_finite(), Some(("ip_embedding", f32::NEG_INFINITY)));
    }

    #[test]
    fn encodes_like_sagemaker() {
        let preds = [Prediction::score(1.25), Prediction::score(-0.5)];
        let json = ResponseFormat::plain(ResponseKind::Json);
        assert_eq!(encode_response(json, &preds), br#"{"predictions":[{"dot_product":1.25},{"dot_product":-0.5}]}"#);
        let lines = ResponseFormat::plain(ResponseKind::JsonLines);
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
            let body = encode_response(ResponseFormat::verbose(kind), &preds);
            assert_eq!(decode_response(kind, &body).unwrap(), preds);
        }
        let serde = serde_json::to_vec(&serde_json::json!({ "predictions": preds })).unwrap();
        assert_eq!(decode_response(ResponseKind::Json, &serde).unwrap(), preds);
        assert!(decode_response(ResponseKind::Json, br#"{"predictions":[{"dot_product":null}]}"#).unwrap()[0]
            .dot_product
            .is_nan());
    }

    #[test]
    fn the_writer_stops_at_its_limit() {
        for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
            let format = ResponseFormat::plain(kind);
            let full = encode_response(format, &[Prediction::score(1.5), Prediction::score(2.5)]);
            let mut exact = ResponseWriter::new(format, full.len());
            assert_eq!((exact.push_score(1.5), exact.push_score(2.5)), (Ok(()), Ok(())));
            assert_eq!(exact.finish(), full, "{kind:?}: a body of exactly the limit is allowed");
            let mut short = ResponseWriter::new(format, full.len() - 1);
            assert_eq!(short.push_score(1.5), Ok(()));
            let refused = short.push_score(2.5).unwrap_err();
            assert_eq!(refused, ResponseTooLarge { limit: full.len() - 1, rows_fitted: 1 });
            assert_eq!(short.rows(), 1);
            assert_eq!(short.finish(), encode_response(format, &[Prediction::score(1.5)]), "{kind:?}");
        }
    }

    #[test]
    fn a_body_written_in_pieces_is_the_same_body_and_keeps_its_limit() {
        for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
            let format = ResponseFormat::plain(kind);
            let full = encode_response(format, &[Prediction::score(1.5), Prediction::score(2.5)]);
            let mut writer = ResponseWriter::new(format, full.len() - 1);
            let mut pieces = Vec::new();
            writer.write_pending(&mut pieces).unwrap();
            assert_eq!(writer.push_score(1.5), Ok(()));
            writer.write_pending(&mut pieces).unwrap();
            assert!(writer.push_score(2.5).is_err(), "{kind:?}: the drained bytes still count");
            let mut writer = ResponseWriter::new(format, full.len());
            let mut pieces = Vec::new();
            for score in [1.5, 2.5] {
                writer.push_score(score).unwrap();
                writer.write_pending(&mut pieces).unwrap();
            }
            pieces.extend(writer.finish());
            assert_eq!(pieces, full, "{kind:?}");
        }
    }

    #[test]
    fn malformed_responses_are_errors() {
        assert!(matches!(decode_response(ResponseKind::Json, b"{}"), Err(ResponseError::Json(_))));
        let e = decode_response(ResponseKind::JsonLines, b"{\"dot_product\":1}\n{\"x\":1}\n").unwrap_err();
        assert!(matches!(e, ResponseError::Line { line: 2, .. }), "{e}");
    }
}
