//! The live detector in the emulated account: every piece deployed (read back through each service's API), deployed
//! again at once while Lambda is still applying the last change (as a rerun cell does), a failed redeploy naming
//! what it changed, the log group made with a retention, and everything torn down; the CloudFormation template
//! equivalent and lint-clean; and the Lambda handler, configured
//! from the deployed function's environment, scoring GuardDuty events through the emulated SageMaker Runtime (which
//! forwards to our real endpoint server, IPv4 only) and publishing alerts read back from an SQS queue subscribed to
//! the SNS topic, with throttling retried and reported.

use crate::emulator;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use emulator::{block_on, python, repo, venv_tool, Emulator, Options};
use ipinsights_account::deploy::{self, DetectorSpec};
use ipinsights_account::{deploy_detector, teardown_detector};
use ipinsights_detect::lambda::function::{handler, Context, Function, LambdaEvent};
use ipinsights_detect::lambda::{LambdaConfig, Payload};
use ipinsights_engine::tuples::Tuple;
use ipinsights_engine::{train, HyperParameters, TrainOptions};
use serde_json::{json, Value};

/// A zip holding an executable `bootstrap` (the real package is built by scripts/package-lambda).
fn package(dir: &Path) -> PathBuf {
    let zip = dir.join("ipinsights-detector.zip");
    let script = "import sys, zipfile\ni = zipfile.ZipInfo('bootstrap'); i.external_attr = 0o100755 << 16\n\
                  zipfile.ZipFile(sys.argv[1], 'w').writestr(i, '#!/bin/sh\\n')";
    let status = Command::new(python()).args(["-c", script]).arg(&zip).status().unwrap();
    assert!(status.success());
    zip
}

fn spec(zip: &Path) -> DetectorSpec {
    DetectorSpec { email: Some("soc@example.com".into()), ..DetectorSpec::new("ipinsights-ep", 0.0, zip) }
}

#[test]
fn deploy_creates_every_piece_and_teardown_removes_them() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&package(dir.path()));
    let mut lines = Vec::new();
    let deployed = deploy_detector(&emu.cfg(), &spec, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(lines.len(), 6, "{lines:?}");
    let sdk = emu.sdk();
    let (iam, lambda, events, sns) = (
        aws_sdk_iam::Client::new(&sdk),
        aws_sdk_lambda::Client::new(&sdk),
        aws_sdk_eventbridge::Client::new(&sdk),
        aws_sdk_sns::Client::new(&sdk),
    );
    block_on(async {
        let role = iam.get_role().role_name("ipinsights-detector").send().await.unwrap();
        assert_eq!(role.role().unwrap().arn(), deployed.role_arn);
        let policy = iam
            .get_role_policy()
            .role_name("ipinsights-detector")
            .policy_name(deploy::POLICY_NAME)
            .send()
            .await
            .unwrap();
        let document: Value = serde_json::from_str(&decode(policy.policy_document())).unwrap();
        let expected = deploy::role_policy(&deployed.topic_arn, "ipinsights-detector", "ipinsights-ep").unwrap();
        assert_eq!(document, expected);

        let function = lambda.get_function_configuration().function_name("ipinsights-detector").send().await.unwrap();
        assert_eq!(function.function_arn(), Some(deployed.function_arn.as_str()));
        assert_eq!(
            (function.runtime().map(|r| r.as_str()), function.handler()),
            (Some("provided.al2023"), Some("bootstrap"))
        );
        assert_eq!(function.role(), Some(deployed.role_arn.as_str()));
        let vars = function.environment().unwrap().variables().unwrap();
        assert_eq!(vars["THRESHOLD"], "0");
        assert_eq!(vars["ENDPOINT_NAME"], "ipinsights-ep");
        assert_eq!(vars["ALERT_TOPIC_ARN"], deployed.topic_arn);
        let retries =
            lambda.get_function_event_invoke_config().function_name("ipinsights-detector").send().await.unwrap();
        assert_eq!(retries.maximum_retry_attempts(), Some(deploy::MAX_RETRY_ATTEMPTS));
        let permission = lambda.get_policy().function_name("ipinsights-detector").send().await.unwrap();
        let permission = permission.policy().unwrap();
        assert!(permission.contains("events.amazonaws.com") && permission.contains(&deployed.rule_arn), "{permission}");

        let rule = events.describe_rule().name("ipinsights-detector").send().await.unwrap();
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        assert_eq!(pattern, deploy::event_pattern());
        let targets = events.list_targets_by_rule().rule("ipinsights-detector").send().await.unwrap();
        assert_eq!(targets.targets()[0].arn(), deployed.function_arn);

        let subs = sns.list_subscriptions_by_topic().topic_arn(&deployed.topic_arn).send().await.unwrap();
        let sub = &subs.subscriptions()[0];
        assert_eq!((sub.protocol(), sub.endpoint()), (Some("email"), Some("soc@example.com")));
    });

    // Deploying again updates in place.
    let again = deploy_detector(&emu.cfg(), &DetectorSpec { threshold: 1.5, email: None, ..spec.clone() }, &mut |_| {})
        .unwrap();
    assert_eq!((&again.function_arn, &again.topic_arn), (&deployed.function_arn, &deployed.topic_arn));
    let vars = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    assert_eq!(vars.environment().unwrap().variables().unwrap()["THRESHOLD"], "1.5");

    let gone = teardown_detector(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert!(gone.rule && gone.function && gone.role && gone.topic && gone.log_group, "{gone}");
    block_on(async {
        assert!(iam.get_role().role_name("ipinsights-detector").send().await.is_err());
        assert!(lambda.get_function().function_name("ipinsights-detector").send().await.is_err());
        assert!(events.describe_rule().name("ipinsights-detector").send().await.is_err());
        assert!(sns.list_topics().send().await.unwrap().topics().is_empty());
    });
    let again = teardown_detector(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert_eq!(
        again.to_string(),
        "EventBridge rule not found, Lambda function not found, IAM role not found, SNS topic not found, log group \
         not found"
    );
}

/// Lambda keeps a function `Pending` after CreateFunction and `LastUpdateStatus: InProgress` after each update, and
/// refuses another update meanwhile (409 ResourceConflictException): deploying twice in a row, as a rerun notebook
/// cell does, must wait for each change and leave the function with the new threshold.
#[test]
fn the_detector_redeploys_at_once_with_a_new_threshold() {
    let emu = Emulator::with(&Options { lambda_busy_seconds: Some(2.0), ..Options::default() });
    let dir = tempfile::tempdir().unwrap();
    let first = spec(&package(dir.path()));
    let deployed = deploy_detector(&emu.cfg(), &first, &mut |_| {}).unwrap();
    let second = DetectorSpec { threshold: 2.5, ..first.clone() };
    let mut lines = Vec::new();
    let again = deploy_detector(&emu.cfg(), &second, &mut |l| lines.push(l.to_string()))
        .unwrap_or_else(|e| panic!("the second deploy failed: {e}"));
    assert_eq!((&again.function_arn, &again.topic_arn), (&deployed.function_arn, &deployed.topic_arn));
    let lambda = aws_sdk_lambda::Client::new(&emu.sdk());
    let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    assert_eq!(conf.environment().unwrap().variables().unwrap()["THRESHOLD"], "2.5");
    // The deploy returns once its last change is applied, so the function is ready for the next one.
    assert_eq!(conf.last_update_status().map(|s| s.as_str()), Some("Successful"), "{lines:?}");
    assert_eq!(conf.state().map(|s| s.as_str()), Some("Active"));
    // And a third deploy straight after works too (nothing left in progress).
    let third = DetectorSpec { threshold: -1.0, ..first };
    deploy_detector(&emu.cfg(), &third, &mut |_| {}).unwrap_or_else(|e| panic!("the third deploy failed: {e}"));
    let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    assert_eq!(conf.environment().unwrap().variables().unwrap()["THRESHOLD"], "-1");
}

/// A step that fails part-way names the step and what it already changed, and leaves the rest as it was: here
/// Lambda takes longer to apply the new code than the deploy may wait, so the function keeps its previous
/// configuration (threshold) and the role its previous policy.
#[test]
fn a_failed_redeploy_names_its_step_and_what_it_changed() {
    let emu = Emulator::with(&Options { lambda_busy_seconds: Some(4.0), ..Options::default() });
    let dir = tempfile::tempdir().unwrap();
    let first = spec(&package(dir.path()));
    deploy_detector(&emu.cfg(), &first, &mut |_| {}).unwrap();
    let sdk = emu.sdk();
    let (iam, lambda) = (aws_sdk_iam::Client::new(&sdk), aws_sdk_lambda::Client::new(&sdk));
    let policy_before =
        block_on(iam.get_role_policy().role_name("ipinsights-detector").policy_name(deploy::POLICY_NAME).send())
            .unwrap()
            .policy_document()
            .to_string();

    let impatient = DetectorSpec {
        threshold: 2.5,
        endpoint_name: "another-ep".into(),
        update_wait: std::time::Duration::from_secs(1),
        ..first
    };
    let err = deploy_detector(&emu.cfg(), &impatient, &mut |_| {}).unwrap_err().to_string();
    assert!(err.starts_with("waiting for Lambda function ipinsights-detector to apply its new code: "), "{err}");
    assert!(err.contains("did not reach LastUpdateStatus Successful within 1 s"), "{err}");
    assert!(
        err.ends_with(
            "(already changed: new code for Lambda function ipinsights-detector, still with its previous configuration \
             (threshold 0, endpoint ipinsights-ep))"
        ),
        "{err}"
    );
    let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    let vars = conf.environment().unwrap().variables().unwrap();
    assert_eq!((vars["THRESHOLD"].as_str(), vars["ENDPOINT_NAME"].as_str()), ("0", "ipinsights-ep"));
    let policy_after =
        block_on(iam.get_role_policy().role_name("ipinsights-detector").policy_name(deploy::POLICY_NAME).send())
            .unwrap()
            .policy_document()
            .to_string();
    assert_eq!(policy_after, policy_before, "the running function keeps InvokeEndpoint on its endpoint");
}

/// The function's log group belongs to the detector: made by the deploy with a retention (Lambda would make one that
/// keeps logs forever) and deleted by the teardown.
#[test]
fn the_log_group_is_made_with_a_retention_and_removed_by_teardown() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    deploy_detector(&emu.cfg(), &spec(&package(dir.path())), &mut |_| {}).unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emu.sdk());
    let groups = || {
        let found = block_on(logs.describe_log_groups().log_group_name_prefix("/aws/lambda/").send()).unwrap();
        found
            .log_groups()
            .iter()
            .map(|g| (g.log_group_name().unwrap_or_default().to_string(), g.retention_in_days()))
            .collect::<Vec<_>>()
    };
    assert_eq!(groups(), [("/aws/lambda/ipinsights-detector".to_string(), Some(30))]);
    let gone = teardown_detector(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert!(gone.to_string().ends_with("log group deleted"), "{gone}");
    assert_eq!(groups(), []);
}

/// IAM returns policy documents URL-encoded (RFC 3986); plain JSON passes through.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn the_cloudformation_template_passes_cfn_lint_and_matches_the_deployment() {
    let template = repo().join("deploy/detector.yaml");
    let lint = Command::new(venv_tool("cfn-lint")).arg(&template).output().unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // The template, and which endpoint names its EndpointName pattern takes (CloudFormation matches the whole value).
    let script = "import json, re, sys\nfrom cfnlint.decode import decode\nt, errors = decode(sys.argv[1])\n\
                  assert not errors, errors\npattern = t['Parameters']['EndpointName']['AllowedPattern']\n\
                  names = {n: re.fullmatch(pattern, n) is not None for n in sys.argv[2:]}\n\
                  print(json.dumps({'template': t, 'names': names}, default=str))";
    let long = format!("e{}", "-p".repeat(31));
    let names =
        ["ipinsights-ep", "a", "ep--2", &long, "IPInsights-EP", "Ep", "-ep", "ep-", "e_p", "", &format!("{long}x")];
    let out = Command::new(python()).args(["-c", script]).arg(&template).args(names).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &decoded["template"];
    // Exactly SageMaker's endpoint names, in lower case (IAM compares ARNs case-sensitively).
    for name in names {
        let sagemaker = ipinsights_sagemaker::validate_resource_name("endpoint", name).is_ok();
        let expected = sagemaker && name == name.to_lowercase();
        let allowed = decoded["names"][name].as_bool().unwrap() && name.len() <= 63;
        assert_eq!(allowed, expected, "{name:?}");
    }
    assert!(t["Parameters"]["EndpointName"]["ConstraintDescription"].as_str().unwrap().contains("lower-case"));
    let r = &t["Resources"];
    // The log group is part of the stack, with a retention, and the function waits for it.
    let group = &r["FunctionLogGroup"];
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    assert_eq!(group["Properties"]["LogGroupName"], json!({"Fn::Sub": deploy::log_group_name("${DetectorName}")}));
    assert_eq!(group["Properties"]["RetentionInDays"], json!({"Ref": "LogRetentionInDays"}));
    let retention = &t["Parameters"]["LogRetentionInDays"];
    assert_eq!(retention["Default"], deploy::DEFAULT_LOG_RETENTION_DAYS);
    assert_eq!(retention["AllowedValues"], json!(deploy::LOG_RETENTION_DAYS));
    assert_eq!(r["Function"]["DependsOn"], "FunctionLogGroup");
    assert_eq!(r["FindingsRule"]["Properties"]["EventPattern"], deploy::event_pattern());
    let function = &r["Function"]["Properties"];
    assert_eq!(
        (function["Runtime"].as_str(), function["Handler"].as_str()),
        (Some(deploy::LAMBDA_RUNTIME), Some("bootstrap"))
    );
    let vars: Vec<&String> = function["Environment"]["Variables"].as_object().unwrap().keys().collect();
    assert_eq!(vars, ["ALERT_TOPIC_ARN", "ENDPOINT_NAME", "THRESHOLD"]);
    assert_eq!(r["FunctionRetries"]["Properties"]["MaximumRetryAttempts"], deploy::MAX_RETRY_ATTEMPTS);
    let policy = &r["FunctionRole"]["Properties"]["Policies"][0];
    assert_eq!(policy["PolicyName"], deploy::POLICY_NAME);
    let code = deploy::role_policy("arn:aws:sns:r:111122223333:t", "f", "e").unwrap();
    let actions = |doc: &Value| -> Vec<(Value, Value)> {
        doc["Statement"].as_array().unwrap().iter().map(|s| (s["Sid"].clone(), s["Action"].clone())).collect()
    };
    assert_eq!(actions(&policy["PolicyDocument"]), actions(&code));
    assert_eq!(r["FunctionRole"]["Properties"]["AssumeRolePolicyDocument"], deploy::assume_role_policy());
}

/// alice works from 10.1.2.0/24, bob from 172.16.5.0/24.
fn model_server() -> ipinsights_server::EndpointHandle {
    let tuples: Vec<Tuple> = (0..600u32)
        .flat_map(|i| {
            let host = (i * 37 % 250 + 1) as u8;
            [
                Tuple::new("AIDAALICE000000000001", IpAddr::V4(Ipv4Addr::new(10, 1, 2, host))),
                Tuple::new("AIDABOB00000000000002", IpAddr::V4(Ipv4Addr::new(172, 16, 5, host))),
            ]
        })
        .collect();
    let hp = HyperParameters::from_map([
        ("num_entity_vectors", "10"),
        ("vector_dim", "16"),
        ("epochs", "10"),
        ("mini_batch_size", "100"),
        ("learning_rate", "0.01"),
        ("random_negative_sampling_rate", "5"),
    ])
    .unwrap();
    let options = TrainOptions { seed: 3, threads: 1, ..Default::default() };
    let model = train(&hp, &tuples, None, &options, &mut |_| {}).unwrap().model;
    let state = ipinsights_server::EndpointState::ready("ipinsights-ep", Arc::new(model));
    ipinsights_server::spawn_endpoint(&ipinsights_server::ServerConfig::localhost(0), state).unwrap()
}

/// An EventBridge GuardDuty event: `principal` called from `addr`.
fn event(id: &str, principal: &str, addr: &str) -> Value {
    let remote = if addr.contains(':') { json!({"ipAddressV6": addr}) } else { json!({"ipAddressV4": addr}) };
    json!({
        "version": "0", "id": format!("evt-{id}"), "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
        "account": "123456789012", "time": "2024-03-05T14:12:04Z", "region": "us-east-1", "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "id": id,
            "type": "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "severity": 5,
            "updatedAt": "2024-03-05T14:07:02.413Z",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {"principalId": principal, "userName": "alice", "userType": "IAMUser"}},
            "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"api": "ConsoleLogin", "remoteIpDetails": remote}}}
        }
    })
}

fn invoke(
    runtime: &tokio::runtime::Runtime,
    function: &Arc<Function>,
    payload: &[u8],
) -> Result<ipinsights_detect::lambda::LambdaResponse, String> {
    let event = lambda_event(Payload::from_slice(payload));
    runtime.block_on(handler(function.clone(), event)).map_err(|e| e.to_string())
}

fn lambda_event(payload: Payload) -> LambdaEvent<Payload> {
    LambdaEvent::new(payload, Context::default())
}

#[test]
fn the_handler_scores_on_the_emulated_endpoint_and_alerts_once_per_finding_through_sns() {
    let server = model_server();
    let emu = Emulator::with(&Options {
        endpoints: vec![format!("ipinsights-ep={}", server.url())],
        throttle: vec!["sns:Publish=2", "sagemaker-runtime:InvokeEndpoint=3"],
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let deployed = deploy_detector(&emu.cfg(), &spec(&package(dir.path())), &mut |_| {}).unwrap();
    let sdk = emu.sdk();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let sns = aws_sdk_sns::Client::new(&sdk);
    let queue = block_on(async {
        let url = sqs.create_queue().queue_name("alerts").send().await.unwrap().queue_url().unwrap().to_string();
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let arn = attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
        sns.subscribe().topic_arn(&deployed.topic_arn).protocol("sqs").endpoint(arn).send().await.unwrap();
        url
    });

    // The handler runs with the environment the deployment gave the function.
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    let vars: HashMap<String, String> = conf.environment().unwrap().variables().unwrap().clone();
    let config = LambdaConfig::from_vars(|k| vars.get(k).cloned()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let function = Arc::new(runtime.block_on(async { Function::new(&config, &sdk) }).unwrap());
    assert_eq!(function.detector().scorer(), "SageMaker endpoint ipinsights-ep");

    let foreign = event("f-foreign", "AIDAALICE000000000001", "198.51.100.7");
    let alert = invoke(&runtime, &function, foreign.to_string().as_bytes()).unwrap();
    assert_eq!((alert.alerts, alert.published, alert.alert_messages), (1, 1, 1), "{alert:?}");
    let home =
        invoke(&runtime, &function, event("f-home", "AIDAALICE000000000001", "10.1.2.200").to_string().as_bytes())
            .unwrap();
    assert_eq!((home.alerts, home.passes, home.published), (0, 1, 0), "{home:?}");

    // Unscorable input is counted, never an error, and never reaches the endpoint (which refuses IPv6).
    let ipv6 =
        invoke(&runtime, &function, event("f-v6", "AIDAALICE000000000001", "2001:db8::7").to_string().as_bytes())
            .unwrap();
    assert_eq!(ipv6.skipped, [("IPv6 address: SageMaker's IP Insights scores IPv4 only".to_string(), 1)].into());
    let other = json!({"version": "0", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}});
    let other = invoke(&runtime, &function, other.to_string().as_bytes()).unwrap();
    assert_eq!(other.skipped, [("not a GuardDuty finding".to_string(), 1)].into());
    let truncated = foreign.to_string();
    let truncated = invoke(&runtime, &function, &truncated.as_bytes()[..truncated.len() / 2]).unwrap();
    let reason = truncated.skipped.keys().next().unwrap();
    assert!(reason.starts_with("invalid JSON: EOF while parsing"), "{reason}");
    let no_principal = invoke(&runtime, &function, event("f-anon", "", "198.51.100.7").to_string().as_bytes()).unwrap();
    assert_eq!(no_principal.skipped, [("no principal".to_string(), 1)].into());

    // The same finding twice in one batch (EventBridge may deliver twice): two alert records, one alert.
    let twice = json!([
        event("f-twice", "AIDABOB00000000000002", "203.0.113.9"),
        event("f-twice", "AIDABOB00000000000002", "203.0.113.9")
    ]);
    let twice = invoke(&runtime, &function, twice.to_string().as_bytes()).unwrap();
    assert_eq!((twice.alerts, twice.alert_messages, twice.published), (2, 1, 1), "{twice:?}");

    // Throttling was retried and reported.
    let refused = emu.stats()["refused"].clone();
    let reported: u64 = [&alert, &home, &ipv6, &other, &truncated, &no_principal, &twice]
        .iter()
        .flat_map(|r| r.failed_attempts.iter().filter(|(k, _)| k.contains("Throttl")).map(|(_, n)| *n))
        .sum();
    let injected = refused["sns:Publish"].as_u64().unwrap_or(0)
        + refused["sagemaker-runtime:InvokeEndpoint"].as_u64().unwrap_or(0);
    assert!(injected >= 2, "{refused}");
    assert_eq!(reported, injected, "{refused}");

    // The alerts, read back from the queue subscribed to the topic.
    let messages = block_on(async {
        let mut bodies = Vec::new();
        for _ in 0..5 {
            let got = sqs.receive_message().queue_url(&queue).max_number_of_messages(10).send().await.unwrap();
            bodies.extend(got.messages().iter().filter_map(|m| m.body()).map(String::from));
            if bodies.len() >= 2 {
                break;
            }
        }
        bodies
    });
    assert_eq!(messages.len(), 2, "{messages:?}");
    let envelopes: Vec<Value> = messages.iter().map(|m| serde_json::from_str(m).unwrap()).collect();
    let subjects: Vec<&str> = envelopes.iter().map(|e| e["Subject"].as_str().unwrap()).collect();
    assert!(
        subjects.contains(&"IP Insights: ConsoleLoginSuccess.B, AIDAALICE000000000001 from 198.51.100.7"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"IP Insights: ConsoleLoginSuccess.B, AIDABOB00000000000002 from 203.0.113.9"),
        "{subjects:?}"
    );
    let alice = envelopes.iter().find(|e| e["Subject"].as_str().unwrap().contains("ALICE")).unwrap();
    let message: Value = serde_json::from_str(alice["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["finding_id"], "f-foreign");
    assert_eq!(message["detections"][0]["verdict"], "alert");
    assert!(message["summary"].as_str().unwrap().contains("called from 198.51.100.7"), "{message}");

    server.shutdown().unwrap();
}

/// Benchmark (printed, not asserted): the warm handler, scoring through the emulated SageMaker Runtime (moto in
/// Python forwarding to our model server) without throttling.
#[test]
fn warm_handler_latency() {
    let server = model_server();
    let emu =
        Emulator::with(&Options { endpoints: vec![format!("ipinsights-ep={}", server.url())], ..Options::default() });
    let vars = HashMap::from([("THRESHOLD", "0"), ("ENDPOINT_NAME", "ipinsights-ep")]);
    let config = LambdaConfig::from_vars(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let function = Arc::new(runtime.block_on(async { Function::new(&config, &emu.sdk()) }).unwrap());
    invoke(&runtime, &function, event("warm-up", "AIDAALICE000000000001", "10.1.2.77").to_string().as_bytes()).unwrap();
    let rounds = 50;
    let start = Instant::now();
    for i in 0..rounds {
        let e = event(&format!("bench-{i}"), "AIDAALICE000000000001", "10.1.2.77");
        let r = invoke(&runtime, &function, e.to_string().as_bytes()).unwrap();
        assert_eq!(r.passes, 1);
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!(
        "BENCH lambda handler, warm, through emulated SageMaker Runtime: {per:.1} ms per finding ({rounds} findings)"
    );
    server.shutdown().unwrap();
}
