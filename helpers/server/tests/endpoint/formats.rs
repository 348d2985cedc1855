//! Every request content type × response accept, checked against in-process scores.

use ipinsights_protocol::{decode_response, encode_request, RequestFormat, ResponseFormat, ResponseKind};

use crate::common::{expected, model, post, rows, start, NAME};

const CONTENT_TYPES: [(&str, RequestFormat); 5] = [
    ("text/csv", RequestFormat::Csv),
    ("text/csv; charset=utf-8", RequestFormat::Csv),
    ("application/json", RequestFormat::Json),
    ("application/jsonlines", RequestFormat::JsonLines),
    ("Application/JSONLines ; charset=UTF-8", RequestFormat::JsonLines),
];

/// (Accept header, what it means).
fn accepts() -> Vec<(Option<&'static str>, ResponseFormat)> {
    let (plain, verbose) = (ResponseFormat::plain, ResponseFormat::verbose);
    vec![
        (None, plain(ResponseKind::Json)),
        (Some("*/*"), plain(ResponseKind::Json)),
        (Some("application/json"), plain(ResponseKind::Json)),
        (Some("application/json; verbose=True"), verbose(ResponseKind::Json)),
        (Some("application/json;verbose=true"), verbose(ResponseKind::Json)),
        (Some("application/jsonlines"), plain(ResponseKind::JsonLines)),
        (Some("application/jsonlines; verbose=True"), verbose(ResponseKind::JsonLines)),
    ]
}

#[test]
fn every_content_type_and_accept_on_both_paths() {
    let server = start();
    let rows = rows(50, 1);
    let want = expected(&rows);
    let model = model();
    for path in ["/invocations".to_string(), format!("/endpoints/{NAME}/invocations")] {
        let url = format!("{}{path}", server.url());
        for (content_type, format) in CONTENT_TYPES {
            let body = encode_request(format, &rows);
            for (accept, meaning) in accepts() {
                let answer = post(&url, Some(content_type), accept, &body);
                let case = format!("{path} {content_type} -> {accept:?}");
                assert_eq!(answer.status, 200, "{case}: {}", String::from_utf8_lossy(&answer.body));
                assert_eq!(answer.content_type.as_deref(), Some(meaning.kind.content_type()), "{case}");
                let predictions = decode_response(meaning.kind, &answer.body).unwrap();
                let scores: Vec<f32> = predictions.iter().map(|p| p.dot_product).collect();
                assert_eq!(scores, want, "{case}");
                for (p, (entity, ip)) in predictions.iter().zip(&rows) {
                    if meaning.verbose {
                        assert_eq!(p.entity_embedding.as_deref(), Some(&model.entity_embedding(entity)[..]), "{case}");
                        assert_eq!(p.ip_embedding.as_deref(), Some(&model.ip_embedding(*ip)[..]), "{case}");
                    } else {
                        assert!(p.entity_embedding.is_none() && p.ip_embedding.is_none(), "{case}");
                    }
                }
            }
        }
    }
}

#[test]
fn sagemaker_documented_bodies_are_accepted() {
    let server = start();
    let url = format!("{}/invocations", server.url());
    let json = r#"{"instances": [{"data": {"features": {"values": ["user_1", "10.1.7.3"]}}}, {"features": ["user_2", "5.6.7.8"]}]}"#;
    let lines = "{\"data\": {\"features\": {\"values\": [\"user_1\", \"10.1.7.3\"]}}}\n{\"features\": [\"user_2\", \"5.6.7.8\"]}\n";
    let csv = "user_1, 10.1.7.3\r\nuser_2,5.6.7.8\r\n";
    let want = model().score_pairs(&[("user_1", "10.1.7.3".parse().unwrap()), ("user_2", "5.6.7.8".parse().unwrap())]);
    for (content_type, body) in [("application/json", json), ("application/jsonlines", lines), ("text/csv", csv)] {
        let answer = post(&url, Some(content_type), Some("application/json"), body.as_bytes());
        assert_eq!(answer.status, 200, "{content_type}");
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        let scores: Vec<f32> =
            json["predictions"].as_array().unwrap().iter().map(|p| p["dot_product"].as_f64().unwrap() as f32).collect();
        assert_eq!(scores, want, "{content_type}");
    }
}
