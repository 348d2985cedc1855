//! Paths moto cannot produce, against a scripted HTTP server: 403/301/500 on HeadBucket, throttling with
//! retries, SDK-style training output with seconds, failed jobs and endpoints, model errors, and the exact
//! InvokeEndpoint and CreateModel/CreateEndpointConfig requests.

mod replay_server;

use std::time::Duration;

use ipinsights_aws::*;
use replay_server::{described, Canned, Replay, JOB, T0};
use serde_json::json;

#[test]
fn head_bucket_403_and_301_and_500() {
    let replay = Replay::start(vec![
        Canned::new(403, ""),
        Canned::new(301, "").header("x-amz-bucket-region", "eu-west-1"),
        Canned::new(500, ""),
    ]);
    let err = check_bucket(&replay.cfg(), "someone-elses-bucket", "ipinsights").unwrap_err();
    assert_eq!(err.to_string(), "Hey! You don't have permission to access the bucket, someone-elses-bucket.");
    let err = check_bucket(&replay.cfg(), "far-bucket", "ipinsights").unwrap_err();
    assert!(matches!(&err, AwsError::BucketInOtherRegion { bucket_region, .. } if bucket_region == "eu-west-1"));
    assert!(err.to_string().contains("is in region eu-west-1, but this session uses us-east-1"), "{err}");
    let err = check_bucket(&replay.cfg(), "flaky-bucket", "ipinsights").unwrap_err();
    let AwsError::Service(e) = &err else { panic!("{err:?}") };
    assert_eq!((e.operation, e.http_status, e.request_id.as_deref()), ("HeadBucket", Some(500), Some("req-500")));
    let requests = replay.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("HEAD", "/someone-elses-bucket/"));
}

#[test]
fn throttling_is_retried_and_then_shown_with_code_message_and_request_id() {
    let throttled = || Canned::aws_error("ThrottlingException", "Rate exceeded", "req-throttle");
    let replay = Replay::start(vec![
        throttled(),
        described("Completed", &[("Completed", "Training job completed", 0)], json!({})),
        throttled(),
        throttled(),
    ]);
    let cfg = AwsConfig { max_attempts: Some(2), ..replay.cfg() };
    let job = describe_training_job(&cfg, JOB).unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(replay.requests().len(), 2, "one retry after the throttle");
    let err = describe_training_job(&cfg, JOB).unwrap_err();
    assert_eq!(err.service_code(), Some("ThrottlingException"));
    assert_eq!(
        err.to_string(),
        "DescribeTrainingJob failed: ThrottlingException: Rate exceeded (HTTP 400, request id req-throttle)"
    );
    assert_eq!(replay.requests().len(), 4);
    let target = replay.requests()[0].header("x-amz-target").map(String::from);
    assert_eq!(target.as_deref(), Some("SageMaker.DescribeTrainingJob"));
}

#[test]
fn waiting_prints_sdk_lines_then_training_and_billable_seconds() {
    let starting = ("Starting", "Starting the training job", 0);
    let launching = ("Starting", "Launching requested ML instances", 0);
    let downloading = ("Downloading", "Downloading input data", 60);
    let training = ("Training", "Training image download completed. Training in progress.", 90);
    let uploading = ("Uploading", "Uploading generated training model", 150);
    let completed = ("Completed", "Training job completed", 161);
    let done = json!({
        "TrainingTimeInSeconds": 71,
        "BillableTimeInSeconds": 71,
        "ModelArtifacts": { "S3ModelArtifacts": format!("s3://b/ipinsights/output/{JOB}/output/model.tar.gz") },
    });
    let replay = Replay::start(vec![
        described("InProgress", &[starting], json!({})),
        described("InProgress", &[starting], json!({})),
        described("InProgress", &[launching], json!({})),
        described("InProgress", &[launching, downloading, training], json!({})),
        described("Completed", &[launching, downloading, training, uploading, completed], done),
    ]);
    let mut out = String::new();
    let job = wait_for_training_job(&replay.cfg(), JOB, Duration::from_millis(1), &mut |s| out.push_str(s)).unwrap();
    assert_eq!(
        out,
        "2019-12-16 23:39:04 Starting - Starting the training job.\n\
         2019-12-16 23:39:04 Starting - Launching requested ML instances\n\
         2019-12-16 23:40:04 Downloading - Downloading input data\n\
         2019-12-16 23:40:34 Training - Training image download completed. Training in progress.\n\
         2019-12-16 23:41:34 Uploading - Uploading generated training model\n\
         2019-12-16 23:41:45 Completed - Training job completed\n\
         Training seconds: 71\n\
         Billable seconds: 71\n"
    );
    assert_eq!((job.training_seconds, job.billable_seconds), (Some(71), Some(71)));
    assert_eq!(job.model_artifact, Some(format!("s3://b/ipinsights/output/{JOB}/output/model.tar.gz")));
    assert_eq!(job.transitions.len(), 5);
}

#[test]
fn failed_and_stopped_jobs_are_errors_with_the_failure_reason() {
    let reason = "AlgorithmError: num_entity_vectors must be positive";
    let replay = Replay::start(vec![
        described("Failed", &[("Failed", "Training job failed", 5)], json!({ "FailureReason": reason })),
        described("Stopped", &[("Stopped", "Training job stopped", 5)], json!({})),
    ]);
    let mut out = String::new();
    let err = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap_err();
    assert_eq!(err.to_string(), format!("Error for Training job {JOB}: Failed. Reason: {reason}"));
    assert_eq!(out, "2019-12-16 23:39:09 Failed - Training job failed\n");
    let err = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |_| {}).unwrap_err();
    assert_eq!(err.to_string(), format!("Error for Training job {JOB}: Stopped. Reason: (No reason provided)"));
}

fn deploy_spec() -> DeploySpec {
    DeploySpec {
        model_name: "ipinsights-model-1".into(),
        endpoint_name: "ipinsights-endpoint-1".into(),
        image: "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1".into(),
        model_data_url: "s3://workshop-bucket/ipinsights/output/job/output/model.tar.gz".into(),
        role_arn: "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole".into(),
        instance_type: "ml.m4.xlarge".into(),
        instance_count: 2,
    }
}

fn endpoint(status: &str, reason: Option<&str>) -> Canned {
    Canned::json(
        200,
        json!({
            "EndpointName": "ipinsights-endpoint-1",
            "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ipinsights-endpoint-1",
            "EndpointConfigName": "ipinsights-endpoint-1",
            "EndpointStatus": status,
            "FailureReason": reason,
            "CreationTime": T0,
            "LastModifiedTime": T0,
        }),
    )
}

#[test]
fn deploy_sends_the_sdk_requests_and_a_failed_endpoint_prints_a_star() {
    let arn = |kind: &str| json!({ kind: "arn:aws:sagemaker:us-east-1:123456789012:x/y" });
    let replay = Replay::start(vec![
        Canned::json(200, arn("ModelArn")),
        Canned::json(200, arn("EndpointConfigArn")),
        Canned::json(200, arn("EndpointArn")),
        endpoint("Creating", None),
        endpoint("Creating", None),
        endpoint(
            "Failed",
            Some("The primary container for production variant AllTraffic did not pass the ping health check."),
        ),
    ]);
    let mut out = String::new();
    let err = deploy(&replay.cfg(), &deploy_spec(), Duration::from_millis(1), &mut |s| out.push_str(s)).unwrap_err();
    assert_eq!(out, "--*\n");
    assert_eq!(
        err.to_string(),
        "Error hosting endpoint ipinsights-endpoint-1: Failed. Reason: The primary container for production \
         variant AllTraffic did not pass the ping health check."
    );
    let requests = replay.requests();
    let targets: Vec<_> = requests.iter().map(|r| r.header("x-amz-target").unwrap_or("").to_string()).collect();
    assert_eq!(
        targets,
        [
            "SageMaker.CreateModel",
            "SageMaker.CreateEndpointConfig",
            "SageMaker.CreateEndpoint",
            "SageMaker.DescribeEndpoint",
            "SageMaker.DescribeEndpoint",
            "SageMaker.DescribeEndpoint"
        ]
    );
    let spec = deploy_spec();
    assert_eq!(
        requests[0].json(),
        json!({
            "ModelName": spec.model_name,
            "PrimaryContainer": { "Image": spec.image, "ModelDataUrl": spec.model_data_url },
            "ExecutionRoleArn": spec.role_arn,
        })
    );
    assert_eq!(
        requests[1].json(),
        json!({
            "EndpointConfigName": spec.endpoint_name,
            "ProductionVariants": [{
                "VariantName": "AllTraffic",
                "ModelName": spec.model_name,
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m4.xlarge",
                "InitialVariantWeight": 1.0,
            }],
        })
    );
    assert_eq!(
        requests[2].json(),
        json!({ "EndpointName": spec.endpoint_name, "EndpointConfigName": spec.endpoint_name })
    );
}

#[test]
fn invoke_sends_body_content_type_and_accept_and_surfaces_model_errors() {
    let model_error = json!({
        "ErrorCode": "ModelError",
        "Message": "Received client error (400) from primary with message \"unable to parse row 1\".",
        "OriginalMessage": "unable to parse row 1",
        "OriginalStatusCode": 400,
        "LogStreamArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/ep",
    });
    let replay = Replay::start(vec![
        Canned::new(200, r#"{"predictions": [{"dot_product": 1.5}]}"#).header("content-type", "application/json"),
        Canned::new(424, &model_error.to_string()).header("x-amzn-errortype", "ModelError"),
        Canned::new(400, r#"{"message": "Endpoint ep of account 123456789012 not found."}"#)
            .header("x-amzn-errortype", "ValidationError"),
    ]);
    let body = b"user-1,1.2.3.4\n".to_vec();
    let answer = invoke_endpoint(&replay.cfg(), "ep", body.clone(), "text/csv", "application/json").unwrap();
    assert_eq!(answer, br#"{"predictions": [{"dot_product": 1.5}]}"#);
    let sent = &replay.requests()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/endpoints/ep/invocations"));
    assert_eq!(sent.header("content-type"), Some("text/csv"));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert_eq!(sent.body, body);

    let err = invoke_endpoint(&replay.cfg(), "ep", b"garbage".to_vec(), "text/csv", "application/json").unwrap_err();
    let AwsError::ModelError(m) = &err else { panic!("{err:?}") };
    let ModelFailure { original_status_code, original_message, log_stream_arn, request_id, .. } = m.as_ref();
    assert_eq!((*original_status_code, original_message.as_deref()), (Some(400), Some("unable to parse row 1")));
    assert!(log_stream_arn.as_deref().is_some_and(|a| a.ends_with("/aws/sagemaker/Endpoints/ep")));
    assert_eq!(request_id.as_deref(), Some("req-424"));
    assert!(err.to_string().contains("the model answered HTTP 400: unable to parse row 1"), "{err}");

    let err = invoke_endpoint(&replay.cfg(), "ep", body, "text/csv", "application/json").unwrap_err();
    assert_eq!(err.service_code(), Some("ValidationError"));
    assert!(err.to_string().contains("Endpoint ep of account 123456789012 not found."), "{err}");
}

#[test]
fn network_failures_keep_the_sdk_error_chain() {
    // Nothing listens on port 1.
    let cfg = AwsConfig { max_attempts: Some(1), ..AwsConfig::local_emulator("http://127.0.0.1:1") };
    let err = describe_endpoint(&cfg, "ep").unwrap_err();
    let AwsError::Service(e) = &err else { panic!("{err:?}") };
    assert_eq!((e.code.as_deref(), e.http_status), (None, None));
    let shown = err.to_string();
    assert!(shown.starts_with("DescribeEndpoint failed: dispatch failure"), "{shown}");
    assert!(shown.to_lowercase().contains("connect"), "{shown}");
}
