//! Paths moto cannot produce, against a scripted HTTP server: 403/301/500 on HeadBucket, throttling with
//! retries, SDK-style training output with seconds, failed jobs and endpoints, model errors, and the exact
//! InvokeEndpoint and CreateModel/CreateEndpointConfig requests.

use ipinsights_test_support::replay as replay_server;

use std::time::Duration;

use ipinsights_aws_calls::*;
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
    assert_eq!(job.status, TrainingJobStatus::Completed);
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

/// The SDK stamps every status line of a poll with the job's LastModifiedTime (not the transition's start).
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
         2019-12-16 23:40:34 Downloading - Downloading input data\n\
         2019-12-16 23:40:34 Training - Training image download completed. Training in progress.\n\
         2019-12-16 23:41:45 Uploading - Uploading generated training model\n\
         2019-12-16 23:41:45 Completed - Training job completed\n\
         Training seconds: 71\n\
         Billable seconds: 71\n"
    );
    assert_eq!((job.training_seconds, job.billable_seconds), (Some(71), Some(71)));
    assert_eq!(job.model_artifact, Some(format!("s3://b/ipinsights/output/{JOB}/output/model.tar.gz")));
    assert_eq!(job.transitions.len(), 5);
}

#[test]
fn failed_jobs_are_errors_and_stopped_jobs_warn_like_sdk_v2_keeping_their_model() {
    let reason = "AlgorithmError: num_entity_vectors must be positive";
    let artifact = format!("s3://b/ipinsights/output/{JOB}/output/model.tar.gz");
    let stopped = json!({
        "TrainingTimeInSeconds": 86_400,
        "BillableTimeInSeconds": 86_400,
        "ModelArtifacts": { "S3ModelArtifacts": artifact },
    });
    let stopped_transitions = [("Training", "Training in progress", 5), ("Stopped", "Training job stopped", 86_405)];
    let replay = Replay::start(vec![
        described("Failed", &[("Failed", "Training job failed", 5)], json!({ "FailureReason": reason })),
        described("Stopped", &stopped_transitions, stopped.clone()),
        described("Stopped", &stopped_transitions, stopped),
        Canned::aws_error("ResourceNotFoundException", "The specified log group does not exist.", "req-logs"),
    ]);
    let mut out = String::new();
    let err = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap_err();
    assert_eq!(err.to_string(), format!("Error for Training job {JOB}: Failed. Reason: {reason}"));
    assert_eq!(out, "2019-12-16 23:39:09 Failed - Training job failed\n");

    // Stopped at its max runtime: a warning, the seconds, and the model it wrote, usable by deploy.
    let mut out = String::new();
    let job = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap();
    assert_eq!(job.status, TrainingJobStatus::Stopped);
    assert_eq!(job.model_artifact.as_deref(), Some(artifact.as_str()));
    assert_eq!(
        out,
        format!(
            "2019-12-17 23:39:09 Training - Training in progress\n\
             2019-12-17 23:39:09 Stopped - Training job stopped\n\
             Training seconds: 86400\n\
             Billable seconds: 86400\n\
             Warning: training job {JOB} ended with status 'Stopped' rather than 'Completed'. This could mean the job \
             timed out or stopped early for some other reason: Consider checking whether it completed as you expect.\n"
        )
    );
    let job = wait_for_training_job_with_logs(&replay.cfg(), JOB, Duration::ZERO, &mut |_| {});
    assert!(job.is_ok_and(|j| j.model_artifact.as_deref() == Some(artifact.as_str())), "with logs too");
}

fn deploy_spec() -> EndpointRequest {
    EndpointRequest {
        model: ModelRequest::new(
            "ipinsights-model-1",
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            S3Uri::parse("s3://workshop-bucket/ipinsights/output/job/output/model.tar.gz").unwrap(),
            "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
        ),
        endpoint_name: "ipinsights-endpoint-1".into(),
        instance_type: "ml.m5.xlarge".into(),
        initial_instance_count: 2,
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
    let err =
        deploy(&replay.cfg(), &deploy_spec().check().unwrap(), Duration::from_millis(1), &mut |s| out.push_str(s))
            .unwrap_err();
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
    let model = &spec.model;
    assert_eq!(
        requests[0].json(),
        json!({
            "ModelName": model.model_name,
            "PrimaryContainer": { "Image": model.image_uri, "ModelDataUrl": model.model_data.to_string() },
            "ExecutionRoleArn": model.role,
        })
    );
    assert_eq!(
        requests[1].json(),
        json!({
            "EndpointConfigName": spec.endpoint_name,
            "ProductionVariants": [{
                "VariantName": "AllTraffic",
                "ModelName": model.model_name,
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.xlarge",
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
    assert!(matches!(&err, AwsError::EndpointNotFound { endpoint_name, .. } if endpoint_name == "ep"), "{err:?}");
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

fn uri(s: &str) -> S3Uri {
    S3Uri::parse(s).unwrap()
}

fn spec_with_hyperparameters() -> TrainingJobRequest {
    let hp = IpInsightsParams::new(20_000, 128).epochs(5).check().unwrap();
    TrainingJobRequest::new(
        JOB,
        "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
        "arn:aws:iam::123456789012:role/team/x/WorkshopRole",
        uri("s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv"),
        uri("s3://workshop-bucket/ipinsights/output"),
        hp,
    )
}

/// The request of the SDK's `Estimator(...).fit(...)` with no option set (the workshop's job).
fn default_training_request() -> serde_json::Value {
    json!({
        "TrainingJobName": JOB,
        "AlgorithmSpecification": {
            "TrainingImage": "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
            "TrainingInputMode": "File",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/team/x/WorkshopRole",
        "InputDataConfig": [{
            "ChannelName": "train",
            "DataSource": { "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv",
                "S3DataDistributionType": "FullyReplicated",
            } },
            "ContentType": "text/csv",
        }],
        "OutputDataConfig": { "S3OutputPath": "s3://workshop-bucket/ipinsights/output" },
        "ResourceConfig": { "InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30 },
        "StoppingCondition": { "MaxRuntimeInSeconds": 86_400 },
        "HyperParameters": { "num_entity_vectors": "20000", "vector_dim": "128", "epochs": "5" },
    })
}

#[test]
fn create_training_job_sends_every_option_with_the_sdks_names_and_only_when_set() {
    let created = || {
        Canned::json(
            200,
            json!({ "TrainingJobArn": format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/{JOB}") }),
        )
    };
    let replay = Replay::start(vec![created(), created()]);
    create_training_job(&replay.cfg(), &spec_with_hyperparameters().check().unwrap()).unwrap();

    let mut spec = spec_with_hyperparameters();
    spec.channels[0].distribution = "ShardedByS3Key".parse().unwrap();
    spec.channels.push(Channel::new("validation", uri("s3://workshop-bucket/ipinsights/validation/")));
    let o = &mut spec.options;
    o.volume_size = 100;
    o.max_run = 3600;
    o.volume_kms_key = Some("arn:aws:kms:us-east-1:123456789012:key/volume".into());
    o.output_kms_key = Some("alias/workshop-output".into());
    o.vpc =
        VpcConfig { subnets: vec!["subnet-0a".into(), "subnet-0b".into()], security_group_ids: vec!["sg-0c".into()] };
    o.encrypt_inter_container_traffic = true;
    o.enable_network_isolation = true;
    o.use_spot_instances = true;
    o.max_wait = Some(7200);
    o.checkpoint_s3_uri = Some("s3://workshop-bucket/ipinsights/checkpoints".into());
    o.tags = vec![("team".into(), "secops".into()), ("cost-center".into(), "42".into())];
    create_training_job(&replay.cfg(), &spec.clone().check().unwrap()).unwrap();

    let requests = replay.requests();
    assert_eq!(requests[0].header("x-amz-target"), Some("SageMaker.CreateTrainingJob"));
    assert_eq!(requests[0].json(), default_training_request(), "no option set: exactly the SDK's default request");
    let mut expected = default_training_request();
    expected["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] = json!("ShardedByS3Key");
    expected["InputDataConfig"].as_array_mut().unwrap().push(json!({
        "ChannelName": "validation",
        "DataSource": { "S3DataSource": {
            "S3DataType": "S3Prefix",
            "S3Uri": "s3://workshop-bucket/ipinsights/validation/",
            "S3DataDistributionType": "FullyReplicated",
        } },
        "ContentType": "text/csv",
    }));
    expected["OutputDataConfig"]["KmsKeyId"] = json!("alias/workshop-output");
    expected["ResourceConfig"] = json!({
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 100,
        "VolumeKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/volume",
    });
    expected["StoppingCondition"] = json!({ "MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200 });
    expected["VpcConfig"] = json!({ "SecurityGroupIds": ["sg-0c"], "Subnets": ["subnet-0a", "subnet-0b"] });
    expected["EnableNetworkIsolation"] = json!(true);
    expected["EnableInterContainerTrafficEncryption"] = json!(true);
    expected["EnableManagedSpotTraining"] = json!(true);
    expected["CheckpointConfig"] = json!({ "S3Uri": "s3://workshop-bucket/ipinsights/checkpoints" });
    expected["Tags"] = json!([{ "Key": "team", "Value": "secops" }, { "Key": "cost-center", "Value": "42" }]);
    assert_eq!(requests[1].json(), expected);

    // Refused before any call: a role that is no role ARN.
    spec.role = "WorkshopRole".into();
    let err = create_training_job(&replay.cfg(), &spec.check().unwrap()).unwrap_err().to_string();
    assert!(err.contains("is not an IAM role ARN"), "{err}");
    assert_eq!(replay.requests().len(), 2, "nothing sent");
}

#[test]
fn create_model_and_transform_job_send_the_sdks_requests() {
    let replay = Replay::start(vec![
        Canned::json(200, json!({ "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m" })),
        Canned::json(200, json!({ "TransformJobArn": "arn:aws:sagemaker:us-east-1:123456789012:transform-job/t" })),
    ]);
    let mut model = ModelRequest::new(
        "ipinsights-2019-12-16-23-50-00-000",
        "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1",
        uri(&format!("s3://workshop-bucket/ipinsights/output/{JOB}/output/model.tar.gz")),
        "arn:aws:iam::123456789012:role/team/x/WorkshopRole",
    );
    model.vpc = VpcConfig { subnets: vec!["subnet-0a".into()], security_group_ids: vec!["sg-0c".into()] };
    model.enable_network_isolation = true;
    create_model(&replay.cfg(), &model.clone().check().unwrap()).unwrap();
    let spec = TransformJobRequest {
        job_name: "ipinsights-2019-12-16-23-50-01-000".into(),
        model_name: model.model_name.clone(),
        model_data: model.model_data.clone(),
        data: uri("s3://workshop-bucket/ipinsights/test/test.csv"),
        content_type: "text/csv".parse().unwrap(),
        split_type: "Line".parse().unwrap(),
        output_path: uri("s3://workshop-bucket/ipinsights/transform"),
        options: TransformOptions::new(1, "ml.m5.xlarge"),
    };
    create_transform_job(&replay.cfg(), &spec.clone().check().unwrap()).unwrap();
    let requests = replay.requests();
    assert_eq!(
        requests[0].json(),
        json!({
            "ModelName": model.model_name,
            "PrimaryContainer": { "Image": model.image_uri, "ModelDataUrl": model.model_data.to_string() },
            "ExecutionRoleArn": model.role,
            "VpcConfig": { "SecurityGroupIds": ["sg-0c"], "Subnets": ["subnet-0a"] },
            "EnableNetworkIsolation": true,
        })
    );
    assert_eq!(requests[1].header("x-amz-target"), Some("SageMaker.CreateTransformJob"));
    assert_eq!(
        requests[1].json(),
        json!({
            "TransformJobName": spec.job_name,
            "ModelName": model.model_name,
            "BatchStrategy": "MultiRecord",
            "MaxPayloadInMB": 6,
            "TransformInput": {
                "DataSource": { "S3DataSource": { "S3DataType": "S3Prefix", "S3Uri": spec.data.to_string() } },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": spec.output_path.to_string(),
                "Accept": "application/jsonlines",
                "AssembleWith": "Line",
            },
            "TransformResources": { "InstanceType": "ml.m5.xlarge", "InstanceCount": 1 },
        })
    );
}

fn transform_described(status: &str, reason: Option<&str>) -> Canned {
    Canned::json(
        200,
        json!({
            "TransformJobName": "t-1",
            "TransformJobArn": "arn:aws:sagemaker:us-east-1:123456789012:transform-job/t-1",
            "TransformJobStatus": status,
            "FailureReason": reason,
            "ModelName": "m-1",
            "TransformInput": { "DataSource": { "S3DataSource": { "S3DataType": "S3Prefix", "S3Uri": "s3://b/in/" } } },
            "TransformOutput": { "S3OutputPath": "s3://b/out" },
            "TransformResources": { "InstanceType": "ml.m5.xlarge", "InstanceCount": 1 },
            "CreationTime": T0,
        }),
    )
}

#[test]
fn waits_retry_throttling_ten_times_and_say_so() {
    let throttled = || Canned::aws_error("ThrottlingException", "Rate exceeded", "req-throttle");
    let not_found = || Canned::aws_error("ResourceNotFoundException", "no log group", "req-logs");
    let mut script = vec![throttled(), throttled(), throttled()];
    script.push(described("Completed", &[("Completed", "Training job completed", 0)], json!({})));
    script.extend([transform_described("InProgress", None), not_found(), throttled(), throttled()]);
    script.extend([transform_described("Completed", None), not_found()]);
    let replay = Replay::start(script);
    // The test configuration allows one attempt per call: waits raise it to ten.
    let mut out = String::new();
    let job = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap();
    assert_eq!(job.status, TrainingJobStatus::Completed);
    assert!(
        out.starts_with(
            "\n(SageMaker DescribeTrainingJob: 3 attempts failed with ThrottlingException and were retried)\n"
        ),
        "{out}"
    );
    let mut out = String::new();
    let job = wait_for_transform_job(&replay.cfg(), "t-1", Duration::ZERO, &mut |s| out.push_str(s)).unwrap();
    assert_eq!((job.status, job.output_path.as_str()), (TransformJobStatus::Completed, "s3://b/out"));
    assert!(
        out.contains("(SageMaker DescribeTransformJob: 2 attempts failed with ThrottlingException and were retried)"),
        "{out}"
    );
    assert_eq!(replay.requests().len(), 10, "every scripted answer used");
}

#[test]
fn expired_credentials_mid_wait_name_the_job_and_how_to_resume() {
    let expired = Canned::json(
        400,
        json!({ "__type": "ExpiredTokenException", "message": "The security token included in the request is expired" }),
    );
    let replay = Replay::start(vec![
        described("InProgress", &[("Training", "Training in progress", 90)], json!({})),
        expired,
        transform_described("Failed", Some("ClientError: input test.csv, line 3: IPv6 address")),
        Canned::aws_error("ResourceNotFoundException", "no log group", "req-logs"),
    ]);
    let mut out = String::new();
    let err = wait_for_training_job(&replay.cfg(), JOB, Duration::ZERO, &mut |s| out.push_str(s)).unwrap_err();
    assert!(err.is_credentials_error(), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "lost track of training job {JOB} while waiting for it: DescribeTrainingJob failed: ExpiredTokenException"
        )),
        "{shown}"
    );
    assert!(shown.contains("Your AWS credentials were refused (expired?)"), "{shown}");
    assert!(
        shown.ends_with(&format!(
            "resume waiting with `Estimator::attach`: `estimator.attach(\"{JOB}\")?` in a new cell"
        )),
        "{shown}"
    );
    assert_eq!(out, "2019-12-16 23:40:34 Training - Training in progress");

    let err = wait_for_transform_job(&replay.cfg(), "t-1", Duration::ZERO, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error for Transform job t-1: Failed. Reason: ClientError: input test.csv, line 3: IPv6 address"
    );
}

#[test]
fn endpoint_waits_retry_throttling_and_expired_credentials_say_how_to_resume() {
    let throttled = || Canned::aws_error("ThrottlingException", "Rate exceeded", "req-throttled");
    let expired = Canned::json(
        400,
        json!({ "__type": "ExpiredTokenException", "message": "The security token included in the request is expired" }),
    );
    let replay = Replay::start(vec![
        throttled(),
        throttled(),
        throttled(),
        endpoint("Creating", None),
        endpoint("InService", None),
        endpoint("Creating", None),
        expired,
    ]);
    // The test configuration allows one attempt per call: endpoint waits raise it to ten, like training waits.
    let name = "ipinsights-endpoint-1";
    let mut out = String::new();
    let info = wait_for_endpoint(&replay.cfg(), name, Duration::ZERO, &mut |s| out.push_str(s)).unwrap();
    assert_eq!(info.status, EndpointStatus::InService);
    assert_eq!(
        out,
        "\n(SageMaker DescribeEndpoint: 3 attempts failed with ThrottlingException and were retried)\n-!\n"
    );

    let mut out = String::new();
    let err = wait_for_endpoint(&replay.cfg(), name, Duration::ZERO, &mut |s| out.push_str(s)).unwrap_err();
    assert_eq!(out, "-");
    assert!(err.is_credentials_error(), "{err:?}");
    let shown = err.to_string();
    for part in [
        format!("lost track of endpoint {name} while waiting for it: DescribeEndpoint failed: ExpiredTokenException"),
        "Your AWS credentials were refused (expired?)".into(),
        "The endpoint itself keeps running on SageMaker".into(),
        format!("`let mut predictor = Predictor::attach(&session, \"{name}\")?;` in a new cell"),
    ] {
        assert!(shown.contains(&part), "{part:?} not in {shown}");
    }
}
