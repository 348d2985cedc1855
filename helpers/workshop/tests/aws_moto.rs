//! The facade's AWS backend end to end against a moto server (S3, SageMaker and SageMaker Runtime on loopback):
//! bucket check (404, then success), upload, fit, deploy, predict, delete (twice). Run with `--features aws`.
#![cfg(feature = "aws")]

use ipinsights_workshop::prelude::*;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let exe = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server"));
        assert!(
            exe.exists(),
            "moto_server not found at {} (scripts/setup installs it; or set MOTO_SERVER)",
            exe.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(format!("{}/moto-api/data.json", moto.url)).call().is_err() {
            assert!(moto.child.try_wait().unwrap().is_none(), "moto_server exited early");
            assert!(Instant::now() < deadline, "moto_server did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_workshop_calls_run_on_the_aws_backend() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut session = Session::local_at(dir.path());
    session.backend = Backend::Aws;
    session.aws_endpoint_url = Some(moto.url.clone());
    session.poll_interval = Duration::from_millis(50);
    let (bucket, prefix) = ("workshop-moto-bucket", "secml/ipinsights");

    let missing = session.check_bucket(bucket, prefix).unwrap_err().to_string();
    assert!(missing.contains("Hey! Your bucket, workshop-moto-bucket, doesn't exist!"), "{missing}");
    ureq::put(format!("{}/{bucket}", moto.url)).send_empty().expect("moto creates the bucket");
    session.check_bucket(bucket, prefix).unwrap();

    let file = dir.path().join("tuples.csv");
    std::fs::write(&file, "AIDAEXAMPLE1,1.2.3.4\nAIDAEXAMPLE2,5.6.7.8\n").unwrap();
    let uri = session.upload_data(&file, bucket, &format!("{prefix}/train/cloudtrail_tuples.csv")).unwrap();
    assert_eq!(uri, format!("s3://{bucket}/{prefix}/train/cloudtrail_tuples.csv"));

    let image = image_uri(&session.region, "ipinsights").unwrap();
    let role = "arn:aws:iam::123456789012:role/SageMakerExecution";
    let output = format!("s3://{bucket}/{prefix}/output");
    let mut estimator = Estimator::new(&session, image, role, 1, "ml.m4.xlarge", output.clone());
    estimator.set_hyperparameters([("num_entity_vectors", "20000"), ("vector_dim", "128"), ("epochs", "5")]);
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap();
    assert!(job.job_name.starts_with("ipinsights-"), "{job:?}");
    assert!(job.model_data.starts_with(&output), "{job:?}");

    let mut attached = Estimator::new(&session, "image", role, 1, "ml.m4.xlarge", output.clone());
    attached.attach(&job.job_name).unwrap();
    assert_eq!(attached.latest_training_job.as_ref().unwrap().model_data, job.model_data);

    let mut bad = estimator.clone();
    bad.set_hyperparameters([("epochs", "0")]);
    assert!(bad.fit(&[("train", TrainingInput::new(uri))]).unwrap_err().to_string().contains("epochs"));

    let predictor = estimator.deploy(1, "ml.m4.xlarge").unwrap();
    let answer = r#"{"predictions": [{"dot_product": 1.5}, {"dot_product": -2.0}]}"#;
    let queued = serde_json::json!({ "results": [{ "Body": answer, "ContentType": "application/json" }] });
    ureq::post(format!("{}/moto-api/static/sagemaker/endpoint-results", moto.url))
        .header("content-type", "application/json")
        .send(queued.to_string())
        .expect("moto queues the answer");
    let pairs: Vec<(String, IpAddr)> =
        vec![("AIDAEXAMPLE1".into(), "1.2.3.4".parse().unwrap()), ("AIDAEXAMPLE2".into(), "5.6.7.8".parse().unwrap())];
    let scored = predictor.predict(&pairs).unwrap();
    assert_eq!(scored.dot_products(), vec![1.5, -2.0]);

    let attached = Predictor::attach(&session, &predictor.endpoint).unwrap();
    assert_eq!(attached.endpoint, predictor.endpoint);
    predictor.delete_endpoint().unwrap();
    let again = predictor.delete_endpoint().unwrap_err().to_string();
    assert!(!again.is_empty());
    assert!(Predictor::attach(&session, &predictor.endpoint).is_err());
}
