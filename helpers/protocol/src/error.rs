//! Typed errors of the codecs; every request error names where in the body it happened.

use std::fmt;

/// Where in a request body an error was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The body as a whole (empty, or not the expected top-level shape).
    Body,
    /// A CSV row, by the 1-based line number where it starts.
    Row(usize),
    /// An element of a JSON body's `instances` array, 0-based.
    Instance(usize),
    /// A JSON Lines line, 1-based.
    Line(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Body => f.write_str("request body"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Instance(i) => write!(f, "instances[{i}]"),
            Location::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// One of the two fields of a request row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The first field: the entity (principal, user, account...).
    Entity,
    /// The second field: the IP address.
    Ip,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Entity => "field 1 (entity)",
            Field::Ip => "field 2 (ip)",
        })
    }
}

/// What is wrong with a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestErrorKind {
    /// A row or instance does not have exactly two fields.
    #[error("expected 2 fields (entity, ip), found {0}")]
    FieldCount(usize),
    /// A field is empty.
    #[error("{0} is empty")]
    EmptyField(Field),
    /// A field is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(Field),
    /// The IP field does not parse as an IPv4 or IPv6 address.
    #[error("invalid IP address {value:?} in {field}")]
    InvalidIp {
        /// Which field held it (always [`Field::Ip`] today).
        field: Field,
        /// The text found, trimmed.
        value: String,
    },
    /// An address written in IPv6 notation (an IPv4-mapped one such as `::ffff:1.2.3.4` included) where only IPv4
    /// is read ([`crate::Addresses::Ipv4Only`], SageMaker's container).
    #[error("IPv6 address {value:?} in {field}: {}", ipinsights_sagemaker_facts::IPV4_ONLY)]
    Ipv6Refused {
        /// Which field held it (always [`Field::Ip`] today).
        field: Field,
        /// The text found, trimmed.
        value: String,
    },
    /// A CSV quoted field is not closed, or has text after its closing quote.
    #[error("malformed quoted field")]
    BadQuote,
    /// The JSON is malformed or not of the expected shape.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The body holds no rows.
    #[error("no rows")]
    Empty,
}

/// A request body that cannot be decoded, with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct RequestError {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub kind: RequestErrorKind,
}

impl RequestError {
    /// An error at `location`.
    pub fn new(location: Location, kind: RequestErrorKind) -> Self {
        Self { location, kind }
    }
}

/// A response body that cannot be decoded into predictions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The JSON body is malformed or lacks `predictions`.
    #[error("malformed JSON response: {0}")]
    Json(String),
    /// A JSON Lines line is malformed.
    #[error("malformed JSON Lines response, line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// serde_json's description.
        message: String,
    },
}

/// Rows that cannot be split into bodies under the size limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// One row alone encodes to more than the limit.
    #[error("row {row} alone encodes to {bytes} bytes, over the {limit}-byte body limit")]
    RowTooLarge {
        /// 0-based index of the row in the input.
        row: usize,
        /// Its encoded size, including the body's framing.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
}
