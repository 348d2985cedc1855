//! The facade's AWS backend against the emulated account (tests/aws_emulation.py: moto plus our release binary as
//! strict as SageMaker's IP Insights container — IPv4 only, answers over 6 MiB refused, batch transform run):
//! training data with IPv6 rows trains (they are left out of the upload), IPv6 pairs are answered as not scorable
//! while the rest are scored, a verbose prediction whose answer would exceed 6 MiB is split and succeeds, and
//! `estimator.transformer(...).transform(...)` scores a file into `<input>.out`. Run with `--features aws`; needs
//! an instance type whose quota is 0 in the region is refused before any job, model or object is created (and a
//! denied quota listing is said once, then ignored); the role of an IAM Identity Center sign-in, which SageMaker cannot assume, stops the setup cell's
//! `execution_role()` before any job, and CreateTrainingJob with it fails as SageMaker's does. Needs
//! the release binary (`cargo build --release -p ipinsights-cli`) and `.venv/bin/python` with moto.
#![cfg(feature = "aws")]

use ipinsights_aws_calls::AwsConfig;
use ipinsights_sagemaker_facts::InstanceUse;
use ipinsights_test_support::sagemaker::SageMakerEmulator;
use ipinsights_workshop::aws_backend::AwsBackend;
use ipinsights_workshop::prelude::*;
use ipinsights_workshop::Backend;
use std::net::IpAddr;
use std::time::Duration;

const BUCKET: &str = "workshop-emulated-bucket";

/// The emulated account with our release binary as the container, and more arguments (`--quota NAME=VALUE`,
/// `--quotas-denied`).
fn emulated_with(args: &[&str]) -> SageMakerEmulator {
    let binary = ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
    SageMakerEmulator::start(&binary, BUCKET, args)
}

/// `users` entities with a few IPv4 addresses each; every fourth user also logs in from an IPv6 home network.
fn tuples(users: usize) -> (String, usize, usize) {
    let (mut text, mut v4, mut v6) = (String::from("entity,ip\n"), 0, 0);
    for u in 0..users {
        for k in 0..4 {
            text += &format!("user-{u},10.{}.{}.{}\n", u % 200, (u / 200) % 200, k + 1);
            v4 += 1;
        }
        if u % 4 == 0 {
            text += &format!("user-{u},2001:db8:{u:x}::1\n");
            v6 += 1;
        }
    }
    (text, v4, v6)
}

#[test]
fn the_aws_backend_is_as_strict_as_sagemaker_and_still_works() {
    let emulated = emulated_with(&[]);
    let dir = tempfile::tempdir().unwrap();
    let session = Session::with_backend(
        AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap(),
    );
    let prefix = "ipinsights";

    // IPv6 rows are left out of the upload: the emulated algorithm (--ipv4-only) would fail the job on them.
    let (train, v4_rows, v6_rows) = tuples(600);
    assert!(v6_rows > 0);
    let file = dir.path().join("train.csv");
    std::fs::write(&file, &train).unwrap();
    let uri = session.upload_data(&file, BUCKET, &format!("{prefix}/train/train.csv")).unwrap();
    let back = dir.path().join("back.csv");
    ipinsights_aws_calls::download_file(&AwsConfig::local_emulator(&emulated.url), &uri, &back, &mut |_, _| {})
        .unwrap();
    let uploaded = std::fs::read_to_string(&back).unwrap();
    assert_eq!(uploaded.lines().count(), 1 + v4_rows, "header and the IPv4 rows");
    assert!(!uploaded.contains("2001:db8"));

    let image = image_uri(session.region(), "ipinsights").unwrap();
    let role = "arn:aws:iam::123456789012:role/service-role/SageMakerExecution";
    let mut estimator = Estimator::new(&session, image, role)
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path(format!("s3://{BUCKET}/{prefix}/output"));
    estimator.set_hyperparameters(IpInsightsParams::new(1000, 128).epochs(2)).unwrap();
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();

    // IPv6 pairs are not sent: answered as not scorable, row by row; the request for the rest succeeds.
    let mut predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    let pairs: Vec<(String, IpAddr)> = vec![
        ("user-1".into(), "10.1.0.1".parse().unwrap()),
        ("user-4".into(), "2001:db8:4::1".parse().unwrap()),
        ("user-2".into(), "10.2.0.2".parse().unwrap()),
    ];
    let scored = predictor.predict(&pairs).unwrap();
    assert_eq!(scored.len(), 2);
    assert_eq!(scored.not_scorable.len(), 1);
    assert_eq!((scored.not_scorable[0].row, scored.not_scorable[0].entity.as_str()), (1, "user-4"));
    assert!(scored.not_scorable[0].reason.contains("IPv4"), "{:?}", scored.not_scorable);
    let by_row = scored.dot_products_by_row();
    assert!(by_row[0].is_some() && by_row[1].is_none() && by_row[2].is_some(), "{by_row:?}");

    // A verbose answer for 4,000 pairs is about 10 MiB: over SageMaker's 6 MiB, so it is split into requests
    // whose answers fit, and every pair comes back with its embeddings.
    predictor.deserializer = Deserializer::JsonVerbose;
    let many: Vec<(String, IpAddr)> = (0..4000)
        .map(|i| (format!("user-{}", i % 600), format!("10.{}.{}.1", i % 200, (i / 200) % 200).parse().unwrap()))
        .collect();
    let verbose = predictor.predict(&many).unwrap();
    assert_eq!(verbose.len(), many.len());
    assert!(verbose.predictions.iter().all(|p| p.entity_embedding.as_ref().is_some_and(|v| v.len() == 128)));
    predictor.deserializer = Deserializer::Json;

    // Batch transform: the test file (IPv6 rows left out by the upload) scored into test.csv.out.
    // Headerless, as SageMaker's inference CSV is (a header row would fail the job like any other bad record).
    let (test, test_v4, _) = tuples(50);
    let test_file = dir.path().join("test.csv");
    std::fs::write(&test_file, test.strip_prefix("entity,ip\n").unwrap()).unwrap();
    let data = session.upload_data(&test_file, BUCKET, &format!("{prefix}/test/test.csv")).unwrap();
    let mut transformer =
        estimator.transformer(1, "ml.m5.xlarge").unwrap().output_path(format!("s3://{BUCKET}/{prefix}/transform"));
    transformer.transform(&data, "text/csv", "Line").unwrap();
    transformer.wait().unwrap();
    assert_eq!(transformer.output_uri(&data).unwrap(), format!("s3://{BUCKET}/{prefix}/transform/test.csv.out"));
    let out = transformer.read_output(&data).unwrap();
    assert_eq!(out.len(), test_v4, "one prediction per IPv4 row");
    let online = predictor.predict(&[("user-1".to_string(), "10.1.0.1".parse::<IpAddr>().unwrap())]).unwrap();
    assert!(
        (out[4].dot_product - online.predictions[0].dot_product).abs() < 1e-4,
        "the transform job scores like the endpoint: {} vs {}",
        out[4].dot_product,
        online.predictions[0].dot_product
    );

    predictor.delete_endpoint().unwrap();
    let gone = predictor.predict(&pairs[..1]).unwrap_err();
    let missing = ErrorKind::NotFound { what: Missing::Endpoint, name: predictor.endpoint.clone() };
    assert_eq!(gone.kind(), &missing, "a deleted endpoint no longer answers, the same kind as locally: {gone}");
}

#[test]
fn a_role_sagemaker_cannot_assume_stops_the_setup_before_any_job() {
    let emulated = emulated_with(&[]);
    let with_role = |role: &str| {
        let cfg = AwsConfig { role_arn: Some(role.into()), ..AwsConfig::local_emulator(&emulated.url) };
        Session::with_backend(AwsBackend::new(cfg, Duration::from_millis(50)).unwrap())
    };
    // The account's roles (tests/aws_emulation.py): the notebooks' execution role, and an SSO sign-in's role.
    let execution = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Workshop";
    let sso = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/\
               AWSReservedSSO_AdministratorAccess_0123456789abcdef";
    assert_eq!(with_role(execution).execution_role().unwrap(), execution);
    let session = with_role(sso);
    let err = session.execution_role().unwrap_err().to_string();
    for part in [
        &format!("SageMaker cannot assume the execution role `{sso}` (from AwsConfig.role_arn)"),
        "IAM Identity Center (SSO) sign-in",
        "AmazonSageMaker-ExecutionRole-",
        "SAGEMAKER_ROLE_ARN",
    ] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }

    // What the check spares the user: SageMaker refuses the role at CreateTrainingJob, after the data cells ran.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.csv");
    std::fs::write(&file, tuples(10).0).unwrap();
    let uri = session.upload_data(&file, BUCKET, "roles/train/train.csv").unwrap();
    let image = image_uri(session.region(), "ipinsights").unwrap();
    let mut estimator = Estimator::new(&session, image, sso)
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path(format!("s3://{BUCKET}/roles/output"));
    estimator.set_hyperparameters(IpInsightsParams::new(100, 16).epochs(1)).unwrap();
    let err = estimator.fit(&[("train", TrainingInput::new(uri))]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    assert_eq!(err.aws_error().and_then(|e| e.service_code()), Some("ValidationException"), "{err}");
    assert!(err.to_string().contains(&format!("Could not assume role {sso}")), "{err}");
}

/// A SageMaker call as raw awsJson1.1 to the emulated account (moto routes it by the credential scope).
fn sagemaker_call(url: &str, action: &str) -> serde_json::Value {
    let answer = ureq::post(url)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", &format!("SageMaker.{action}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/sagemaker/aws4_request, SignedHeaders=host, \
             Signature=0",
        )
        .send("{}")
        .unwrap_or_else(|e| panic!("the emulated account answers {action}: {e}"));
    serde_json::from_str(&answer.into_body().read_to_string().unwrap()).unwrap()
}

/// How many resources a List call returns under `key`.
fn count(url: &str, action: &str, key: &str) -> usize {
    sagemaker_call(url, action)[key].as_array().map_or(0, Vec::len)
}

/// The keys of the bucket's objects.
fn object_keys(url: &str) -> Vec<String> {
    let body = ureq::get(format!("{url}/{BUCKET}?list-type=2")).call().unwrap().into_body().read_to_string().unwrap();
    body.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).map(String::from).collect()
}

#[test]
fn the_setup_cell_refuses_an_instance_type_without_quota_before_the_first_upload() {
    let emulated = emulated_with(&["--quota", "ml.m5.xlarge for endpoint usage=0"]);
    let session = Session::with_backend(
        AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap(),
    );
    // The workshop's setup cell: the types it will train and host on, checked before any data goes up.
    let both = [InstanceUse::Training, InstanceUse::Endpoint];
    let err = session.check_instance_type("ml.m5.xlarge", &both).unwrap_err().to_string();
    for part in ["ml.m5.xlarge is not available for endpoints in region us-east-1", "for endpoint usage\" is 0"] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }
    let err = session.check_instance_type("ml.m4.xlarge", &[InstanceUse::Training]).unwrap_err().to_string();
    assert!(err.contains("ml.m4.xlarge is not available for training jobs"), "{err}");
    assert!(object_keys(&emulated.url).is_empty(), "nothing uploaded");
    assert_eq!(count(&emulated.url, "ListTrainingJobs", "TrainingJobSummaries"), 0);
    // A type with quota for every use asked passes, and training alone passes for the type without endpoints.
    session.check_instance_type("ml.m5.large", &both).unwrap();
    session.check_instance_type("ml.m5.xlarge", &[InstanceUse::Training]).unwrap();
}

#[test]
fn an_instance_type_without_quota_in_the_region_is_refused_before_anything_is_created() {
    let emulated = emulated_with(&["--quota", "ml.m5.large for endpoint usage=0"]);
    let session = Session::with_backend(
        AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.csv");
    std::fs::write(&file, tuples(50).0).unwrap();
    let uri = session.upload_data(&file, BUCKET, "quota/train/train.csv").unwrap();
    let image = image_uri(session.region(), "ipinsights").unwrap();
    let role = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Workshop";
    let estimator = |instance_type: &str| {
        let mut estimator = Estimator::new(&session, image.clone(), role)
            .instance_count(1)
            .instance_type(instance_type)
            .output_path(format!("s3://{BUCKET}/quota/output"));
        estimator.set_hyperparameters(IpInsightsParams::new(200, 16).epochs(1)).unwrap();
        estimator
    };
    let nothing_created = |objects: &[&str]| {
        assert_eq!(object_keys(&emulated.url), objects, "no object written");
        for (action, key) in [
            ("ListTrainingJobs", "TrainingJobSummaries"),
            ("ListModels", "Models"),
            ("ListEndpointConfigs", "EndpointConfigs"),
            ("ListEndpoints", "Endpoints"),
            ("ListTransformJobs", "TransformJobSummaries"),
        ] {
            let created = if action == "ListTrainingJobs" && objects.len() > 1 { 1 } else { 0 };
            assert_eq!(count(&emulated.url, action, key), created, "{action}");
        }
    };

    // ml.m4.xlarge has quota 0 for training here (the emulated region has no M4 instances).
    let mut m4 = estimator("ml.m4.xlarge");
    let err = m4.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap_err().to_string();
    for part in [
        "ml.m4.xlarge is not available for training jobs in region us-east-1",
        "\"ml.m4.xlarge for training job usage\" is 0",
        "e.g. ml.m5.xlarge",
    ] {
        assert!(err.contains(part), "{part:?} not in {err}");
    }
    nothing_created(&["quota/train/train.csv"]);

    // With quota it trains; hosting on a type without endpoint quota is refused before CreateModel, and batch
    // transform on one without transform quota before its model too.
    let mut m5 = estimator("ml.m5.xlarge");
    m5.fit(&[("train", TrainingInput::new(uri))]).unwrap();
    let artifact = m5.latest_training_job.as_ref().unwrap().model_data.clone();
    let artifact_key = artifact.strip_prefix(&format!("s3://{BUCKET}/")).unwrap().to_string();
    let err = m5.deploy(1, "ml.m5.large").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    let err = err.to_string();
    assert!(err.contains("ml.m5.large is not available for endpoints in region us-east-1"), "{err}");
    assert!(err.contains("e.g. ml.m5.xlarge"), "{err}");
    let err = m5.transformer(1, "ml.m4.xlarge").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("ml.m4.xlarge is not available for batch transform jobs in region us-east-1"), "{err}");
    nothing_created(&[artifact_key.as_str(), "quota/train/train.csv"]);
}

#[test]
fn a_denied_quota_listing_is_said_once_and_the_job_goes_on() {
    let emulated = emulated_with(&["--quotas-denied"]);
    let backend = AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap();
    let mut notes = String::new();
    for usage in [InstanceUse::Training, InstanceUse::Endpoint, InstanceUse::Transform] {
        backend.check_instance_type("ml.m4.xlarge", usage, &mut |text| notes.push_str(text)).unwrap();
    }
    assert_eq!(notes.lines().count(), 1, "{notes}");
    assert!(notes.contains("Couldn't read SageMaker's instance quotas in region us-east-1"), "{notes}");
    assert!(notes.contains("AccessDeniedException") && notes.contains("servicequotas:ListServiceQuotas"), "{notes}");
}

/// The names a List call returns under `key`, each read from `field`.
fn names(url: &str, action: &str, key: &str, field: &str) -> Vec<String> {
    let listed = sagemaker_call(url, action);
    listed[key]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().filter_map(|r| r[field].as_str().map(String::from)).collect())
}

/// Endpoints, endpoint configs and models in the emulated account.
fn hosting(url: &str) -> [Vec<String>; 3] {
    [
        names(url, "ListEndpoints", "Endpoints", "EndpointName"),
        names(url, "ListEndpointConfigs", "EndpointConfigs", "EndpointConfigName"),
        names(url, "ListModels", "Models", "ModelName"),
    ]
}

#[test]
fn rerunning_deploy_then_cleanup_leaves_nothing_and_a_new_session_sweeps_what_a_lost_one_left() {
    // DescribeEndpoint is throttled 3 times per new endpoint, then says Creating a while (tests/aws_emulation.py).
    let emulated = emulated_with(&[]);
    let connect = || AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap();
    let session = Session::with_backend(connect());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("train.csv");
    std::fs::write(&file, tuples(100).0).unwrap();
    let uri = session.upload_data(&file, BUCKET, "rerun/train/train.csv").unwrap();
    let image = image_uri(session.region(), "ipinsights").unwrap();
    let role = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Workshop";
    let mut estimator = Estimator::new(&session, image, role)
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path(format!("s3://{BUCKET}/rerun/output"));
    estimator.set_hyperparameters(IpInsightsParams::new(200, 16).epochs(1)).unwrap();
    estimator.fit(&[("train", TrainingInput::new(uri))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap();

    // The deploy cell three times: one endpoint, endpoint config and model, named after the job, all tagged.
    for _ in 0..3 {
        let predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
        assert_eq!(predictor.endpoint, job.job_name);
        assert_eq!(
            predictor.predict(&[("user-1".to_string(), "10.1.0.1".parse::<IpAddr>().unwrap())]).unwrap().len(),
            1
        );
    }
    let one = vec![job.job_name.clone()];
    assert_eq!(hosting(&emulated.url), [one.clone(), one.clone(), one.clone()]);
    let leftovers = session.leftovers().unwrap();
    let kinds: Vec<String> = leftovers.items.iter().map(|i| format!("{} {}", i.kind, i.session)).collect();
    let id = session.id();
    assert_eq!(
        kinds,
        [format!("endpoint {id}"), format!("endpoint config {id}"), format!("model {id}")],
        "{leftovers}"
    );
    assert_eq!(leftovers.items[0].instance_type.as_deref(), Some("ml.m5.xlarge"));
    assert!((leftovers.total_hourly_cost() - 0.23).abs() < 1e-9, "{leftovers}");

    session.cleanup().unwrap();
    assert_eq!(hosting(&emulated.url), [Vec::<String>::new(), vec![], vec![]]);
    session.cleanup().unwrap();
    assert!(session.leftovers().unwrap().is_empty());

    // A session deploys, then is lost (a kernel restart): a new session lists what it left and deletes it.
    let lost = Session::with_backend(connect());
    let lost_id = lost.id().to_string();
    let mut again = Estimator::new(&lost, estimator.image_uri.clone(), role);
    again.attach(&job.job_name).unwrap();
    again.deploy(1, "ml.m5.xlarge").unwrap();
    drop((lost, again));
    let fresh = Session::with_backend(connect());
    let leftovers = fresh.leftovers().unwrap();
    assert_eq!(leftovers.len(), 3, "{leftovers}");
    assert!(leftovers.items.iter().all(|i| i.session == lost_id && i.name == job.job_name), "{leftovers}");
    assert!(leftovers.to_string().contains("1 × ml.m5.xlarge"), "{leftovers}");
    fresh.delete_leftovers().unwrap();
    assert_eq!(hosting(&emulated.url), [Vec::<String>::new(), vec![], vec![]]);
    fresh.delete_leftovers().unwrap();

    // The endpoint wait absorbs the throttling and says so; the deploy cell's output shows the note.
    let backend = connect();
    let model_data = ipinsights_sagemaker_facts::S3Uri::parse(&job.model_data).unwrap();
    let request = ipinsights_workshop::backend::EndpointRequest {
        model: ipinsights_workshop::backend::ModelRequest::new(
            "ipinsights-throttled",
            &estimator.image_uri,
            model_data,
            role,
        ),
        endpoint_name: "ipinsights-throttled".into(),
        initial_instance_count: 1,
        instance_type: "ml.m5.xlarge".into(),
    };
    let request = request.check().unwrap();
    let mut shown = String::new();
    backend.deploy(&request, &mut |text| shown.push_str(text)).unwrap();
    assert!(shown.contains("DescribeEndpoint: 3 attempts failed with ThrottlingException and were retried"), "{shown}");
    assert!(shown.trim_end().ends_with("---!"), "Creating, then InService: {shown}");
    backend.delete_endpoint("ipinsights-throttled").unwrap();
}

#[test]
fn a_call_sagemaker_keeps_throttling_is_a_throttled_error_keeping_the_aws_error() {
    let emulated = emulated_with(&["--throttle", "ListEndpoints"]);
    let session = Session::with_backend(
        AwsBackend::new(AwsConfig::local_emulator(&emulated.url), Duration::from_millis(50)).unwrap(),
    );
    // The sweep lists endpoints first; SageMaker answers ThrottlingException past the SDK's retries.
    let err = session.leftovers().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Throttled, "{err}");
    let aws = err.aws_error().expect("the AwsError is kept as the source");
    assert_eq!(aws.service_code(), Some("ThrottlingException"), "{aws}");
    assert!(err.to_string().contains("ListEndpoints") && err.to_string().contains("Rate exceeded"), "{err}");
}
