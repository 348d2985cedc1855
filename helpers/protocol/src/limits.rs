//! SageMaker's invocation limits and the size bounds of response bodies that keep both sides under them.
//!
//! A response's size depends on the rows, not on the request's bytes: a 6 MiB CSV request of short rows can ask
//! for a 19 MB answer, and a verbose answer grows with `vector_dim`. [`max_prediction_bytes`] is the exact worst
//! case of one prediction (every number written at its longest, 16 characters), so a client that sends at most
//! [`max_rows_per_response`] rows per request never gets an answer over the limit; [`min_prediction_bytes`] is the
//! best case, which lets a server refuse a hopeless request before scoring it.

use crate::media::{ResponseFormat, ResponseKind};
use crate::response::{DOT_PRODUCT_KEY, ENTITY_EMBEDDING_KEY, IP_EMBEDDING_KEY, JSON_CLOSE, JSON_OPEN};

/// SageMaker's limit on an invocation request body: 6 MiB (6,291,456 bytes); larger requests get 413.
pub const MAX_BODY_BYTES: usize = 6_291_456;

/// SageMaker's limit on an invocation response body: 6 MiB (6,291,456 bytes).
pub const MAX_RESPONSE_BYTES: usize = 6_291_456;

/// The largest `vector_dim` SageMaker's IP Insights accepts (its range is 4–4,096).
pub const MAX_VECTOR_DIM: usize = 4096;

/// Longest text of one number in a response: `-0.0000010000003` (ryu's longest `f32`; `null` is shorter).
pub(crate) const MAX_NUMBER_CHARS: usize = 16;

/// Shortest text of one number: `0.0`.
const MIN_NUMBER_CHARS: usize = 3;

/// Bytes the framing of a response body adds, whatever its rows.
pub fn response_framing_bytes(kind: ResponseKind) -> usize {
    match kind {
        ResponseKind::Json => JSON_OPEN.len() + JSON_CLOSE.len(),
        ResponseKind::JsonLines => 0,
    }
}

/// One prediction's bytes (with its separator) when every number takes `number` characters.
fn prediction_bytes(format: ResponseFormat, vector_dim: usize, number: usize) -> usize {
    let separator = 1; // `,` between JSON predictions (one fewer than rows: a bound), `\n` after each line
    let mut bytes = DOT_PRODUCT_KEY.len() + number + 1 + separator;
    if format.verbose {
        let embedding = vector_dim * number + vector_dim.saturating_sub(1) + 1; // numbers, commas, `]`
        bytes += ENTITY_EMBEDDING_KEY.len() + IP_EMBEDDING_KEY.len() + 2 * embedding;
    }
    bytes
}

/// The most bytes one prediction can add to a response of `format` (`vector_dim` matters for verbose only).
pub fn max_prediction_bytes(format: ResponseFormat, vector_dim: usize) -> usize {
    prediction_bytes(format, vector_dim, MAX_NUMBER_CHARS)
}

/// The fewest bytes one prediction can add to a response of `format`.
pub fn min_prediction_bytes(format: ResponseFormat, vector_dim: usize) -> usize {
    prediction_bytes(format, vector_dim, MIN_NUMBER_CHARS)
}

/// The most rows whose response of `format` surely fits in `limit` bytes (at least 1).
pub fn max_rows_per_response(format: ResponseFormat, vector_dim: usize, limit: usize) -> usize {
    let room = limit.saturating_sub(response_framing_bytes(format.kind));
    (room / max_prediction_bytes(format, vector_dim)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{encode_response, Prediction};

    #[test]
    fn no_f32_is_longer_than_the_bound() {
        let mut text = ryu::Buffer::new();
        let mut longest = 0;
        // A stride through every bit pattern (every exponent, many mantissas), and the known longest.
        for bits in (0..=u32::MAX).step_by(4099).chain([0xb586_37be, 0x3586_37be]) {
            let v = f32::from_bits(bits);
            if v.is_finite() {
                longest = longest.max(text.format_finite(v).len());
            }
        }
        assert_eq!(longest, MAX_NUMBER_CHARS);
        assert_eq!(text.format_finite(-1.000_000_3e-6_f32), "-0.0000010000003");
    }

    #[test]
    fn the_bounds_are_exact_for_the_longest_and_shortest_numbers() {
        let worst = -1.000_000_3e-6_f32;
        for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
            for (verbose, dim) in [(false, 0), (true, 1), (true, 16), (true, 4096)] {
                let format = if verbose { ResponseFormat::verbose(kind) } else { ResponseFormat::plain(kind) };
                for rows in [1, 2, 7] {
                    for (value, bound) in
                        [(worst, max_prediction_bytes(format, dim)), (0.0, min_prediction_bytes(format, dim))]
                    {
                        let p = Prediction {
                            dot_product: value,
                            entity_embedding: verbose.then(|| vec![value; dim]),
                            ip_embedding: verbose.then(|| vec![value; dim]),
                        };
                        let body = encode_response(format, &vec![p; rows]);
                        let json_commas = usize::from(kind == ResponseKind::Json);
                        let want = rows * bound + response_framing_bytes(kind) - json_commas;
                        assert_eq!(body.len(), want, "{format:?} dim {dim} rows {rows} value {value}");
                    }
                }
            }
        }
    }

    #[test]
    fn rows_per_response() {
        let plain = ResponseFormat::plain(ResponseKind::Json);
        assert_eq!(max_prediction_bytes(plain, 0), 33);
        assert_eq!(max_rows_per_response(plain, 0, MAX_RESPONSE_BYTES), (MAX_RESPONSE_BYTES - 18) / 33);
        let verbose = ResponseFormat::verbose(ResponseKind::JsonLines);
        assert_eq!(max_rows_per_response(verbose, MAX_VECTOR_DIM, MAX_RESPONSE_BYTES), 45);
        assert_eq!(max_rows_per_response(verbose, MAX_VECTOR_DIM, 10), 1, "at least one row");
    }
}
