//! Every error status, with a JSON body naming the problem, and the server alive afterwards.

use std::sync::Arc;

use ipinsights_protocol::{Pair, ScoreError, MAX_BODY_BYTES};
use ipinsights_server::{spawn_endpoint, EndpointState, Scorer, ServerConfig};

use crate::common::{get, post, post_chunked, start, start_with, Answer, NAME};

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
    let body = b"user_1,10.0.0.1\nuser_2,::ffff:10.0.0.2\nuser_3,2600:1f18::7\n";
    assert_error(
        &post(&url, Some("text/csv"), None, body),
        400,
        "ValidationError",
        &["row 3", "user_3,2600:1f18::7", "IPv4 addresses only"],
    );
    let json = br#"{"instances": [{"features": ["a", "2001:db8::1"]}]}"#;
    assert_error(&post(&url, Some("application/json"), None, json), 400, "ValidationError", &["row 1", "2001:db8::1"]);
    // IPv4 (and IPv4-mapped) rows are scored as ever; the default endpoint scores IPv6 too.
    assert_eq!(post(&url, Some("text/csv"), None, b"user_1,10.0.0.1\nuser_2,::ffff:10.0.0.2\n").status, 200);
    let relaxed = start();
    assert_eq!(post(&format!("{}/invocations", relaxed.url()), Some("text/csv"), None, body).status, 200);
}
