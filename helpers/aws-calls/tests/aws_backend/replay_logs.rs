//! Log streaming and role discovery against a scripted server, for what moto cannot do: a job still running
//! (log group missing at first, then events read forward with their tokens), failed calls with their code,
//! message and request id, STS answers from other partitions, IAM refusing GetRole, and SageMaker Studio's roles
//! (DescribeUserProfile, DescribeDomain), which moto does not serve.

use ipinsights_test_support::replay as replay_server;

use std::time::Duration;

use ipinsights_aws_calls::*;
use replay_server::{described, Canned, Replay, JOB, T0};
use serde_json::json;

const STARTING: (&str, &str, i64) = ("Starting", "Starting the training job", 0);
const DOWNLOADING: (&str, &str, i64) = ("Downloading", "Downloading input data", 60);
const TRAINING: (&str, &str, i64) = ("Training", "Training image download completed. Training in progress.", 90);
const UPLOADING: (&str, &str, i64) = ("Uploading", "Uploading generated training model", 150);
const COMPLETED: (&str, &str, i64) = ("Completed", "Training job completed", 161);

/// A GetLogEvents answer: events at T0 + seconds, and the forward token.
fn events(events: &[(i64, &str)], token: &str) -> Canned {
    let events: Vec<_> = events
        .iter()
        .map(|(dt, m)| json!({ "timestamp": (T0 + dt) * 1000, "message": m, "ingestionTime": (T0 + dt) * 1000 }))
        .collect();
    Canned::json(200, json!({ "events": events, "nextForwardToken": token, "nextBackwardToken": "b/0" }))
}

fn not_found() -> Canned {
    Canned::aws_error("ResourceNotFoundException", "The specified log group does not exist.", "req-rnf")
}

#[test]
fn a_running_job_prints_its_status_and_log_lines_as_they_come() {
    let done = json!({ "TrainingTimeInSeconds": 71, "BillableTimeInSeconds": 71 });
    let stream = format!("{JOB}/algo-1-1576539600");
    let replay = Replay::start(vec![
        described("InProgress", &[STARTING], json!({})),
        not_found(),
        described("InProgress", &[STARTING], json!({})),
        not_found(),
        described("InProgress", &[STARTING, DOWNLOADING, TRAINING], json!({})),
        Canned::json(200, json!({ "logStreams": [{ "logStreamName": stream }] })),
        events(&[(95, "e1"), (96, "e2")], "f/1"),
        events(&[], "f/1"),
        described("InProgress", &[STARTING, DOWNLOADING, TRAINING], json!({})),
        events(&[(100, "e3")], "f/2"),
        events(&[], "f/2"),
        described("Completed", &[STARTING, DOWNLOADING, TRAINING, UPLOADING, COMPLETED], done),
        events(&[(140, "e4")], "f/3"),
        events(&[], "f/3"),
    ]);
    let mut out = String::new();
    let job = wait_for_training_job_with_logs(&replay.cfg(), JOB, Duration::from_millis(1), &mut |s| out.push_str(s))
        .unwrap();
    assert_eq!(job.status, TrainingJobStatus::Completed);
    assert_eq!(
        out,
        "2019-12-16 23:39:04 Starting - Starting the training job.\n\
         2019-12-16 23:40:34 Downloading - Downloading input data\n\
         2019-12-16 23:40:34 Training - Training image download completed. Training in progress.\n\
         e1\ne2\ne3\ne4\n\
         2019-12-16 23:41:45 Uploading - Uploading generated training model\n\
         2019-12-16 23:41:45 Completed - Training job completed\n\
         Training seconds: 71\n\
         Billable seconds: 71\n"
    );
    let requests = replay.requests();
    assert_eq!(requests.len(), 14, "every scripted answer used, no more");
    let target = |i: usize| requests[i].header("x-amz-target").unwrap_or_default().to_string();
    assert_eq!(
        (target(1), target(6)),
        ("Logs_20140328.DescribeLogStreams".into(), "Logs_20140328.GetLogEvents".into())
    );
    let listing = json!({
        "logGroupName": "/aws/sagemaker/TrainingJobs",
        "logStreamNamePrefix": format!("{JOB}/"),
        "orderBy": "LogStreamName",
        "limit": 1,
    });
    assert_eq!(requests[5].json(), listing);
    let read = |token: Option<&str>| {
        let mut body = json!({ "logGroupName": TRAINING_LOG_GROUP, "logStreamName": stream, "startFromHead": true });
        if let Some(token) = token {
            body["nextToken"] = json!(token);
        }
        body
    };
    assert_eq!(requests[6].json(), read(None));
    assert_eq!(requests[7].json(), read(Some("f/1")));
    assert_eq!(requests[9].json(), read(Some("f/1")));
    assert_eq!(requests[12].json(), read(Some("f/2")));
    assert_eq!(requests[13].json(), read(Some("f/3")));
}

#[test]
fn log_errors_other_than_not_found_surface_with_code_message_and_request_id() {
    let denied = "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to perform: logs:GetLogEvents";
    let stream = format!("{JOB}/algo-1-1576539600");
    let replay = Replay::start(vec![
        described("InProgress", &[STARTING], json!({})),
        Canned::json(200, json!({ "logStreams": [{ "logStreamName": stream }] })),
        Canned::aws_error("AccessDeniedException", denied, "req-denied"),
    ]);
    let err = wait_for_training_job_with_logs(&replay.cfg(), JOB, Duration::ZERO, &mut |_| {}).unwrap_err();
    assert_eq!(err.service_code(), Some("AccessDeniedException"));
    assert!(!err.is_credentials_error(), "a missing permission is not an expired credential");
    assert_eq!(
        err.to_string(),
        format!(
            "lost track of training job {JOB} while waiting for it: GetLogEvents failed: AccessDeniedException: \
             {denied} (HTTP 400, request id req-denied). The training job itself keeps running on SageMaker: resume \
             waiting with `Estimator::attach`: `estimator.attach(\"{JOB}\")?` in a new cell"
        )
    );
}

#[test]
fn a_failed_job_without_a_log_is_the_failure_reason() {
    let reason = "AlgorithmError: num_entity_vectors must be positive";
    let replay = Replay::start(vec![
        described("Failed", &[("Failed", "Training job failed", 5)], json!({ "FailureReason": reason })),
        not_found(),
    ]);
    let mut out = String::new();
    let err =
        wait_for_training_job_with_logs(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap_err();
    assert_eq!(err.to_string(), format!("Error for Training job {JOB}: Failed. Reason: {reason}"));
    assert_eq!(out, "2019-12-16 23:39:09 Failed - Training job failed\n");
}

/// An error of a query-protocol service (STS, IAM).
fn sts_error(code: &str, message: &str) -> Canned {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-sts</RequestId></ErrorResponse>"
    );
    Canned::new(403, &body).header("content-type", "text/xml")
}

fn caller(arn: &str) -> Canned {
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
         <Arn>{arn}</Arn><UserId>AROAEXAMPLE:SageMaker</UserId><Account>123456789012</Account>\
         </GetCallerIdentityResult><ResponseMetadata><RequestId>req-id</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    );
    Canned::new(200, &body).header("content-type", "text/xml")
}

#[test]
fn role_discovery_maps_other_partitions_and_explains_sts_failures() {
    no_role_in_the_environment();
    let gov = "arn:aws-us-gov:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-1/SageMaker";
    let replay = Replay::start(vec![
        caller(gov),
        sts_error("AccessDenied", "User is not authorized to perform: iam:GetRole"),
        sts_error("ExpiredToken", "The security token included in the request is expired"),
    ]);
    // IAM refuses GetRole: the SDK's guess from the name, with the console's path, and a note saying so.
    let cfg = AwsConfig { notebook_metadata_file: Some("/nonexistent/metadata.json".into()), ..replay.cfg() };
    let mut notes = Vec::new();
    let role = find_execution_role(&cfg, &mut |n| notes.push(n.to_string()));
    let role = role.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(role.arn, "arn:aws-us-gov:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1");
    assert_eq!(role.source, RoleSource::CallerRoleGuessed);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("Couldn't call GetRole to get the ARN of role AmazonSageMaker-ExecutionRole-1"));
    let sent = replay.requests();
    assert!(String::from_utf8_lossy(&sent[0].body).contains("Action=GetCallerIdentity"), "{sent:?}");
    let get_role = String::from_utf8_lossy(&sent[1].body).to_string();
    assert!(get_role.contains("Action=GetRole") && get_role.contains("RoleName=AmazonSageMaker-ExecutionRole-1"));

    let err = caller_role_arn(&replay.cfg()).unwrap_err();
    assert!(matches!(err, AwsError::RoleDiscovery { .. }), "{err:?}");
    assert_eq!(err.service_code(), Some("ExpiredToken"));
    let shown = err.to_string();
    assert!(
        shown.contains(
            "GetCallerIdentity failed: ExpiredToken: The security token included in the request is expired \
             (HTTP 403, request id req-403)"
        ),
        "{shown}"
    );
    assert!(shown.contains("set SAGEMAKER_ROLE_ARN"), "{shown}");
}

/// Role discovery reads the environment first: these tests need it unset (scripts/run-tests unsets it).
fn no_role_in_the_environment() {
    for name in ROLE_ENV_VARS {
        assert!(std::env::var_os(name).is_none(), "unset {name} to run this test: it checks role discovery");
    }
}

/// A notebook metadata file with these fields.
fn metadata(fields: serde_json::Value) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resource-metadata.json");
    std::fs::write(&path, fields.to_string()).unwrap();
    (dir, path)
}

#[test]
fn studio_roles_come_from_the_user_profile_else_the_domain() {
    no_role_in_the_environment();
    let profile_role = "arn:aws:iam::123456789012:role/studio/AliceRole";
    let domain_role = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Studio";
    let replay = Replay::start(vec![
        Canned::json(
            200,
            json!({ "DomainId": "d-abc", "UserProfileName": "alice", "UserSettings": { "ExecutionRole": profile_role } }),
        ),
        Canned::json(200, json!({ "DomainId": "d-abc", "UserProfileName": "bob", "UserSettings": {} })),
        Canned::json(200, json!({ "DomainId": "d-abc", "DefaultUserSettings": { "ExecutionRole": domain_role } })),
    ]);
    let find = |user: &str| {
        let (_dir, path) =
            metadata(json!({ "ResourceName": "studio-app", "DomainId": "d-abc", "UserProfileName": user }));
        let cfg = AwsConfig { notebook_metadata_file: Some(path), ..replay.cfg() };
        find_execution_role(&cfg, &mut |n| panic!("no fallback expected: {n}")).unwrap()
    };
    assert_eq!(
        find("alice"),
        ExecutionRole { arn: profile_role.into(), source: RoleSource::StudioUserProfile("alice".into()) }
    );
    assert_eq!(
        find("bob"),
        ExecutionRole { arn: domain_role.into(), source: RoleSource::StudioDomain("d-abc".into()) }
    );
    let requests = replay.requests();
    let target = |i: usize| requests[i].header("x-amz-target").unwrap_or_default().to_string();
    assert_eq!(
        [target(0), target(1), target(2)],
        ["SageMaker.DescribeUserProfile", "SageMaker.DescribeUserProfile", "SageMaker.DescribeDomain"]
    );
    assert_eq!(requests[0].json(), json!({ "DomainId": "d-abc", "UserProfileName": "alice" }));
    assert_eq!(requests[2].json(), json!({ "DomainId": "d-abc" }));
}

#[test]
fn metadata_roles_are_used_as_given_and_failed_lookups_fall_back_to_sts() {
    no_role_in_the_environment();
    let own = "arn:aws:iam::123456789012:role/team/x/NotebookRole";
    let (_dir, path) = metadata(json!({ "ResourceName": "nb", "ExecutionRoleArn": own }));
    // No server at all: the file's own role needs no call.
    let cfg = AwsConfig { notebook_metadata_file: Some(path), ..AwsConfig::local_emulator("http://127.0.0.1:1") };
    assert_eq!(
        find_execution_role(&cfg, &mut |_| {}).unwrap(),
        ExecutionRole { arn: own.into(), source: RoleSource::Metadata }
    );

    let caller_arn = "arn:aws:sts::123456789012:assumed-role/NotebookRole/SageMaker";
    let replay = Replay::start(vec![
        Canned::aws_error("ValidationException", "RecordNotFound", "req-nb"),
        caller(caller_arn),
        sts_error("AccessDenied", "not authorized to perform: iam:GetRole"),
    ]);
    let (_dir, path) = metadata(json!({ "ResourceName": "gone-notebook" }));
    let cfg = AwsConfig { notebook_metadata_file: Some(path), ..replay.cfg() };
    let mut notes = Vec::new();
    let role = find_execution_role(&cfg, &mut |n| notes.push(n.to_string())).unwrap();
    assert_eq!(
        role,
        ExecutionRole {
            arn: "arn:aws:iam::123456789012:role/NotebookRole".into(),
            source: RoleSource::CallerRoleGuessed
        }
    );
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with(
            "Couldn't call DescribeNotebookInstance to get the execution role of notebook instance gone-notebook"
        ),
        "{notes:?}"
    );
    assert_eq!(replay.requests()[0].json(), json!({ "NotebookInstanceName": "gone-notebook" }));

    let (_dir, path) = metadata(json!("not an object"));
    let cfg = AwsConfig { notebook_metadata_file: Some(path.clone()), ..replay.cfg() };
    let err = find_execution_role(&cfg, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains(&format!("the notebook metadata file {} is not valid JSON", path.display())), "{err}");
}
