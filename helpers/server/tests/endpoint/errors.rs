//! Every error status, with a JSON body naming the problem, and the server alive afterwards.

use std::sync::Arc;

use ipinsights_protocol::{Pair, Prediction, ScoreError, MAX_BODY_BYTES};
use ipinsights_server::{spawn_endpoint, EndpointState, Scorer, ServerConfig};

use crate::common::{get, model, post, post_chunked, start, start_with, Answer, Raw, NAME};

fn assert_error(answer: &Answer, status: u16, error_type: &str, needles: &[&str]) {
    assert_eq!(answer.status, status, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.error_type.as_deref(), Some(error_type));
    let message = answer.message();
    for needle in needles {
        assert!(message.contains(needle), "{message:?} should contain {needle:?}");
    }
}

#[test]
fn malformed_bodies_are_400_naming_row_and_field() {
    let server = start();
    let url = format!("{}/invocations", server.url());
    let csv = |body: &str| post(&url, Some("text/csv"), None, body.as_bytes());
    assert_error(
        &csv("user_1,10.0.0.1\nuser_2,10.0.0.2\nuser_3,10.0.0.300\n"),
        400,
        "ValidationError",
        &["row 3", "10.0.0.300", "field 2 (ip)"],
    );
    assert_error(
        &csv("user_1,10.0.0.1\nuser_2,10.0.0.2,extra\n"),
        400,
        "ValidationError",
        &["row 2", "expected 2 fields", "found 3"],
    );
    assert_error(&csv(""), 400, "ValidationError", &["no rows"]);
    let json = r#"{"instances": [{"features": ["a", "1.2.3.4"]}, {"features": ["b", "not-an-ip"]}]}"#;
    assert_error(
        &post(&url, Some("application/json"), None, json.as_bytes()),
        400,
        "ValidationError",
        &["instances[1]", "not-an-ip"],
    );
    assert_error(
        &post(&url, Some("application/json"), None, b"{\"instances\": [}"),
        400,
        "ValidationError",
        &["malformed JSON"],
    );
    let lines = "{\"features\": [\"a\", \"1.2.3.4\"]}\n{\"features\": [\"b\"]}\n";
    assert_error(
        &post(&url, Some("application/jsonlines"), None, lines.as_bytes()),
        400,
        "ValidationError",
        &["line 2", "found 1"],
    );
}

/// A CSV body of exactly `len` bytes of valid rows, 64 bytes each (so the answer to 6 MiB of them fits in 6 MiB).
fn csv_of_len(len: usize) -> Vec<u8> {
    let row = format!("user_1_{},10.1.7.1\n", "x".repeat(47));
    let row = row.as_bytes();
    assert_eq!(row.len(), 64);
    let mut body = b"user_1".to_vec();
    body.resize(54 + (len - 64) % 64, b'x');
    body.extend_from_slice(b",10.1.7.1\n");
    while body.len() < len {
        body.extend_from_slice(row);
    }
    assert_eq!(body.len(), len);
    body
}

#[test]
fn bodies_over_the_limit_are_413_by_length_and_by_stream() {
    let server = start();
    let url = format!("{}/invocations", server.url());
    let at_limit = csv_of_len(MAX_BODY_BYTES);
    assert_eq!(post(&url, Some("text/csv"), None, &at_limit).status, 200, "exactly the limit is accepted");
    let over = csv_of_len(MAX_BODY_BYTES + 1);
    assert_error(&post(&url, Some("text/csv"), None, &over), 413, "ValidationError", &["6291456 bytes"]);
    assert_error(&post_chunked(&url, "text/csv", over), 413, "ValidationError", &["6291456 bytes"]);
    assert_eq!(post_chunked(&url, "text/csv", at_limit).status, 200, "a chunked body at the limit is accepted");
}

#[test]
fn unsupported_media_types_are_415_and_406() {
    let server = start();
    let url = format!("{}/invocations", server.url());
    let body = b"user_1,10.1.7.1\n";
    assert_error(&post(&url, Some("text/plain"), None, body), 415, "ValidationError", &["text/plain"]);
    assert_error(&post(&url, None, None, body), 415, "ValidationError", &["missing Content-Type"]);
    assert_error(
        &post(&url, Some("text/csv"), Some("text/csv"), body),
        406,
        "ValidationError",
        &["unsupported accept"],
    );
    assert_error(
        &post(&url, Some("text/csv"), Some("application/json; verbose=maybe"), body),
        406,
        "ValidationError",
        &["maybe"],
    );
    // A bare `verbose` is refused, not read as non-verbose.
    assert_error(
        &post(&url, Some("text/csv"), Some("application/json;verbose"), body),
        406,
        "ValidationError",
        &["verbose parameter has no value", "verbose=True or verbose=False"],
    );
}

/// Sends `head` (request line and headers, without the blank line) with a one-row CSV body; the status and message.
fn raw_invocation(server: &ipinsights_server::EndpointHandle, head: &[u8]) -> (u16, String) {
    let body = b"user_1,10.1.7.1\n";
    let mut conn = Raw::connect(server.addr());
    assert!(conn.send(head));
    assert!(conn.send(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()));
    assert!(conn.send(body));
    let (status, _, answer) = conn.read_response(std::time::Duration::from_secs(30));
    let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
    (status, json["message"].as_str().unwrap_or_default().to_string())
}

#[test]
fn format_headers_that_are_not_text_are_named_as_such() {
    let server = start();
    let start = b"POST /invocations HTTP/1.1\r\nHost: t\r\n".to_vec();
    let with = |header: &[u8]| [&start[..], header].concat();
    let (status, message) = raw_invocation(&server, &with(b"Content-Type: text/csv\xff\r\n"));
    assert_eq!(status, 415, "{message}");
    assert!(message.contains("the Content-Type header is not valid text"), "{message}");
    assert!(!message.contains("missing"), "{message}");
    let (status, message) =
        raw_invocation(&server, &with(b"Content-Type: text/csv\r\nAccept: application/json\xe9\r\n"));
    assert_eq!(status, 406, "{message}");
    assert!(message.contains("the Accept header is not valid text"), "{message}");
    assert_eq!(raw_invocation(&server, &with(b"Content-Type: text/csv\r\n")).0, 200);
}

#[test]
fn duplicate_top_level_keys_are_refused_like_duplicate_features() {
    let server = start();
    let url = format!("{}/invocations", server.url());
    let one = r#"{"features": ["user_1", "10.1.7.1"]}"#;
    let twice = format!(r#"{{"instances": [{one}], "instances": [{one}, {one}]}}"#);
    let answer = post(&url, Some("application/json"), None, twice.as_bytes());
    assert_error(&answer, 400, "ValidationError", &["duplicate field `instances`"]);
    let features = r#"{"instances": [{"features": ["a", "1.2.3.4"], "features": ["b", "1.2.3.4"]}]}"#;
    let answer = post(&url, Some("application/json"), None, features.as_bytes());
    assert_error(&answer, 400, "ValidationError", &["instances[0]", "duplicate field `features`"]);
}

/// Scores 1.0, except the entity "nan" (NaN) and "inf" (+∞); verbose answers carry an infinite embedding value
/// for "inf".
struct Overflowing;

impl Scorer for Overflowing {
    fn describe(&self) -> String {
        "overflowing".into()
    }
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Ok(pairs
            .iter()
            .map(|(e, _)| match e.as_ref() {
                "nan" => f32::NAN,
                "inf" => f32::INFINITY,
                _ => 1.0,
            })
            .collect())
    }
    fn verbose_predictions(&self, pairs: &[Pair<'_>]) -> Result<Vec<Prediction>, ScoreError> {
        Ok(pairs
            .iter()
            .map(|(e, _)| {
                let x = if e == "inf" { f32::INFINITY } else { 0.5 };
                Prediction { dot_product: 1.0, entity_embedding: Some(vec![0.5, x]), ip_embedding: Some(vec![x, 0.5]) }
            })
            .collect())
    }
    fn vector_dim(&self) -> Option<usize> {
        Some(2)
    }
}

#[test]
fn a_non_finite_score_is_a_model_error_never_a_null() {
    let server = start_with(ServerConfig::localhost(0), Arc::new(Overflowing));
    let url = format!("{}/invocations", server.url());
    assert_eq!(post(&url, Some("text/csv"), None, b"a,1.2.3.4\n").status, 200);
    let nan = post(&url, Some("text/csv"), None, b"a,1.2.3.4\nnan,5.6.7.8\n");
    assert_error(&nan, 424, "ModelError", &["row 2 (nan,5.6.7.8)", "dot_product of NaN", "not a finite number"]);
    // Scored on a blocking thread (over 4 KiB): the same answer.
    let mut large = b"a,1.2.3.4\n".repeat(1000);
    large.extend(b"inf,5.6.7.8\n");
    assert_error(&post(&url, Some("text/csv"), None, &large), 424, "ModelError", &["row 1001", "dot_product of inf"]);
    let verbose = post(&url, Some("text/csv"), Some("application/json; verbose=True"), b"a,1.2.3.4\ninf,5.6.7.8\n");
    assert_error(&verbose, 424, "ModelError", &["row 2", "entity_embedding of inf"]);

    // A real model whose weights are finite but huge (±1e20): its scores overflow.
    let mut huge = (*model()).clone();
    for (i, w) in huge.entity.iter_mut().chain(huge.ip_table.iter_mut()).enumerate() {
        *w = if i % 2 == 0 { 1e20 } else { -1e20 };
    }
    let server = start_with(ServerConfig::localhost(0), Arc::new(huge));
    let url = format!("{}/invocations", server.url());
    let answer = post(&url, Some("text/csv"), None, b"user_1,10.1.7.1\n");
    assert_error(&answer, 424, "ModelError", &["row 1 (user_1,10.1.7.1)", "not a finite number"]);
}

#[test]
fn unknown_endpoints_and_routes_are_404() {
    let server = start();
    let answer = post(&format!("{}/endpoints/other/invocations", server.url()), Some("text/csv"), None, b"a,1.2.3.4");
    assert_error(&answer, 404, "ValidationError", &["Endpoint other not found", NAME]);
    assert_error(&get(&format!("{}/nope", server.url())), 404, "ValidationError", &["/nope"]);
}

/// Scores 1.0, but panics on the entity "boom".
struct Panicky;

impl Scorer for Panicky {
    fn describe(&self) -> String {
        "panicky".into()
    }
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        assert!(pairs.iter().all(|(e, _)| e != "boom"), "boom");
        Ok(vec![1.0; pairs.len()])
    }
}

#[test]
fn a_panicking_model_is_500_and_the_server_lives_on() {
    let server = spawn_endpoint(&ServerConfig::localhost(0), EndpointState::ready(NAME, Arc::new(Panicky))).unwrap();
    let url = format!("{}/invocations", server.url());
    let small = b"boom,1.2.3.4\n".to_vec();
    let mut large = b"boom,1.2.3.4\n".to_vec();
    large.extend(b"a,1.2.3.4\n".repeat(10_000));
    for body in [small, large] {
        assert_error(&post(&url, Some("text/csv"), None, &body), 500, "InternalFailure", &["scoring"]);
        assert_eq!(post(&url, Some("text/csv"), None, b"a,1.2.3.4\n").status, 200);
    }
}

#[test]
fn ping_is_503_until_the_model_is_loaded() {
    let state = EndpointState::loading(NAME);
    let server = spawn_endpoint(&ServerConfig::localhost(0), state.clone()).unwrap();
    assert_eq!(get(&format!("{}/ping", server.url())).status, 503);
    let answer = post(&format!("{}/invocations", server.url()), Some("text/csv"), None, b"a,1.2.3.4");
    assert_error(&answer, 503, "ServiceUnavailable", &["not loaded"]);
    assert!(state.set_scorer(crate::common::model()));
    assert_eq!(get(&format!("{}/ping", server.url())).status, 200);
    assert_eq!(post(&format!("{}/invocations", server.url()), Some("text/csv"), None, b"a,1.2.3.4").status, 200);
}

#[test]
fn an_ipv4_only_endpoint_refuses_ipv6_rows_like_sagemakers_container() {
    let strict = start_with(ServerConfig { ipv4_only: true, ..ServerConfig::localhost(0) }, crate::common::model());
    let url = format!("{}/invocations", strict.url());
    let body = b"user_1,10.0.0.1\nuser_3,2600:1f18::7\n";
    assert_error(
        &post(&url, Some("text/csv"), None, body),
        400,
        "ValidationError",
        &["row 2", "\"2600:1f18::7\" in field 2 (ip)", "IPv4 addresses only"],
    );
    let json = br#"{"instances": [{"features": ["a", "2001:db8::1"]}]}"#;
    let answer = post(&url, Some("application/json"), None, json);
    assert_error(&answer, 400, "ValidationError", &["instances[0]", "2001:db8::1"]);
    // An IPv4-mapped address is IPv6 notation, refused as training's reader refuses it (one text rule), in every
    // format.
    let mapped = b"user_1,10.0.0.1\nuser_2,::ffff:10.0.0.2\n";
    assert_error(
        &post(&url, Some("text/csv"), None, mapped),
        400,
        "ValidationError",
        &["row 2", "::ffff:10.0.0.2", "IPv4 addresses only"],
    );
    let lines = b"{\"features\": [\"user_2\", \"::ffff:10.0.0.2\"]}\n";
    let answer = post(&url, Some("application/jsonlines"), None, lines);
    assert_error(&answer, 400, "ValidationError", &["line 1", "::ffff:10.0.0.2"]);
    // IPv4 rows are scored as ever; the default endpoint scores IPv6 and mapped addresses too.
    assert_eq!(post(&url, Some("text/csv"), None, b"user_1,10.0.0.1\n").status, 200);
    let relaxed = start();
    assert_eq!(post(&format!("{}/invocations", relaxed.url()), Some("text/csv"), None, mapped).status, 200);
    assert_eq!(post(&format!("{}/invocations", relaxed.url()), Some("text/csv"), None, body).status, 200);
}
