//! The facade's AWS backend end to end against a moto server (S3, SageMaker, SageMaker Runtime, STS and CloudWatch
//! Logs on loopback): bucket check (404, then success), upload, fit, deploy, predict, delete (twice); the
//! execution role from STS; the training log printed by `attach`. Run with `--features aws`.
#![cfg(feature = "aws")]

use ipinsights_test_support::moto;

use ipinsights_aws_calls::AwsConfig;
use ipinsights_workshop::aws_backend::AwsBackend;
use ipinsights_workshop::prelude::*;
use moto::Moto;
use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

/// An AWS-backend session on the moto server at `url`.
fn aws_session(url: &str) -> Session {
    let backend = AwsBackend::new(AwsConfig::local_emulator(url), Duration::from_millis(50)).unwrap();
    Session::with_backend(backend)
}

/// A CloudWatch Logs call as raw awsJson1.1 (moto routes it by the credential scope and checks no signature).
fn logs_call(url: &str, action: &str, body: serde_json::Value) {
    ureq::post(url)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", &format!("Logs_20140328.{action}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("moto answers {action}: {e}"));
}

#[test]
fn the_workshop_calls_run_on_the_aws_backend() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let session = aws_session(&moto.url);
    let (bucket, prefix) = ("workshop-moto-bucket", "secml/ipinsights");

    let missing = session.check_bucket(bucket, prefix).unwrap_err();
    assert_eq!(missing.kind(), &ErrorKind::NotFound { what: Missing::Bucket, name: bucket.into() }, "{missing}");
    assert!(missing.to_string().contains("Hey! Your bucket, workshop-moto-bucket, doesn't exist!"), "{missing}");
    ureq::put(format!("{}/{bucket}", moto.url)).send_empty().expect("moto creates the bucket");
    session.check_bucket(bucket, prefix).unwrap();

    let file = dir.path().join("tuples.csv");
    std::fs::write(&file, "AIDAEXAMPLE1,1.2.3.4\nAIDAEXAMPLE2,5.6.7.8\n").unwrap();
    let uri = session.upload_data(&file, bucket, &format!("{prefix}/train/cloudtrail_tuples.csv")).unwrap();
    assert_eq!(uri, format!("s3://{bucket}/{prefix}/train/cloudtrail_tuples.csv"));

    let image = image_uri(session.region(), "ipinsights").unwrap();
    let role = "arn:aws:iam::123456789012:role/SageMakerExecution";
    let output = format!("s3://{bucket}/{prefix}/output");
    let mut estimator =
        Estimator::new(&session, image, role).instance_count(1).instance_type("ml.m5.xlarge").output_path(&output);
    estimator.set_hyperparameters(IpInsightsParams::new(20000, 128).epochs(5)).unwrap();
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap();
    assert!(job.job_name.starts_with("ipinsights-"), "{job:?}");
    assert!(job.model_data.starts_with(&output), "{job:?}");

    let mut attached = Estimator::new(&session, "image", role);
    attached.attach(&job.job_name).unwrap();
    assert_eq!(attached.latest_training_job.as_ref().unwrap().model_data, job.model_data);

    let mut bad = estimator.clone();
    let err = bad.set_hyperparameters(IpInsightsParams::new(20000, 128).epochs(0)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    assert!(err.to_string().contains("epochs"), "{err}");

    let predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    let answer = r#"{"predictions": [{"dot_product": 1.5}, {"dot_product": -2.0}]}"#;
    moto.queue_endpoint_results(serde_json::json!([{ "Body": answer, "ContentType": "application/json" }]));
    let pairs: Vec<(String, IpAddr)> =
        vec![("AIDAEXAMPLE1".into(), "1.2.3.4".parse().unwrap()), ("AIDAEXAMPLE2".into(), "5.6.7.8".parse().unwrap())];
    let scored = predictor.predict(&pairs).unwrap();
    assert_eq!(scored.dot_products(), vec![1.5, -2.0]);

    let attached = Predictor::attach(&session, &predictor.endpoint).unwrap();
    assert_eq!(attached.endpoint, predictor.endpoint);
    predictor.delete_endpoint().unwrap();
    let again = predictor.delete_endpoint().unwrap_err();
    let gone = ErrorKind::NotFound { what: Missing::Endpoint, name: predictor.endpoint.clone() };
    assert_eq!(again.kind(), &gone, "{again}");
    assert!(Predictor::attach(&session, &predictor.endpoint).is_err());
}

#[test]
fn the_execution_role_comes_from_sts_when_nothing_is_configured() {
    // A role in the environment wins over STS, so this test needs none (scripts/run-tests unsets them).
    for name in ["SAGEMAKER_ROLE_ARN", "IPINSIGHTS_ROLE_ARN"] {
        assert!(std::env::var_os(name).is_none(), "unset {name} to run this test: it checks STS role discovery");
    }
    let moto = Moto::start();
    // moto's default caller is an IAM user, which cannot be SageMaker's role.
    let err = aws_session(&moto.url).execution_role().unwrap_err().to_string();
    assert!(err.starts_with("the caller identity `arn:aws:sts::123456789012:user/moto` is not an assumed IAM role"));
    assert!(err.contains("SAGEMAKER_ROLE_ARN"), "{err}");
}

/// Environment of the child process that attaches (see the test below).
const CHILD_ENV: [&str; 2] = ["IPINSIGHTS_TEST_ATTACH_URL", "IPINSIGHTS_TEST_ATTACH_JOB"];

/// The child's part of the test below: attaches to `job` on the moto server at `url`, printing what a cell would.
fn attach_as_the_child(url: &str, job: &str) {
    let session = aws_session(url);
    let mut estimator = Estimator::new(&session, "image", "arn:aws:iam::123456789012:role/R");
    estimator.attach(job).unwrap();
}

/// The name libtest knows the test below by: its module path inside the test binary, then its own name.
fn this_test_name() -> String {
    match module_path!().split_once("::") {
        Some((_binary, module)) => format!("{module}::attach_prints_the_training_log_in_the_cell_output"),
        None => "attach_prints_the_training_log_in_the_cell_output".to_string(),
    }
}

/// Runs itself again as a child process (whose stdout it captures: a cell's output), which attaches. There is no
/// helper test to run alone: with the child's environment set this run is the child, without it the whole test.
#[test]
fn attach_prints_the_training_log_in_the_cell_output() {
    if let (Ok(url), Ok(job)) = (std::env::var(CHILD_ENV[0]), std::env::var(CHILD_ENV[1])) {
        return attach_as_the_child(&url, &job);
    }
    let moto = Moto::start();
    let session = aws_session(&moto.url);
    let role = "arn:aws:iam::123456789012:role/SageMakerExecution";
    let image = image_uri(session.region(), "ipinsights").unwrap();
    let mut estimator = Estimator::new(&session, image, role)
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path("s3://workshop-moto-bucket/output");
    estimator.set_hyperparameters(IpInsightsParams::new(20000, 128)).unwrap();
    estimator.fit(&[("train", TrainingInput::new("s3://workshop-moto-bucket/train/t.csv"))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap().job_name;

    let group = "/aws/sagemaker/TrainingJobs";
    let stream = format!("{job}/algo-1-1576539544");
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let lines = ["Docker entrypoint called with argument(s): train", "#metrics {\"epochs\": 1}", "training done"];
    let events: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, m)| serde_json::json!({ "timestamp": now_ms + i as i64, "message": m }))
        .collect();
    logs_call(&moto.url, "CreateLogGroup", serde_json::json!({ "logGroupName": group }));
    logs_call(&moto.url, "CreateLogStream", serde_json::json!({ "logGroupName": group, "logStreamName": stream }));
    logs_call(
        &moto.url,
        "PutLogEvents",
        serde_json::json!({ "logGroupName": group, "logStreamName": stream, "logEvents": events }),
    );

    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &this_test_name(), "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV[0], &moto.url)
        .env(CHILD_ENV[1], &job)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&child.stderr));
    let printed: Vec<&str> = stdout.lines().collect();
    let status = printed.iter().position(|l| l.ends_with(" Starting - Preparing the instances for training"));
    let status = status.unwrap_or_else(|| panic!("no status line in {stdout}"));
    assert_eq!(printed[status + 1..status + 4], lines, "{stdout}");
}
