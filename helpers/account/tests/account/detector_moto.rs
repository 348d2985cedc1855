//! The live detector in the emulated account: every piece deployed (read back through each service's API), deployed
//! again at once while Lambda is still applying the last change (as a rerun cell does), a failed redeploy naming
//! what it changed, the log group made with a retention, and everything torn down; the CloudFormation template
//! equivalent and lint-clean; and the Lambda handler, configured
//! from the deployed function's environment, scoring GuardDuty events through the emulated SageMaker Runtime (which
//! forwards to our real endpoint server, IPv4 only) and publishing alerts read back from an SQS queue subscribed to
//! the SNS topic, with throttling retried and reported; a finding GuardDuty re-publishes alerting once, archived and
//! sample findings skipped and counted, and a failed publish retried alone.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use ipinsights_account::detector::{self, DetectorSpec};
use ipinsights_account::{read_findings, FindingQuery, FindingScope};
use ipinsights_detect::lambda::function::{handler, Context, Function, LambdaEvent};
use ipinsights_detect::lambda::{alert_state, LambdaConfig, LambdaResponse, Payload};
use ipinsights_engine::tuples::Tuple;
use ipinsights_engine::{train, HyperParameters, TrainOptions};
use ipinsights_sagemaker_facts::WORKSHOP_TAG_KEY;
use ipinsights_security_logs::{read_guardduty, FindingSkip, GuardDutyReader};
use ipinsights_test_support::account::{AccountEmulator, Options};
use ipinsights_test_support::{block_on, python, repo, venv_tool};
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

/// One detector deployed in an emulated account, once per test binary, for the tests that only read it back: the
/// emulator, what `detector::deploy` returned, and the lines it logged.
struct DeployedOnce {
    emu: AccountEmulator,
    deployed: ipinsights_account::Deployment,
    lines: Vec<String>,
    _dir: tempfile::TempDir,
}

fn deployed_once() -> &'static DeployedOnce {
    static DEPLOYED: std::sync::OnceLock<DeployedOnce> = std::sync::OnceLock::new();
    DEPLOYED.get_or_init(|| {
        let emu = AccountEmulator::start();
        let dir = tempfile::tempdir().unwrap();
        let spec = spec(&package(dir.path()));
        let mut lines = Vec::new();
        let deployed = detector::deploy(&emu.cfg(), &spec, &mut |l| lines.push(l.to_string())).unwrap();
        DeployedOnce { emu, deployed, lines, _dir: dir }
    })
}

/// Raw clients of the emulated account: IAM, Lambda, EventBridge, SNS, DynamoDB, SQS, CloudWatch, CloudWatch Logs.
struct Clients {
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    events: aws_sdk_eventbridge::Client,
    sns: aws_sdk_sns::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

fn clients(emu: &AccountEmulator) -> Clients {
    let sdk = emu.sdk();
    Clients {
        iam: aws_sdk_iam::Client::new(&sdk),
        lambda: aws_sdk_lambda::Client::new(&sdk),
        events: aws_sdk_eventbridge::Client::new(&sdk),
        sns: aws_sdk_sns::Client::new(&sdk),
        dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
        sqs: aws_sdk_sqs::Client::new(&sdk),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
        logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
    }
}

#[test]
fn deploy_creates_every_piece_as_the_spec_says() {
    let DeployedOnce { emu, deployed, lines, .. } = deployed_once();
    assert_eq!(lines.len(), 8, "{lines:?}");
    let Clients { iam, lambda, events, sns, dynamodb, cloudwatch, .. } = clients(emu);
    block_on(async {
        let role = iam.get_role().role_name("ipinsights-detector").send().await.unwrap();
        assert_eq!(role.role().unwrap().arn(), deployed.role_arn);
        let policy = iam
            .get_role_policy()
            .role_name("ipinsights-detector")
            .policy_name(detector::POLICY_NAME)
            .send()
            .await
            .unwrap();
        let document: Value = serde_json::from_str(&decode(policy.policy_document())).unwrap();
        let expected = detector::role_policy(&deployed.topic_arn, "ipinsights-detector", "ipinsights-ep").unwrap();
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
        assert_eq!((vars["INCLUDE_ARCHIVED"].as_str(), vars["INCLUDE_SAMPLES"].as_str()), ("false", "false"));
        let retries =
            lambda.get_function_event_invoke_config().function_name("ipinsights-detector").send().await.unwrap();
        assert_eq!(retries.maximum_retry_attempts(), Some(detector::MAX_RETRY_ATTEMPTS));
        let permission = lambda.get_policy().function_name("ipinsights-detector").send().await.unwrap();
        let permission = permission.policy().unwrap();
        assert!(permission.contains("events.amazonaws.com") && permission.contains(&deployed.rule_arn), "{permission}");

        let rule = events.describe_rule().name("ipinsights-detector").send().await.unwrap();
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        assert_eq!(pattern, detector::event_pattern());
        let targets = events.list_targets_by_rule().rule("ipinsights-detector").send().await.unwrap();
        assert_eq!(targets.targets()[0].arn(), deployed.function_arn);

        let subs = sns.list_subscriptions_by_topic().topic_arn(&deployed.topic_arn).send().await.unwrap();
        let sub = &subs.subscriptions()[0];
        assert_eq!((sub.protocol(), sub.endpoint()), (Some("email"), Some("soc@example.com")));

        // The alert state: a table keyed by finding id, TTL on, named in the function's environment.
        assert_eq!(vars["ALERT_TABLE"], deployed.alert_table);
        let table = dynamodb.describe_table().table_name(&deployed.alert_table).send().await.unwrap();
        let table = table.table().unwrap();
        assert_eq!(table.key_schema()[0].attribute_name(), alert_state::KEY);
        let ttl = dynamodb.describe_time_to_live().table_name(&deployed.alert_table).send().await.unwrap();
        let ttl = ttl.time_to_live_description().unwrap();
        assert_eq!(
            (ttl.attribute_name(), ttl.time_to_live_status().map(|s| s.as_str())),
            (Some(alert_state::EXPIRES), Some("ENABLED"))
        );
        // Failed events go to the queue after the retries; the alarm on errors notifies the topic.
        let destination = retries.destination_config().and_then(|d| d.on_failure()).and_then(|o| o.destination());
        assert_eq!(destination, Some(deployed.queue_arn.as_str()));
        assert!(deployed.queue_arn.ends_with(":ipinsights-detector-failed"), "{}", deployed.queue_arn);
        let alarms = cloudwatch.describe_alarms().alarm_names(&deployed.alarm).send().await.unwrap();
        let alarm = &alarms.metric_alarms()[0];
        assert_eq!((alarm.namespace(), alarm.metric_name()), (Some("AWS/Lambda"), Some("Errors")));
        assert_eq!(alarm.dimensions()[0].value(), Some("ipinsights-detector"));
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&deployed.topic_arn));
    });
}

#[test]
fn every_deployed_piece_carries_the_workshop_tag() {
    let DeployedOnce { emu, deployed, .. } = deployed_once();
    let Clients { iam, lambda, events, sns, dynamodb, sqs, cloudwatch, logs } = clients(emu);
    block_on(async {
        let table = dynamodb.describe_table().table_name(&deployed.alert_table).send().await.unwrap();
        let table = table.table().unwrap();
        let alarms = cloudwatch.describe_alarms().alarm_names(&deployed.alarm).send().await.unwrap();
        let alarm = &alarms.metric_alarms()[0];
        // Every piece carries the workshop tag, valued with the detector's name.
        let tag = (WORKSHOP_TAG_KEY.to_string(), "ipinsights-detector".to_string());
        let role_tags = iam.list_role_tags().role_name("ipinsights-detector").send().await.unwrap();
        assert!(role_tags.tags().iter().any(|t| (t.key(), t.value()) == (&tag.0[..], &tag.1[..])), "{role_tags:?}");
        let function_tags = lambda.list_tags().resource(&deployed.function_arn).send().await.unwrap();
        assert_eq!(function_tags.tags().unwrap().get(&tag.0), Some(&tag.1));
        let topic_tags = sns.list_tags_for_resource().resource_arn(&deployed.topic_arn).send().await.unwrap();
        assert!(topic_tags.tags().iter().any(|t| (t.key(), t.value()) == (&tag.0[..], &tag.1[..])));
        let rule_tags = events.list_tags_for_resource().resource_arn(&deployed.rule_arn).send().await.unwrap();
        assert!(rule_tags.tags().iter().any(|t| (t.key(), t.value()) == (&tag.0[..], &tag.1[..])));
        let table_tags =
            dynamodb.list_tags_of_resource().resource_arn(table.table_arn().unwrap()).send().await.unwrap();
        assert!(table_tags.tags().iter().any(|t| (t.key(), t.value()) == (&tag.0[..], &tag.1[..])));
        let queue_url = sqs.get_queue_url().queue_name("ipinsights-detector-failed").send().await.unwrap();
        let queue_tags = sqs.list_queue_tags().queue_url(queue_url.queue_url().unwrap()).send().await.unwrap();
        assert_eq!(queue_tags.tags().unwrap().get(&tag.0), Some(&tag.1));
        let alarm_tags =
            cloudwatch.list_tags_for_resource().resource_arn(alarm.alarm_arn().unwrap()).send().await.unwrap();
        assert!(alarm_tags.tags().iter().any(|t| (t.key(), t.value()) == (Some(&tag.0[..]), Some(&tag.1[..]))));
        let groups = logs.describe_log_groups().log_group_name_prefix("/aws/lambda/").send().await.unwrap();
        let group_arn = groups.log_groups()[0].log_group_arn().unwrap().to_string();
        let group_tags = logs.list_tags_for_resource().resource_arn(group_arn).send().await.unwrap();
        assert_eq!(group_tags.tags().unwrap().get(&tag.0), Some(&tag.1));
    });
}

#[test]
fn deploying_again_updates_in_place_and_teardown_removes_every_piece_once() {
    let emu = AccountEmulator::start();
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&package(dir.path()));
    let deployed = detector::deploy(&emu.cfg(), &spec, &mut |_| {}).unwrap();
    let Clients { iam, lambda, events, sns, dynamodb, sqs, cloudwatch, .. } = clients(&emu);

    // Deploying again updates in place.
    let again =
        detector::deploy(&emu.cfg(), &DetectorSpec { threshold: 1.5, email: None, ..spec.clone() }, &mut |_| {})
            .unwrap();
    assert_eq!((&again.function_arn, &again.topic_arn), (&deployed.function_arn, &deployed.topic_arn));
    let vars = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    assert_eq!(vars.environment().unwrap().variables().unwrap()["THRESHOLD"], "1.5");

    let gone = detector::teardown(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert!(gone.rule && gone.function && gone.role && gone.topic && gone.log_group, "{gone}");
    assert!(gone.table && gone.queue && gone.alarm, "{gone}");
    block_on(async {
        assert!(iam.get_role().role_name("ipinsights-detector").send().await.is_err());
        assert!(lambda.get_function().function_name("ipinsights-detector").send().await.is_err());
        assert!(events.describe_rule().name("ipinsights-detector").send().await.is_err());
        assert!(sns.list_topics().send().await.unwrap().topics().is_empty());
        assert!(dynamodb.list_tables().send().await.unwrap().table_names().is_empty());
        assert!(sqs.list_queues().send().await.unwrap().queue_urls().is_empty());
        assert!(cloudwatch.describe_alarms().send().await.unwrap().metric_alarms().is_empty());
    });
    let again = detector::teardown(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert_eq!(
        again.to_string(),
        "EventBridge rule not found, Lambda function not found, IAM role not found, SNS topic not found, log group \
         not found, alert-state table not found, failed-event queue not found, error alarm not found"
    );
}

/// Lambda keeps a function `Pending` after CreateFunction and `LastUpdateStatus: InProgress` after each update, and
/// refuses another update meanwhile (409 ResourceConflictException): deploying twice in a row, as a rerun notebook
/// cell does, must wait for each change and leave the function with the new threshold.
#[test]
fn the_detector_redeploys_at_once_with_a_new_threshold() {
    let emu = AccountEmulator::with(&Options { lambda_busy_seconds: Some(2.0), ..Options::default() });
    let dir = tempfile::tempdir().unwrap();
    let first = spec(&package(dir.path()));
    let deployed = detector::deploy(&emu.cfg(), &first, &mut |_| {}).unwrap();
    let second = DetectorSpec { threshold: 2.5, ..first.clone() };
    let mut lines = Vec::new();
    let again = detector::deploy(&emu.cfg(), &second, &mut |l| lines.push(l.to_string()))
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
    detector::deploy(&emu.cfg(), &third, &mut |_| {}).unwrap_or_else(|e| panic!("the third deploy failed: {e}"));
    let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
    assert_eq!(conf.environment().unwrap().variables().unwrap()["THRESHOLD"], "-1");
}

/// Lambda refuses an on-failure queue the function's role may not send to, and the policy allowing it was put a
/// moment before (IAM takes seconds to propagate): the first deploy waits it out instead of failing half-way.
#[test]
fn the_first_deploy_waits_for_the_role_to_reach_the_failure_queue() {
    let emu = AccountEmulator::with(&Options { iam_propagation_seconds: Some(3.0), ..Options::default() });
    let dir = tempfile::tempdir().unwrap();
    let deployed = detector::deploy(&emu.cfg(), &spec(&package(dir.path())), &mut |_| {})
        .unwrap_or_else(|e| panic!("the first deploy failed: {e}"));
    let lambda = aws_sdk_lambda::Client::new(&emu.sdk());
    let conf = block_on(lambda.get_function_event_invoke_config().function_name("ipinsights-detector").send()).unwrap();
    let destination = conf.destination_config().and_then(|d| d.on_failure()).and_then(|o| o.destination());
    assert_eq!(destination, Some(deployed.queue_arn.as_str()));
}

/// SQS refuses to re-create a queue's name for 60 seconds after its deletion, and DynamoDB keeps a deleted table
/// `DELETING` for a while: deploying again right after a teardown (a rerun notebook) waits both out instead of
/// failing, and ends with an active table.
#[test]
fn a_deploy_right_after_a_teardown_waits_for_the_queue_name_and_the_table() {
    let emu = AccountEmulator::with(&Options {
        queue_deleted_wait_seconds: Some(3.0),
        table_deleting_seconds: Some(10.0),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(&package(dir.path()));
    detector::deploy(&emu.cfg(), &spec, &mut |_| {}).unwrap();
    assert!(detector::teardown(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap().queue);
    let mut lines = Vec::new();
    let again = detector::deploy(&emu.cfg(), &spec, &mut |l| lines.push(l.to_string()))
        .unwrap_or_else(|e| panic!("the deploy after the teardown failed: {e}"));
    assert!(again.queue_arn.ends_with(":ipinsights-detector-failed"), "{again}");
    assert!(lines.iter().any(|l| l.contains("deleted recently")), "{lines:?}");
    let table =
        block_on(aws_sdk_dynamodb::Client::new(&emu.sdk()).describe_table().table_name("ipinsights-detector").send());
    let status = table.unwrap().table().and_then(|t| t.table_status().cloned());
    assert_eq!(status.as_ref().map(|s| s.as_str()), Some("ACTIVE"));
}

/// A step that fails part-way names the step and what it already changed, and leaves the rest as it was: here
/// Lambda takes longer to apply the new code than the deploy may wait, so the function keeps its previous
/// configuration (threshold) and the role its previous policy.
#[test]
fn a_failed_redeploy_names_its_step_and_what_it_changed() {
    let emu = AccountEmulator::with(&Options { lambda_busy_seconds: Some(4.0), ..Options::default() });
    let dir = tempfile::tempdir().unwrap();
    let first = spec(&package(dir.path()));
    detector::deploy(&emu.cfg(), &first, &mut |_| {}).unwrap();
    let sdk = emu.sdk();
    let (iam, lambda) = (aws_sdk_iam::Client::new(&sdk), aws_sdk_lambda::Client::new(&sdk));
    let policy_before =
        block_on(iam.get_role_policy().role_name("ipinsights-detector").policy_name(detector::POLICY_NAME).send())
            .unwrap()
            .policy_document()
            .to_string();

    let impatient = DetectorSpec {
        threshold: 2.5,
        endpoint_name: "another-ep".into(),
        update_wait: std::time::Duration::from_secs(1),
        ..first
    };
    let err = detector::deploy(&emu.cfg(), &impatient, &mut |_| {}).unwrap_err().to_string();
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
        block_on(iam.get_role_policy().role_name("ipinsights-detector").policy_name(detector::POLICY_NAME).send())
            .unwrap()
            .policy_document()
            .to_string();
    assert_eq!(policy_after, policy_before, "the running function keeps InvokeEndpoint on its endpoint");
}

/// The function's log group belongs to the detector: made by the deploy with a retention (Lambda would make one that
/// keeps logs forever) and deleted by the teardown.
#[test]
fn the_log_group_is_made_with_a_retention_and_removed_by_teardown() {
    let emu = AccountEmulator::start();
    let dir = tempfile::tempdir().unwrap();
    detector::deploy(&emu.cfg(), &spec(&package(dir.path())), &mut |_| {}).unwrap();
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
    let gone = detector::teardown(&emu.cfg(), "ipinsights-detector", &mut |_| {}).unwrap();
    assert!(gone.to_string().contains("log group deleted"), "{gone}");
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
        let sagemaker = ipinsights_sagemaker_facts::validate_resource_name("endpoint", name).is_ok();
        let expected = sagemaker && name == name.to_lowercase();
        let allowed = decoded["names"][name].as_bool().unwrap() && name.len() <= 63;
        assert_eq!(allowed, expected, "{name:?}");
    }
    assert!(t["Parameters"]["EndpointName"]["ConstraintDescription"].as_str().unwrap().contains("lower-case"));
    let r = &t["Resources"];
    // The log group is part of the stack, with a retention, and the function waits for it.
    let group = &r["FunctionLogGroup"];
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    assert_eq!(group["Properties"]["LogGroupName"], json!({"Fn::Sub": detector::log_group_name("${DetectorName}")}));
    assert_eq!(group["Properties"]["RetentionInDays"], json!({"Ref": "LogRetentionInDays"}));
    let retention = &t["Parameters"]["LogRetentionInDays"];
    assert_eq!(retention["Default"], detector::DEFAULT_LOG_RETENTION_DAYS);
    assert_eq!(retention["AllowedValues"], json!(detector::LOG_RETENTION_DAYS));
    assert_eq!(r["Function"]["DependsOn"], "FunctionLogGroup");
    assert_eq!(r["FindingsRule"]["Properties"]["EventPattern"], detector::event_pattern());
    let function = &r["Function"]["Properties"];
    assert_eq!(
        (function["Runtime"].as_str(), function["Handler"].as_str()),
        (Some(detector::LAMBDA_RUNTIME), Some("bootstrap"))
    );
    let vars: Vec<&String> = function["Environment"]["Variables"].as_object().unwrap().keys().collect();
    assert_eq!(
        vars,
        ["ALERT_TABLE", "ALERT_TOPIC_ARN", "ENDPOINT_NAME", "INCLUDE_ARCHIVED", "INCLUDE_SAMPLES", "THRESHOLD"]
    );
    for opt_in in ["IncludeArchived", "IncludeSamples"] {
        assert_eq!(t["Parameters"][opt_in]["Default"], "false", "{opt_in}: skipped unless asked for");
    }
    // The alert state, the failed events and the alarm, as the deploy makes them.
    let table = &r["AlertState"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], alert_state::KEY);
    assert_eq!(table["TimeToLiveSpecification"], json!({"AttributeName": alert_state::EXPIRES, "Enabled": true}));
    assert_eq!(
        r["FunctionRetries"]["Properties"]["DestinationConfig"]["OnFailure"]["Destination"],
        json!({"Fn::GetAtt": ["FailedEvents", "Arn"]})
    );
    assert_eq!(r["FailedEvents"]["Properties"]["QueueName"], json!({"Fn::Sub": "${DetectorName}-failed"}));
    let alarm = &r["ErrorAlarm"]["Properties"];
    assert_eq!((&alarm["Namespace"], &alarm["MetricName"]), (&json!("AWS/Lambda"), &json!("Errors")));
    assert_eq!(alarm["AlarmActions"], json!([{"Ref": "AlertTopic"}]));
    assert_eq!(alarm["AlarmName"], json!({"Fn::Sub": "${DetectorName}-errors"}));
    // Every resource that takes tags carries the workshop's, valued with the detector's name.
    for (name, resource) in r.as_object().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        if ["AWS::SNS::Subscription", "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Permission"].contains(&kind) {
            continue;
        }
        let tags = resource["Properties"]["Tags"].as_array().unwrap_or_else(|| panic!("{name} has no Tags"));
        assert!(tags.contains(&json!({"Key": WORKSHOP_TAG_KEY, "Value": {"Ref": "DetectorName"}})), "{name}: {tags:?}");
    }
    assert_eq!(r["FunctionRetries"]["Properties"]["MaximumRetryAttempts"], detector::MAX_RETRY_ATTEMPTS);
    let policy = &r["FunctionRole"]["Properties"]["Policies"][0];
    assert_eq!(policy["PolicyName"], detector::POLICY_NAME);
    let code = detector::role_policy("arn:aws:sns:r:111122223333:t", "f", "e").unwrap();
    let actions = |doc: &Value| -> Vec<(Value, Value)> {
        doc["Statement"].as_array().unwrap().iter().map(|s| (s["Sid"].clone(), s["Action"].clone())).collect()
    };
    assert_eq!(actions(&policy["PolicyDocument"]), actions(&code));
    assert_eq!(r["FunctionRole"]["Properties"]["AssumeRolePolicyDocument"], detector::assume_role_policy());
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
    let emu = AccountEmulator::with(&Options {
        endpoints: vec![format!("ipinsights-ep={}", server.url())],
        throttle: vec!["sns:Publish=2", "sagemaker-runtime:InvokeEndpoint=3"],
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let deployed = detector::deploy(&emu.cfg(), &spec(&package(dir.path())), &mut |_| {}).unwrap();
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

    // The same finding twice in one batch (EventBridge may deliver twice): two alert records, one alert.
    let twice = json!([
        event("f-twice", "AIDABOB00000000000002", "203.0.113.9"),
        event("f-twice", "AIDABOB00000000000002", "203.0.113.9")
    ]);
    let twice = invoke(&runtime, &function, twice.to_string().as_bytes()).unwrap();
    assert_eq!((twice.alerts, twice.alert_messages, twice.published), (2, 1, 1), "{twice:?}");

    // Throttling was retried and reported.
    let refused = emu.stats()["refused"].clone();
    let reported: u64 = [&alert, &home, &twice]
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

/// Unscorable input is counted, never an error, and never reaches the endpoint (which refuses IPv6). (Split from the
/// test above, whose throttling count it never added to: none of it calls SNS or the endpoint.)
#[test]
fn the_handler_counts_unscorable_input_without_an_error_or_a_call() {
    let live = Live::start(&[], vec![], FindingScope::default());
    let (runtime, function) = (&live.runtime, &live.function);
    let foreign = event("f-foreign", "AIDAALICE000000000001", "198.51.100.7");
    let ipv6 = invoke(runtime, function, event("f-v6", "AIDAALICE000000000001", "2001:db8::7").to_string().as_bytes())
        .unwrap();
    assert_eq!(ipv6.skipped, [("IPv6 address: SageMaker's IP Insights scores IPv4 only".to_string(), 1)].into());
    let other = json!({"version": "0", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}});
    let other = invoke(runtime, function, other.to_string().as_bytes()).unwrap();
    assert_eq!(other.skipped, [("not a GuardDuty finding".to_string(), 1)].into());
    let truncated = foreign.to_string();
    let truncated = invoke(runtime, function, &truncated.as_bytes()[..truncated.len() / 2]).unwrap();
    let reason = truncated.skipped.keys().next().unwrap();
    assert!(reason.starts_with("invalid JSON: EOF while parsing"), "{reason}");
    let no_principal = invoke(runtime, function, event("f-anon", "", "198.51.100.7").to_string().as_bytes()).unwrap();
    assert_eq!(no_principal.skipped, [("no principal".to_string(), 1)].into());
}

/// Benchmark (printed, not asserted): the warm handler, scoring through the emulated SageMaker Runtime (moto in
/// Python forwarding to our model server) without throttling.
#[test]
fn warm_handler_latency() {
    let server = model_server();
    let emu = AccountEmulator::with(&Options {
        endpoints: vec![format!("ipinsights-ep={}", server.url())],
        ..Options::default()
    });
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

    // A finding GuardDuty keeps re-publishing: scored, then its alert-state write refused (a duplicate, not sent).
    let sdk = emu.sdk();
    let topic = block_on(aws_sdk_sns::Client::new(&sdk).create_topic().name("bench").send()).unwrap();
    block_on(async {
        use aws_sdk_dynamodb::types::{AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType};
        let key =
            AttributeDefinition::builder().attribute_name(alert_state::KEY).attribute_type(ScalarAttributeType::S);
        let schema = KeySchemaElement::builder().attribute_name(alert_state::KEY).key_type(KeyType::Hash);
        aws_sdk_dynamodb::Client::new(&sdk)
            .create_table()
            .table_name("bench")
            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
            .attribute_definitions(key.build().unwrap())
            .key_schema(schema.build().unwrap())
            .send()
            .await
            .unwrap();
    });
    let vars = HashMap::from([
        ("THRESHOLD", "0".to_string()),
        ("ENDPOINT_NAME", "ipinsights-ep".to_string()),
        ("ALERT_TOPIC_ARN", topic.topic_arn().unwrap().to_string()),
        ("ALERT_TABLE", "bench".to_string()),
    ]);
    let config = LambdaConfig::from_vars(|k| vars.get(k).cloned()).unwrap();
    let function = Arc::new(runtime.block_on(async { Function::new(&config, &sdk) }).unwrap());
    let persistent = event("bench-persistent", "AIDAALICE000000000001", "198.51.100.7").to_string();
    assert_eq!(invoke(&runtime, &function, persistent.as_bytes()).unwrap().published, 1);
    let start = Instant::now();
    for _ in 0..rounds {
        assert_eq!(invoke(&runtime, &function, persistent.as_bytes()).unwrap().duplicates, 1);
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!("BENCH lambda handler, warm, a re-published finding (scored, DynamoDB write refused): {per:.1} ms");
    server.shutdown().unwrap();
}

/// The detector deployed in an emulated account (scoring archived and sample findings as `scope` says), its handler
/// built from the deployed function's environment, and a queue subscribed to its alert topic.
struct Live {
    server: Option<ipinsights_server::EndpointHandle>,
    emu: AccountEmulator,
    runtime: tokio::runtime::Runtime,
    function: Arc<Function>,
    sqs: aws_sdk_sqs::Client,
    queue: String,
    _dir: tempfile::TempDir,
}

impl Live {
    fn start(findings: &[Value], outage: Vec<&str>, scope: FindingScope) -> Live {
        let server = model_server();
        let dir = tempfile::tempdir().unwrap();
        let seeded = dir.path().join("findings.ndjson");
        let lines: Vec<String> = findings.iter().map(Value::to_string).collect();
        std::fs::write(&seeded, lines.join("\n")).unwrap();
        let emu = AccountEmulator::with(&Options {
            endpoints: vec![format!("ipinsights-ep={}", server.url())],
            findings: Some(&seeded),
            outage,
            ..Options::default()
        });
        let spec = DetectorSpec { scope, ..spec(&package(dir.path())) };
        let deployed = detector::deploy(&emu.cfg(), &spec, &mut |_| {}).unwrap();
        let sdk = emu.sdk();
        let (sqs, sns) = (aws_sdk_sqs::Client::new(&sdk), aws_sdk_sns::Client::new(&sdk));
        let queue = block_on(async {
            let url = sqs.create_queue().queue_name("alerts").send().await.unwrap().queue_url().unwrap().to_string();
            let arn = "arn:aws:sqs:us-east-1:123456789012:alerts";
            sns.subscribe().topic_arn(&deployed.topic_arn).protocol("sqs").endpoint(arn).send().await.unwrap();
            url
        });
        let lambda = aws_sdk_lambda::Client::new(&sdk);
        let conf = block_on(lambda.get_function_configuration().function_name("ipinsights-detector").send()).unwrap();
        let vars: HashMap<String, String> = conf.environment().unwrap().variables().unwrap().clone();
        let config = LambdaConfig::from_vars(|k| vars.get(k).cloned()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let function = Arc::new(runtime.block_on(async { Function::new(&config, &sdk) }).unwrap());
        Live { server: Some(server), emu, runtime, function, sqs, queue, _dir: dir }
    }

    fn invoke(&self, payload: &Value) -> Result<LambdaResponse, String> {
        invoke(&self.runtime, &self.function, payload.to_string().as_bytes())
    }

    /// The events GuardDuty published for finding `id`, oldest first.
    fn events_of(&self, id: &str) -> Vec<Value> {
        self.emu.guardduty_events().into_iter().filter(|e| e["detail"]["id"] == id).collect()
    }

    /// The finding ids of every alert that reached the topic's subscriber so far.
    fn alerted(&self) -> Vec<String> {
        block_on(async {
            let mut ids = Vec::new();
            loop {
                let got = self.sqs.receive_message().queue_url(&self.queue).max_number_of_messages(10).send().await;
                let got = got.unwrap();
                if got.messages().is_empty() {
                    break;
                }
                for m in got.messages() {
                    let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                    let alert: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
                    ids.push(alert["finding_id"].as_str().unwrap().to_string());
                    let handle = m.receipt_handle().unwrap();
                    self.sqs.delete_message().queue_url(&self.queue).receipt_handle(handle).send().await.unwrap();
                }
            }
            ids.sort();
            ids
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().unwrap();
        }
    }
}

/// GuardDuty re-publishes a finding whose activity goes on (same id, `service.count` + 1, newer `updatedAt`): the
/// detector alerts the first delivery and counts the other four as duplicates.
#[test]
fn a_finding_republished_five_times_alerts_once() {
    let persistent = event("f-persistent", "AIDAALICE000000000001", "198.51.100.7");
    let live = Live::start(&[persistent["detail"].clone()], vec![], FindingScope::default());
    live.emu.recur("f-persistent", 5);
    let events = live.events_of("f-persistent");
    let counts: Vec<&Value> = events.iter().map(|e| &e["detail"]["service"]["count"]).collect();
    assert_eq!(counts, [2, 3, 4, 5, 6], "five re-publications of one finding");
    let answers: Vec<LambdaResponse> = events.iter().map(|e| live.invoke(e).unwrap()).collect();
    let summary: Vec<(usize, usize, usize)> = answers.iter().map(|a| (a.alerts, a.published, a.duplicates)).collect();
    assert_eq!(summary, [(1, 1, 0), (1, 0, 1), (1, 0, 1), (1, 0, 1), (1, 0, 1)]);
    assert_eq!(live.alerted(), ["f-persistent"], "one alert, however often GuardDuty re-publishes");
    // Another finding still alerts.
    let other = live.invoke(&event("f-other", "AIDAALICE000000000001", "198.51.100.9")).unwrap();
    assert_eq!((other.published, other.duplicates), (1, 0));
    assert_eq!(live.alerted(), ["f-other"]);
}

/// Archived and sample findings are skipped and counted by the function and by both readers (the API's and the
/// file's), unless asked for.
#[test]
fn archived_and_sample_findings_are_skipped_and_counted() {
    let real = event("f-real", "AIDAALICE000000000001", "198.51.100.7");
    let live = Live::start(&[real["detail"].clone()], vec![], FindingScope::default());
    let gd = aws_sdk_guardduty::Client::new(&live.emu.sdk());
    block_on(async {
        let types = ["UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "Recon:IAMUser/MaliciousIPCaller"];
        let detector = &live.emu.detector_id;
        gd.create_sample_findings()
            .detector_id(detector)
            .set_finding_types(Some(types.map(String::from).to_vec()))
            .send()
            .await
            .unwrap();
        gd.archive_findings().detector_id(detector).finding_ids("f-real").send().await.unwrap();
    });
    live.emu.recur("f-real", 1);
    let events = live.emu.guardduty_events();
    assert_eq!(events.len(), 3, "two new samples and the archived finding's update");
    let mut skipped = HashMap::new();
    for e in &events {
        let answer = live.invoke(e).unwrap();
        assert_eq!((answer.alerts, answer.passes, answer.published), (0, 0, 0), "{answer:?}");
        for (reason, n) in answer.skipped {
            *skipped.entry(reason).or_insert(0) += n;
        }
    }
    assert_eq!(skipped, HashMap::from([("archived".to_string(), 1), ("sample".to_string(), 2)]));
    assert_eq!(live.alerted(), Vec::<String>::new());

    // The same findings from GuardDuty's API, and from a file of the events: skipped and counted the same way.
    let read = read_findings(&live.emu.cfg(), &FindingQuery::default()).unwrap();
    let (archived, sample) = (FindingSkip::Archived, FindingSkip::Sample);
    assert_eq!(
        (read.extract.findings, read.extract.skipped.get(archived), read.extract.skipped.get(sample)),
        (3, 1, 2)
    );
    assert!(read.to_string().contains("skipped 3 findings: 2 sample, 1 archived"), "{read}");
    assert!(read.extract.tuples.is_empty());
    let file = live._dir.path().join("events.ndjson");
    std::fs::write(&file, events.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")).unwrap();
    let from_file = read_guardduty(&file).unwrap();
    assert_eq!((from_file.skipped.get(archived), from_file.skipped.get(sample)), (1, 2));

    // Opted in, they are scored.
    let everything = FindingScope { include_archived: true, include_samples: true };
    let read = read_findings(&live.emu.cfg(), &FindingQuery { scope: everything, ..FindingQuery::default() }).unwrap();
    assert_eq!((read.extract.skipped.total(), read.extract.tuples.len()), (0, 3));
    let mut reader = GuardDutyReader::new().with_scope(everything);
    reader.add_path(&file).unwrap();
    assert_eq!(reader.finish().tuple_count(), 3);
    drop(live);
    let live = Live::start(&[], vec![], everything);
    for e in &events {
        let answer = live.invoke(e).unwrap();
        assert_eq!(answer.alerts + answer.passes, 1, "{answer:?}");
    }
}

/// One alert of an invocation cannot be published (SNS fails it through every retry): the invocation fails, so
/// Lambda retries it, and the retry sends that alert only; the other one went out the first time.
#[test]
fn a_failed_publish_is_retried_alone() {
    // The 2nd Publish and its 4 retries (5 attempts per call) answer 500 InternalError.
    let live = Live::start(&[], vec!["sns:Publish=2:5"], FindingScope::default());
    let batch = json!([
        event("f-first", "AIDAALICE000000000001", "198.51.100.7"),
        event("f-second", "AIDABOB00000000000002", "203.0.113.9")
    ]);
    let err = live.invoke(&batch).unwrap_err();
    assert!(err.contains("1 of 2") || err.contains("InternalError"), "{err}");
    assert_eq!(live.emu.stats()["failed"]["sns:Publish"], 5);
    assert_eq!(live.alerted(), ["f-first"]);
    let retry = live.invoke(&batch).unwrap();
    assert_eq!((retry.alerts, retry.published, retry.duplicates), (2, 1, 1), "{retry:?}");
    assert_eq!(live.alerted(), ["f-second"], "the retry re-sends only what failed");
    let again = live.invoke(&batch).unwrap();
    assert_eq!((again.published, again.duplicates), (0, 2));
    assert_eq!(live.alerted(), Vec::<String>::new());
}

/// DynamoDB refuses the alert-state write through every retry: the alert still goes out (at least once, never
/// lost), counted as unrecorded; the next write works again and the following delivery is a duplicate.
#[test]
fn an_alert_whose_state_cannot_be_written_still_goes_out() {
    let live = Live::start(&[], vec!["dynamodb:PutItem=1:5"], FindingScope::default());
    let finding = event("f-unrecorded", "AIDAALICE000000000001", "198.51.100.7");
    let first = live.invoke(&finding).unwrap();
    assert_eq!((first.published, first.unrecorded, first.duplicates), (1, 1, 0), "{first:?}");
    assert_eq!(live.emu.stats()["failed"]["dynamodb:PutItem"], 5);
    assert_eq!(live.alerted(), ["f-unrecorded"]);
    // Nothing was recorded, so the next delivery alerts (and is recorded); the one after is a duplicate.
    let second = live.invoke(&finding).unwrap();
    assert_eq!((second.published, second.unrecorded, second.duplicates), (1, 0, 0), "{second:?}");
    let third = live.invoke(&finding).unwrap();
    assert_eq!((third.published, third.duplicates), (0, 1), "{third:?}");
    assert_eq!(live.alerted(), ["f-unrecorded"]);
}
