//! The Lambda function on a sample EventBridge event: configuration from variables, a real model in
//! process and behind the real endpoint server, and (feature `lambda`) the async handler itself.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipinsights_detect::lambda::{handle_event, LambdaConfig, Payload};
use ipinsights_detect::{Detector, Verdict};
use ipinsights_engine::tuples::{write_tuples, Tuple};
use ipinsights_engine::{train, HyperParameters, Model, TrainOptions};
use serde_json::Value;

/// alice works from 10.1.2.0/24, bob from 172.16.5.0/24.
fn training_tuples() -> Vec<Tuple> {
    (0..600u32)
        .flat_map(|i| {
            let host = (i * 37 % 250 + 1) as u8;
            [
                Tuple::new("AIDAALICE000000000001", IpAddr::V4(Ipv4Addr::new(10, 1, 2, host))),
                Tuple::new("AIDABOB00000000000002", IpAddr::V4(Ipv4Addr::new(172, 16, 5, host))),
            ]
        })
        .collect()
}

/// A trained model and the training tuples, saved under `dir`.
fn model_dir(dir: &Path) -> (PathBuf, PathBuf) {
    let hp = HyperParameters::from_map([
        ("num_entity_vectors", "10"),
        ("vector_dim", "16"),
        ("epochs", "10"),
        ("mini_batch_size", "100"),
        ("learning_rate", "0.01"),
        ("random_negative_sampling_rate", "5"),
    ])
    .unwrap();
    let tuples = training_tuples();
    let options = TrainOptions { seed: 3, threads: 1, ..Default::default() };
    let model = train(&hp, &tuples, None, &options, &mut |_| {}).unwrap().model;
    let model_dir = dir.join("model");
    model.save_dir(&model_dir).unwrap();
    let training = dir.join("train.csv");
    write_tuples(&training, &tuples).unwrap();
    (model_dir, training)
}

fn sample_event() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guardduty_event.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The sample event with the remote address replaced.
fn event_from(addr: &str) -> Value {
    let mut event = sample_event();
    event["detail"]["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV4"] = addr.into();
    event
}

fn config(vars: &[(&str, String)]) -> LambdaConfig {
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    LambdaConfig::from_vars(|k| map.get(k).cloned()).unwrap()
}

#[test]
fn sample_event_alerts_from_a_foreign_network_and_passes_from_home() {
    let dir = tempfile::tempdir().unwrap();
    let (model, training) = model_dir(dir.path());
    let detector = config(&[
        ("THRESHOLD", "0".into()),
        ("MODEL_DIR", model.display().to_string()),
        ("TRAINING_TUPLES", training.display().to_string()),
    ])
    .detector()
    .unwrap();

    let response = handle_event(&detector, Payload::Event(sample_event())).unwrap();
    assert_eq!(response.alerts, 1, "{response:?}");
    let r = &response.records[0];
    assert_eq!(r.verdict, Verdict::Alert);
    assert_eq!(r.finding_id.as_deref(), Some("42c6a1f3f2a9b5e8d7c6b5a4f3e2d1c0"));
    assert_eq!(r.finding_type.as_deref(), Some("UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"));
    let e = r.explanation.as_ref().unwrap();
    assert_eq!(e.remote.asn_org.as_deref(), Some("EXAMPLE-TRANSIT-AS"));
    assert!(e.summary.contains("usual networks: 10.1.2.0/24 (100%)"), "{}", e.summary);

    let home = handle_event(&detector, Payload::Event(event_from("10.1.2.200"))).unwrap();
    assert_eq!((home.alerts, home.records[0].verdict), (0, Verdict::Pass), "{home:?}");
    // bob's network is foreign to alice.
    let other = handle_event(&detector, Payload::Event(event_from("172.16.5.9"))).unwrap();
    assert_eq!(other.alerts, 1, "{other:?}");
}

#[test]
fn endpoint_scores_match_the_model_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let (model_path, _) = model_dir(dir.path());
    let model = Model::load_dir(&model_path).unwrap();
    let state = ipinsights_server::EndpointState::ready("ep", Arc::new(model.clone()));
    let server = ipinsights_server::spawn_endpoint(&ipinsights_server::ServerConfig::localhost(0), state).unwrap();

    // Through the runtime API path, as ENDPOINT_URL + ENDPOINT_NAME configure it.
    let remote = config(&[("THRESHOLD", "0".into()), ("ENDPOINT_URL", server.url()), ("ENDPOINT_NAME", "ep".into())])
        .detector()
        .unwrap();
    assert_eq!(remote.scorer(), format!("endpoint {}/endpoints/ep/invocations", server.url()));
    let local = Detector::new(model, 0.0).unwrap();
    for addr in ["198.51.100.7", "10.1.2.200", "172.16.5.9"] {
        let a = handle_event(&remote, Payload::Event(event_from(addr))).unwrap().records;
        let b = handle_event(&local, Payload::Event(event_from(addr))).unwrap().records;
        assert_eq!(a, b, "{addr}");
    }
    server.shutdown().unwrap();

    // A dead endpoint is an error (EventBridge retries), never a pass.
    let err = handle_event(&remote, Payload::Event(sample_event())).unwrap_err().to_string();
    assert!(err.starts_with("scoring with endpoint http://127.0.0.1:"), "{err}");
}

#[test]
fn bad_payloads_are_counted_skips_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = model_dir(dir.path());
    let detector = config(&[("THRESHOLD", "0".into()), ("MODEL_DIR", model.display().to_string())]).detector().unwrap();
    let text = sample_event().to_string();
    let truncated = handle_event(&detector, Payload::from_slice(&text.as_bytes()[..text.len() - 40])).unwrap();
    assert_eq!((truncated.alerts, truncated.records.len()), (0, 1));
    assert!(truncated.skipped.keys().next().unwrap().starts_with("invalid JSON: EOF while parsing"), "{truncated:?}");
    let mut no_key = sample_event();
    no_key["detail"]["resource"] = serde_json::json!({"resourceType": "Instance"});
    let skipped = handle_event(&detector, Payload::Event(no_key)).unwrap();
    assert_eq!((skipped.findings, skipped.skipped["no access key details"]), (1, 1));
    // Both addresses of one finding alert: two records, one alert message.
    let twice = Payload::Event(serde_json::json!([sample_event(), sample_event()]));
    let twice = handle_event(&detector, twice).unwrap();
    assert_eq!((twice.alerts, twice.alert_messages, twice.findings), (2, 1, 1));
}

#[test]
fn the_lambda_scores_people_apart_and_service_role_sessions_as_their_role() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = model_dir(dir.path());
    let detector = config(&[("THRESHOLD", "0".into()), ("MODEL_DIR", model.display().to_string())]).detector().unwrap();
    let event_of = |user_type: &str, principal_id: &str, user_name: &str, v4: &str, v6: Option<&str>| {
        let mut event = event_from(v4);
        event["detail"]["resource"]["accessKeyDetails"] =
            serde_json::json!({"principalId": principal_id, "userType": user_type, "userName": user_name});
        if let Some(v6) = v6 {
            event["detail"]["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV6"] = v6.into();
        }
        Payload::Event(event)
    };
    let principal = |payload| handle_event(&detector, payload).unwrap().records[0].principal.clone().unwrap();
    let sso = "AWSReservedSSO_ReadOnly_0123456789abcdef";
    assert_eq!(
        principal(event_of("AssumedRole", "AROASSO:alice@example.com", sso, "10.1.2.3", None)),
        "AROASSO:alice@example.com"
    );
    assert_eq!(principal(event_of("FederatedUser", "123456789012:bob", "bob", "10.1.2.3", None)), "123456789012:bob");
    assert_eq!(principal(event_of("Root", "123456789012", "Root", "10.1.2.3", None)), "123456789012");
    assert_eq!(principal(event_of("AssumedRole", "AROAAPP:i-0abc", "app", "10.1.2.3", None)), "AROAAPP");
    // An empty IPv4 address does not hide the IPv6 one.
    let v6 = handle_event(&detector, event_of("IAMUser", "AIDAALICE000000000001", "alice", "", Some("2001:db8::7")));
    assert_eq!(v6.unwrap().records[0].ip, Some("2001:db8::7".parse().unwrap()));
}

#[cfg(feature = "lambda")]
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_async_handler_answers_an_eventbridge_invocation() {
    use ipinsights_detect::lambda::function::{handler, Context, Function, LambdaEvent};
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = model_dir(dir.path());
    let config = config(&[("THRESHOLD", "0".into()), ("MODEL_DIR", model.display().to_string())]);
    let function = Function::new(&config, &aws_config::SdkConfig::builder().build()).unwrap();
    let event = LambdaEvent::new(Payload::Event(sample_event()), Context::default());
    let response = handler(Arc::new(function), event).await.unwrap();
    assert_eq!((response.alerts, response.published), (1, 0));
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["records"][0]["verdict"], "alert");
    assert_eq!(json["records"][0]["explanation"]["familiarity"], Value::Null);
}
