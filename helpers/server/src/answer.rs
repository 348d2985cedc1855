//! One request body in, one response body out: decode, score, encode, with the answer kept under its limit.
//!
//! The answer is written one prediction at a time and refused (424 `ModelError`) the moment it would pass the
//! limit, so no oversize answer is ever built: a request is refused before scoring when even the shortest
//! possible answer would not fit, and verbose predictions (whose embeddings dominate) are computed in blocks of
//! bounded size as they are written. A score or embedding value that is not finite (NaN or infinite, from a model
//! whose weights overflow) refuses the answer with 424 `ModelError`: it is never sent as 200 with `null`.

use ipinsights_protocol::{
    decode_request_of, max_rows_per_response, min_prediction_bytes, response_framing_bytes, Addresses, Pair,
    Prediction, RequestFormat, ResponseFormat, ResponseTooLarge, ResponseWriter, ScoreError,
};

use crate::{ApiError, Scorer};

/// Embedding values computed at once for a verbose answer (about 1 MiB of floats).
const VERBOSE_BLOCK_FLOATS: usize = 256 * 1024;

/// Decodes, scores and encodes one request body; the answer is at most `limit` bytes. With `ipv4_only` (SageMaker's
/// container) a row whose address is written in IPv6 notation (`::ffff:1.2.3.4` included: the protocol's one rule,
/// [`Addresses::Ipv4Only`]) refuses the request, naming the row.
pub(crate) fn answer(
    scorer: &dyn Scorer,
    format: RequestFormat,
    accept: ResponseFormat,
    body: &[u8],
    limit: usize,
    ipv4_only: bool,
) -> Result<Vec<u8>, ApiError> {
    let addresses = if ipv4_only { Addresses::Ipv4Only } else { Addresses::Both };
    let pairs = decode_request_of(format, body, addresses)?;
    let rows = pairs.len();
    let known_dim = scorer.vector_dim();
    let dim = known_dim.unwrap_or(0);
    // What to tell the client: the row count that always fits, when the embeddings' size is known.
    let refuse = |fitted: usize| {
        let at_most =
            if accept.verbose && known_dim.is_none() { fitted } else { max_rows_per_response(accept, dim, limit) };
        ApiError::response_too_large(rows, limit, at_most)
    };
    // The shortest possible answer (a JSON body has one comma fewer than rows) already too large: refuse unscored.
    let shortest = rows.saturating_mul(min_prediction_bytes(accept, dim)) + response_framing_bytes(accept.kind);
    if shortest.saturating_sub(1) > limit {
        return Err(refuse(0));
    }
    let mut writer = ResponseWriter::new(accept, limit);
    let written = if accept.verbose {
        write_verbose(scorer, &pairs, dim, &mut writer)
    } else {
        write_scores(scorer, &pairs, &mut writer)
    };
    match written {
        Ok(()) => Ok(writer.finish()),
        Err(Refusal::TooLarge(e)) => Err(refuse(e.rows_fitted)),
        Err(Refusal::Score(e)) => Err(e.into()),
        Err(Refusal::NotFinite { row, what, value }) => {
            let (entity, ip) = &pairs[row];
            Err(ApiError::not_finite(row + 1, &format!("{entity},{ip}"), what, value))
        }
        Err(Refusal::Count { sent, got }) => {
            Err(ApiError::internal(format!("the model returned {got} answers for {sent} rows")))
        }
    }
}

/// Why an answer could not be written.
enum Refusal {
    TooLarge(ResponseTooLarge),
    Score(ScoreError),
    Count {
        sent: usize,
        got: usize,
    },
    /// The model's `what` for row `row` (0-based) is `value`, which is not finite.
    NotFinite {
        row: usize,
        what: &'static str,
        value: f32,
    },
}

/// Refuses a prediction holding a value that is not finite (it would be written as `null`).
fn check_finite(row: usize, p: &Prediction) -> Result<(), Refusal> {
    match p.non_finite() {
        Some((what, value)) => Err(Refusal::NotFinite { row, what, value }),
        None => Ok(()),
    }
}

fn write_scores(scorer: &dyn Scorer, pairs: &[Pair<'_>], writer: &mut ResponseWriter) -> Result<(), Refusal> {
    let scores = scorer.dot_products(pairs).map_err(Refusal::Score)?;
    if scores.len() != pairs.len() {
        return Err(Refusal::Count { sent: pairs.len(), got: scores.len() });
    }
    for (row, score) in scores.into_iter().enumerate() {
        check_finite(row, &Prediction::score(score))?;
        writer.push_score(score).map_err(Refusal::TooLarge)?;
    }
    Ok(())
}

fn write_verbose(
    scorer: &dyn Scorer,
    pairs: &[Pair<'_>],
    dim: usize,
    writer: &mut ResponseWriter,
) -> Result<(), Refusal> {
    let block = (VERBOSE_BLOCK_FLOATS / (2 * dim.max(1))).max(1);
    for (first, rows) in (0..).step_by(block).zip(pairs.chunks(block)) {
        let predictions = scorer.verbose_predictions(rows).map_err(Refusal::Score)?;
        if predictions.len() != rows.len() {
            return Err(Refusal::Count { sent: rows.len(), got: predictions.len() });
        }
        for (row, p) in (first..).zip(&predictions) {
            check_finite(row, p)?;
            writer.push(p).map_err(Refusal::TooLarge)?;
        }
    }
    Ok(())
}
