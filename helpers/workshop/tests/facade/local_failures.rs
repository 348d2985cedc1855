//! What the local backend does when things go wrong, with the real release binary: a model the server cannot
//! load fails `deploy` with the server's reason and leaves no endpoint behind.

use ipinsights_workshop::prelude::*;
use ipinsights_workshop::TrainingJob;

#[test]
fn a_model_the_server_cannot_load_fails_deploy_with_its_reason() {
    ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
    let root = tempfile::tempdir().unwrap();
    let session = Session::local_at(root.path());
    let artifact = root.path().join("workshop-bucket/output/job/output/model.tar.gz");
    std::fs::create_dir_all(artifact.parent().unwrap()).unwrap();
    std::fs::write(&artifact, b"\x1f\x8b not really a model").unwrap();
    let mut estimator = Estimator::new(&session, "image", "role");
    estimator.latest_training_job = Some(TrainingJob {
        job_name: "job".into(),
        status: ipinsights_sagemaker_facts::TrainingJobStatus::Completed,
        model_data: "s3://workshop-bucket/output/job/output/model.tar.gz".into(),
        training_seconds: 1,
    });
    let err = estimator.deploy(1, "ml.m5.xlarge").unwrap_err();
    assert!(err.to_string().contains("failed to start (exit status: 1): error: "), "{err}");
    let ErrorKind::EndpointFailed { endpoint_name: name, reason } = err.kind().clone() else { panic!("{err}") };
    assert!(reason.starts_with("error: ") && reason.contains("model.tar.gz"), "{err}");
    let gone = Predictor::attach(&session, &name).unwrap_err();
    assert_eq!(gone.kind(), &ErrorKind::NotFound { what: Missing::Endpoint, name: name.clone() }, "{gone}");
    let endpoints: Vec<_> = std::fs::read_dir(root.path().join("endpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    assert!(endpoints.is_empty(), "no endpoint record is left behind: {endpoints:?}");
}
