//! Codecs of SageMaker's IP Insights inference protocol (CSV, JSON and JSON Lines requests; JSON and JSON Lines
//! responses, verbose or not), its limits, and the one scoring seam ([`Scorer`]), shared by server, client and
//! detector.
//!
//! Requests carry `(entity, ip)` pairs as `text/csv`, `application/json` or `application/jsonlines`;
//! responses carry one [`Prediction`] per pair as `application/json` or `application/jsonlines`,
//! optionally `verbose` (with the embeddings). No I/O, no async: bytes in, bytes out. Entities and addresses are
//! read by the engine's rules (see the `pair` module), so inference reads a row exactly as training did; with
//! [`Addresses::Ipv4Only`] ([`decode_request_of`]) an address written in IPv6 notation, IPv4-mapped included, is
//! refused by the same text rule training's reader applies.
//!
//! Scores are SageMaker's `dot_product`: higher means more normal.
//!
//! Modules depend one way: `error`, `media` and `pair` are leaves; `csv` and `json` read and write rows;
//! `writer` frames rows into a body; `request` and `split` build on it; `response` and `limits` size answers.

mod csv;
mod error;
mod json;
mod limits;
mod media;
mod pair;
mod request;
mod response;
mod scorer;
mod split;
mod writer;

pub use error::{Field, Location, RequestError, RequestErrorKind, ResponseError, SplitError};
pub use limits::{
    max_prediction_bytes, max_rows_per_response, min_prediction_bytes, response_framing_bytes, MAX_BODY_BYTES,
    MAX_RESPONSE_BYTES, MAX_VECTOR_DIM,
};
pub use media::{MediaTypeError, RequestFormat, ResponseFormat, ResponseKind};
pub use pair::{Addresses, Pair};
pub use request::{decode_request, decode_request_of, decode_request_owned, encode_request};
pub use response::{decode_response, encode_response, write_response, Prediction, ResponseTooLarge, ResponseWriter};
pub use scorer::{borrow_pairs, ScoreError, Scorer};
pub use split::{split_requests, split_requests_with, Chunk};
