//! The workshop flow against moto: bucket check, uploads (single and multipart) and download, training job
//! (fields read back with DescribeTrainingJob), deploy (read back with DescribeModel/DescribeEndpointConfig),
//! invoke, delete.

use ipinsights_test_support::moto;

use std::collections::BTreeMap;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use ipinsights_aws_calls::*;
use ipinsights_test_support::block_on;
use moto::Moto;
use serde_json::json;

const BUCKET: &str = "ipinsights-workshop";
const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";

fn create_bucket(moto: &Moto, bucket: &str) {
    block_on(moto.s3().create_bucket().bucket(bucket).send()).unwrap();
}

/// The moto server these tests share, with [`BUCKET`] made once: each test keeps to its own names.
fn shared_moto() -> &'static Moto {
    static BUCKET_MADE: Once = Once::new();
    let moto = Moto::shared();
    BUCKET_MADE.call_once(|| create_bucket(moto, BUCKET));
    moto
}

#[test]
fn bucket_check_reports_the_seed_messages() {
    let moto = shared_moto();
    let ok = check_bucket(&moto.cfg(), BUCKET, "ipinsights").unwrap();
    assert_eq!(ok.to_string(), "Training input/output will be stored in: s3://ipinsights-workshop/ipinsights");
    assert_eq!(ok.region, "us-east-1");
    let err = check_bucket(&moto.cfg(), "no-such-bucket", "ipinsights").unwrap_err();
    assert_eq!(err.to_string(), "Hey! Your bucket, no-such-bucket, doesn't exist!");
    for invalid in ["", "<<your-bucket-name>>", "a/b"] {
        let err = check_bucket(&moto.cfg(), invalid, "ipinsights").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!"
        );
    }
}

#[test]
fn uploads_single_and_multipart_and_downloads_them_back() {
    let moto = shared_moto();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("cloudtrail_tuples.csv");
    std::fs::write(&small, "AIDAEXAMPLE1,1.2.3.4\nAIDAEXAMPLE2,5.6.7.8\n").unwrap();
    let mut calls = Vec::new();
    let up =
        upload_file(&moto.cfg(), &small, "s3://ipinsights-workshop/ipinsights/train/", &mut |d, t| calls.push((d, t)))
            .unwrap();
    assert_eq!(up.uri, "s3://ipinsights-workshop/ipinsights/train/cloudtrail_tuples.csv");
    assert_eq!((up.bytes, up.multipart, up.parts), (42, false, 1));
    assert_eq!(calls, [(0, 42), (42, 42)]);

    // 11 MiB + 3 bytes in 5 MiB parts: three parts, the last one small.
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..11 * 1024 * 1024 + 3).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    let options =
        TransferOptions { multipart_threshold: 5 * 1024 * 1024, part_size: 5 * 1024 * 1024, ..Default::default() };
    let mut calls = Vec::new();
    let up = upload_file_with(&moto.cfg(), &big, "s3://ipinsights-workshop/big/big.bin", &options, &mut |d, t| {
        calls.push((d, t))
    })
    .unwrap();
    let total = data.len() as u64;
    assert_eq!((up.bytes, up.multipart, up.parts), (total, true, 3));
    assert_eq!(calls, [(0, total), (5 << 20, total), (10 << 20, total), (total, total)]);

    let back = dir.path().join("down/again/big.bin");
    let mut last = (0, 0);
    let n =
        download_file(&moto.cfg(), "s3://ipinsights-workshop/big/big.bin", &back, &mut |d, t| last = (d, t)).unwrap();
    assert_eq!((n, last), (total, (total, total)));
    assert!(std::fs::read(&back).unwrap() == data, "downloaded bytes differ");
    assert!(!back.with_file_name("big.bin.part").exists());

    let err = download_file(&moto.cfg(), "s3://ipinsights-workshop/missing.bin", &back, &mut |_, _| {}).unwrap_err();
    let AwsError::Service(e) = &err else { panic!("{err:?}") };
    assert_eq!((e.operation, e.code.as_deref(), e.http_status), ("GetObject", Some("NoSuchKey"), Some(404)));
    assert!(std::fs::read(&back).unwrap() == data, "a failed download leaves the old file alone");

    // Server-side encryption, as S3 records it: AES256 on a single PUT, aws:kms with its key on a multipart upload.
    let sse = |kind: ServerSideEncryption| TransferOptions { server_side_encryption: Some(kind), ..options.clone() };
    upload_file_with(
        &moto.cfg(),
        &small,
        "s3://ipinsights-workshop/sse/s3.csv",
        &sse(ServerSideEncryption::Aes256),
        &mut |_, _| {},
    )
    .unwrap();
    let key = "arn:aws:kms:us-east-1:123456789012:key/0d5d8f4e-workshop";
    let kms = ServerSideEncryption::Kms { key_id: Some(key.into()) };
    let up =
        upload_file_with(&moto.cfg(), &big, "s3://ipinsights-workshop/sse/kms.bin", &sse(kms), &mut |_, _| {}).unwrap();
    assert!(up.multipart);
    let head = |key: &str| block_on(moto.s3().head_object().bucket(BUCKET).key(key).send()).unwrap();
    assert_eq!(head("big/big.bin").server_side_encryption(), None, "nothing asked, nothing recorded");
    let aes = head("sse/s3.csv");
    assert_eq!(aes.server_side_encryption().map(|s| s.as_str()), Some("AES256"));
    let with_kms = head("sse/kms.bin");
    assert_eq!(with_kms.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"));
    assert_eq!(with_kms.ssekms_key_id(), Some(key));
}

fn hyperparameters() -> HyperParameters {
    IpInsightsParams::new(20000, 128)
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(5)
        .learning_rate(0.01)
        .check()
        .unwrap()
}

/// A training job created on moto as `fit` creates it, with a validation channel.
struct Created {
    cfg: AwsConfig,
    image: String,
    job_name: String,
    arn: String,
}

/// A training job created on the shared moto server, named after its test (`base`).
fn create_job(base: &str) -> Created {
    let moto = shared_moto();
    let cfg = AwsConfig { role_arn: Some(ROLE.into()), ..moto.cfg() };
    let region = resolve_region(&cfg).unwrap();
    let image = image_uri(&region, "ipinsights").unwrap();
    let job_name = name_from_base(&format!("{ALGORITHM}-{base}"), SystemTime::now());
    let uri = |s: &str| S3Uri::parse(s).unwrap();
    let mut spec = TrainingJobRequest::new(
        &job_name,
        &image,
        &execution_role(&cfg).unwrap(),
        uri("s3://ipinsights-workshop/ipinsights/train/cloudtrail_tuples.csv"),
        uri("s3://ipinsights-workshop/ipinsights/output"),
        hyperparameters(),
    );
    spec.channels.push(Channel::new("validation", uri("s3://ipinsights-workshop/ipinsights/validation/")));
    let arn = create_training_job(&cfg, &spec.check().unwrap()).unwrap();
    Created { cfg, image, job_name, arn }
}

/// Where the job's model goes.
fn artifact_of(job_name: &str) -> String {
    format!("s3://ipinsights-workshop/ipinsights/output/{job_name}/output/model.tar.gz")
}

/// The job's model deployed to an endpoint of the job's name, as `deploy` does; what deploy printed.
fn deploy_job(created: &Created) -> (EndpointInfo, String) {
    let Created { cfg, image, job_name, .. } = created;
    let artifact = S3Uri::parse(&artifact_of(job_name)).unwrap();
    let deploy_spec = EndpointRequest {
        model: ModelRequest::new(job_name, image, artifact, ROLE),
        endpoint_name: job_name.clone(),
        instance_type: "ml.m5.xlarge".into(),
        initial_instance_count: 1,
    };
    let mut out = String::new();
    let ep = deploy(cfg, &deploy_spec.check().unwrap(), Duration::from_millis(10), &mut |s| out.push_str(s)).unwrap();
    (ep, out)
}

#[test]
fn create_training_job_sends_what_the_sdk_sends() {
    let moto = shared_moto();
    let Created { image, job_name, arn, .. } = create_job("create");
    assert!(arn.ends_with(&format!(":training-job/{job_name}")), "{arn}");

    // Read back what CreateTrainingJob sent.
    let d = block_on(moto.sagemaker().describe_training_job().training_job_name(&job_name).send()).unwrap();
    let algo = d.algorithm_specification().unwrap();
    assert_eq!(algo.training_image(), Some(image.as_str()));
    assert_eq!(algo.training_input_mode().map(|m| m.as_str()), Some("File"));
    assert_eq!(d.role_arn(), Some(ROLE));
    let channels: Vec<_> = d
        .input_data_config()
        .iter()
        .map(|c| {
            let s3 = c.data_source().unwrap().s3_data_source().unwrap();
            (
                c.channel_name().unwrap(),
                s3.s3_data_type().unwrap().as_str(),
                s3.s3_uri().unwrap(),
                s3.s3_data_distribution_type().unwrap().as_str(),
                c.content_type().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            (
                "train",
                "S3Prefix",
                "s3://ipinsights-workshop/ipinsights/train/cloudtrail_tuples.csv",
                "FullyReplicated",
                "text/csv"
            ),
            (
                "validation",
                "S3Prefix",
                "s3://ipinsights-workshop/ipinsights/validation/",
                "FullyReplicated",
                "text/csv"
            ),
        ]
    );
    assert_eq!(d.output_data_config().unwrap().s3_output_path(), Some("s3://ipinsights-workshop/ipinsights/output"));
    let rc = d.resource_config().unwrap();
    assert_eq!(
        (rc.instance_type().unwrap().as_str(), rc.instance_count(), rc.volume_size_in_gb()),
        ("ml.m5.xlarge", Some(1), Some(30))
    );
    assert_eq!(d.stopping_condition().unwrap().max_runtime_in_seconds(), Some(86_400));
    let sent: BTreeMap<String, String> = d.hyper_parameters().unwrap().clone().into_iter().collect();
    let expected: BTreeMap<String, String> = [
        ("num_entity_vectors", "20000"),
        ("random_negative_sampling_rate", "5"),
        ("vector_dim", "128"),
        ("mini_batch_size", "1000"),
        ("epochs", "5"),
        ("learning_rate", "0.01"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into();
    assert_eq!(sent, expected, "the given hyperparameters as the SDK's strings, defaults left out");
}

#[test]
fn waiting_for_a_job_prints_its_status_and_gives_what_describe_gives() {
    let Created { cfg, job_name, .. } = create_job("wait");
    // moto completes jobs at once, with one "Starting" transition.
    let mut out = String::new();
    let job = wait_for_training_job(&cfg, &job_name, Duration::from_millis(10), &mut |s| out.push_str(s)).unwrap();
    assert_eq!(job.status, TrainingJobStatus::Completed);
    let artifact = artifact_of(&job_name);
    assert_eq!(job.model_artifact.as_deref(), Some(artifact.as_str()));
    let line = out.lines().next().unwrap();
    assert_eq!(
        line.len(),
        "2019-12-16 23:39:04".len() + " Starting - Preparing the instances for training".len(),
        "{out}"
    );
    assert!(line.ends_with(" Starting - Preparing the instances for training"), "{out}");
    assert!(out.ends_with('\n'));
    assert_eq!(describe_training_job(&cfg, &job_name).unwrap(), job);
}

#[test]
fn deploy_creates_the_model_and_endpoint_config_the_sdk_would() {
    let moto = shared_moto();
    let created = create_job("deploy");
    let (ep, out) = deploy_job(&created);
    let Created { cfg, image, job_name, .. } = created;
    let artifact = artifact_of(&job_name);
    assert_eq!(out, "!\n");
    assert_eq!((ep.status.as_str(), ep.endpoint_config_name.as_str()), ("InService", job_name.as_str()));
    let m = block_on(moto.sagemaker().describe_model().model_name(&job_name).send()).unwrap();
    let container = m.primary_container().unwrap();
    assert_eq!((container.image(), container.model_data_url()), (Some(image.as_str()), Some(artifact.as_str())));
    assert_eq!(m.execution_role_arn(), Some(ROLE));
    let c = block_on(moto.sagemaker().describe_endpoint_config().endpoint_config_name(&job_name).send()).unwrap();
    let [v] = c.production_variants() else { panic!("{c:?}") };
    assert_eq!(v.variant_name(), Some("AllTraffic"));
    assert_eq!(v.model_name(), Some(job_name.as_str()));
    assert_eq!(v.initial_instance_count(), Some(1));
    assert_eq!(v.instance_type().map(|t| t.as_str()), Some("ml.m5.xlarge"));
    assert_eq!(v.initial_variant_weight(), Some(1.0));
    assert_eq!(describe_endpoint(&cfg, &job_name).unwrap(), ep);
}

#[test]
fn invoke_gives_the_endpoints_answer_as_it_came() {
    let moto = shared_moto();
    let created = create_job("invoke");
    deploy_job(&created);
    let Created { cfg, job_name, .. } = created;
    // Invoke: moto answers from its queue.
    let answer = r#"{"predictions": [{"dot_product": 2.5}, {"dot_product": -1.25}]}"#;
    moto.queue_endpoint_results(json!([{ "Body": answer, "ContentType": "application/json" }]));
    let body = b"AIDAEXAMPLE1,1.2.3.4\nAIDAEXAMPLE2,5.6.7.8\n".to_vec();
    let got = invoke_endpoint(&cfg, &job_name, body, "text/csv", "application/json").unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), answer);
}

#[test]
fn delete_removes_endpoint_config_and_model_and_a_second_delete_says_not_found() {
    let moto = shared_moto();
    let created = create_job("delete");
    deploy_job(&created);
    let Created { cfg, job_name, .. } = created;
    // Delete everything; a second delete is a clear error.
    let deleted = delete_endpoint(&cfg, &job_name).unwrap();
    assert_eq!(
        deleted,
        DeletedEndpoint {
            endpoint_name: job_name.clone(),
            endpoint_config_name: Some(job_name.clone()),
            model_names: vec![job_name.clone()],
        }
    );
    assert!(matches!(describe_endpoint(&cfg, &job_name), Err(AwsError::EndpointNotFound { .. })));
    assert!(block_on(moto.sagemaker().describe_endpoint_config().endpoint_config_name(&job_name).send()).is_err());
    assert!(block_on(moto.sagemaker().describe_model().model_name(&job_name).send()).is_err());
    let err = delete_endpoint(&cfg, &job_name).unwrap_err();
    assert!(matches!(err, AwsError::EndpointNotFound { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("endpoint {job_name} does not exist (never created, or already deleted)")),
        "{shown}"
    );
    assert!(shown.contains("ValidationException: Could not find endpoint"), "{shown}");
}

#[test]
fn a_missing_training_job_is_a_service_error_with_code_message_and_status() {
    let moto = shared_moto();
    let err = describe_training_job(&moto.cfg(), "ipinsights-never-created").unwrap_err();
    let AwsError::Service(e) = &err else { panic!("{err:?}") };
    assert_eq!(
        (e.operation, e.code.as_deref(), e.http_status),
        ("DescribeTrainingJob", Some("ValidationException"), Some(400))
    );
    assert!(e.message.as_deref().is_some_and(|m| m.contains("Could not find training job")), "{e:?}");
    assert!(
        err.to_string().starts_with("DescribeTrainingJob failed: ValidationException: Could not find training job"),
        "{err}"
    );
}
