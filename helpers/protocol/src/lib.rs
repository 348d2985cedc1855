//! Codecs of SageMaker's IP Insights inference protocol (CSV, JSON and JSON Lines requests; JSON and JSON Lines
//! responses, verbose or not), shared by server and client.
//!
//! Requests carry `(entity, ip)` pairs as `text/csv`, `application/json` or `application/jsonlines`;
//! responses carry one [`Prediction`] per pair as `application/json` or `application/jsonlines`,
//! optionally `verbose` (with the embeddings). No I/O, no async: bytes in, bytes out.
//!
//! Scores are SageMaker's `dot_product`: higher means more normal.

mod csv;
mod error;
mod json;
mod media;
mod request;
mod response;
mod split;

pub use error::{Field, Location, RequestError, RequestErrorKind, ResponseError, SplitError};
pub use media::{MediaTypeError, RequestFormat, ResponseFormat, ResponseKind};
pub use request::{decode_request, decode_request_owned, encode_request, Pair};
pub use response::{decode_response, encode_response, write_response, Prediction};
pub use split::{split_requests, Chunk};

/// SageMaker's limit on an invocation body: 6 MiB (6,291,456 bytes); larger requests get 413.
pub const MAX_BODY_BYTES: usize = 6_291_456;

/// Most embedding values (rows × 2 × vector_dim) one verbose response may hold (413 above),
/// which bounds the server's memory; 2,048 rows fit for any `vector_dim` up to 4,096.
pub const MAX_VERBOSE_FLOATS: usize = 16 << 20;
