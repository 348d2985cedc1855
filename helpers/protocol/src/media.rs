//! `Content-Type` and `Accept` parsing, lenient about case, spaces and parameters.

/// The body format of a request (its `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestFormat {
    /// `text/csv`: rows `entity,ip`, no header.
    Csv,
    /// `application/json`: `{"instances": [...]}`.
    Json,
    /// `application/jsonlines`: one instance object per line.
    JsonLines,
}

/// The body format of a response, without the verbose flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseKind {
    /// `application/json`: `{"predictions": [...]}`.
    Json,
    /// `application/jsonlines`: one prediction object per line.
    JsonLines,
}

/// The response format a client asked for (its `Accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseFormat {
    /// JSON or JSON Lines.
    pub kind: ResponseKind,
    /// Whether each prediction carries `entity_embedding` and `ip_embedding`.
    pub verbose: bool,
}

/// A `Content-Type` or `Accept` value the protocol does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    /// The request content type is none of CSV, JSON, JSON Lines.
    #[error("unsupported content type {0:?}: use text/csv, application/json or application/jsonlines")]
    UnsupportedContentType(String),
    /// No media range of `Accept` is JSON or JSON Lines.
    #[error("unsupported accept {0:?}: use application/json or application/jsonlines (optionally \"; verbose=True\")")]
    UnsupportedAccept(String),
    /// The `verbose` parameter is neither true nor false.
    #[error("invalid verbose parameter {0:?}: use verbose=True or verbose=False")]
    BadVerbose(String),
    /// The `verbose` parameter is given without a value (`application/json;verbose`): refused rather than guessed.
    #[error("the verbose parameter has no value: use verbose=True or verbose=False")]
    VerboseWithoutValue,
}

const JSONLINES: [&str; 3] = ["application/jsonlines", "application/x-jsonlines", "application/jsonl"];

impl RequestFormat {
    /// The canonical `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            RequestFormat::Csv => "text/csv",
            RequestFormat::Json => "application/json",
            RequestFormat::JsonLines => "application/jsonlines",
        }
    }

    /// Parses a `Content-Type` value; parameters such as `charset` are ignored.
    pub fn from_content_type(value: &str) -> Result<Self, MediaTypeError> {
        let (essence, _) = split_media_type(value);
        match essence.to_ascii_lowercase().as_str() {
            "text/csv" => Ok(RequestFormat::Csv),
            "application/json" => Ok(RequestFormat::Json),
            e if JSONLINES.contains(&e) => Ok(RequestFormat::JsonLines),
            _ => Err(MediaTypeError::UnsupportedContentType(value.to_string())),
        }
    }
}

impl ResponseKind {
    /// The `Content-Type` of a response of this kind.
    pub fn content_type(self) -> &'static str {
        match self {
            ResponseKind::Json => "application/json",
            ResponseKind::JsonLines => "application/jsonlines",
        }
    }
}

impl Default for ResponseFormat {
    /// Non-verbose JSON, what SageMaker answers when `Accept` is missing.
    fn default() -> Self {
        Self { kind: ResponseKind::Json, verbose: false }
    }
}

impl ResponseFormat {
    /// A format of `kind` carrying the scores only.
    pub fn plain(kind: ResponseKind) -> Self {
        Self { kind, verbose: false }
    }

    /// A format of `kind` carrying the embeddings with the scores (`verbose=True`).
    pub fn verbose(kind: ResponseKind) -> Self {
        Self { kind, verbose: true }
    }

    /// The `Accept` value asking for this format, e.g. `application/json; verbose=True`.
    pub fn accept(self) -> String {
        let base = self.kind.content_type();
        if self.verbose {
            format!("{base}; verbose=True")
        } else {
            base.to_string()
        }
    }

    /// Parses an `Accept` value: the first supported media range wins (highest `q` first);
    /// missing, empty, `*/*` and `application/*` mean JSON.
    pub fn from_accept(value: Option<&str>) -> Result<Self, MediaTypeError> {
        let value = match value.map(str::trim) {
            None | Some("") => return Ok(Self::default()),
            Some(v) => v,
        };
        let mut ranges: Vec<(f32, &str)> =
            value.split(',').map(|range| (quality(range), range)).filter(|(q, _)| *q > 0.0).collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0)); // stable: ties keep their order
        for (_, range) in ranges {
            let (essence, params) = split_media_type(range);
            let kind = match essence.to_ascii_lowercase().as_str() {
                "application/json" | "*/*" | "application/*" => ResponseKind::Json,
                e if JSONLINES.contains(&e) => ResponseKind::JsonLines,
                _ => continue,
            };
            return Ok(Self { kind, verbose: verbose(params)? });
        }
        Err(MediaTypeError::UnsupportedAccept(value.to_string()))
    }
}

/// Splits `type/subtype; k=v; ...` into the trimmed essence and its parameters (`None`: a name without `=`).
fn split_media_type(value: &str) -> (&str, impl Iterator<Item = (&str, Option<&str>)>) {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    let params = parts.filter(|p| !p.trim().is_empty()).map(|p| match p.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim().trim_matches('"'))),
        None => (p.trim(), None),
    });
    (essence, params)
}

/// The `q` parameter of a media range (1.0 when absent or unreadable).
fn quality(range: &str) -> f32 {
    let (_, mut params) = split_media_type(range);
    params.find(|(k, _)| k.eq_ignore_ascii_case("q")).and_then(|(_, v)| v?.parse().ok()).unwrap_or(1.0)
}

/// The `verbose` parameter: `True`/`true`/`1` or `False`/`false`/`0`, absent = false; a bare `verbose` (no value)
/// is refused, since neither reading is safe to guess.
fn verbose<'a>(mut params: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Result<bool, MediaTypeError> {
    match params.find(|(k, _)| k.eq_ignore_ascii_case("verbose")) {
        None => Ok(false),
        Some((_, None)) => Err(MediaTypeError::VerboseWithoutValue),
        Some((_, Some(v))) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
        Some((_, Some(v))) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
        Some((_, Some(v))) => Err(MediaTypeError::BadVerbose(v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_lenient() {
        use RequestFormat::*;
        for (v, f) in [
            ("text/csv", Csv),
            ("TEXT/CSV; charset=utf-8", Csv),
            (" application/json ", Json),
            ("application/jsonlines;charset=UTF-8", JsonLines),
            ("application/x-jsonlines", JsonLines),
        ] {
            assert_eq!(RequestFormat::from_content_type(v), Ok(f), "{v}");
        }
        assert!(RequestFormat::from_content_type("text/plain").is_err());
        assert!(RequestFormat::from_content_type("").is_err());
    }

    #[test]
    fn accept_values() {
        use ResponseKind::*;
        let f = |v| ResponseFormat::from_accept(v);
        assert_eq!(f(None), Ok(ResponseFormat::plain(Json)));
        assert_eq!(f(Some("*/*")), Ok(ResponseFormat::plain(Json)));
        assert_eq!(f(Some("application/json; verbose=True")), Ok(ResponseFormat::verbose(Json)));
        assert_eq!(f(Some("application/json;verbose=true")), Ok(ResponseFormat::verbose(Json)));
        assert_eq!(f(Some("Application/JSON ; VERBOSE = \"True\"")), Ok(ResponseFormat::verbose(Json)));
        assert_eq!(f(Some("application/jsonlines; verbose=False")), Ok(ResponseFormat::plain(JsonLines)));
        assert_eq!(f(Some("text/html, application/jsonlines")), Ok(ResponseFormat::plain(JsonLines)));
        assert_eq!(f(Some("application/json;q=0.5, application/jsonlines")), Ok(ResponseFormat::plain(JsonLines)));
        assert!(matches!(f(Some("text/csv")), Err(MediaTypeError::UnsupportedAccept(_))));
        assert!(matches!(f(Some("application/json; verbose=maybe")), Err(MediaTypeError::BadVerbose(_))));
        assert!(matches!(f(Some("application/json; verbose=")), Err(MediaTypeError::BadVerbose(_))));
        assert_eq!(f(Some("application/json;")), Ok(ResponseFormat::plain(Json)), "an empty parameter");
        assert_eq!(ResponseFormat::verbose(Json).accept(), "application/json; verbose=True");
    }

    #[test]
    fn a_verbose_parameter_without_value_is_refused() {
        for accept in ["application/json;verbose", "application/jsonlines; VERBOSE ", "*/*;q=1;verbose"] {
            let e = ResponseFormat::from_accept(Some(accept));
            assert_eq!(e, Err(MediaTypeError::VerboseWithoutValue), "{accept}");
        }
        let message = MediaTypeError::VerboseWithoutValue.to_string();
        assert!(message.contains("verbose=True or verbose=False"), "{message}");
    }
}
