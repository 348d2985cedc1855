//! The kinds of the local backend's errors, which a caller matches instead of reading the message: a training job
//! that fails is `JobFailed` with its name and reason (on `fit` and on `attach`), what does not exist is `NotFound`
//! naming it, a refused value is `Validation`, and what only AWS can do is `Unsupported`. The AWS backend's errors
//! have the same kinds (`aws_moto.rs`, `aws_emulated.rs`).

use ipinsights_workshop::prelude::*;

/// A local session with the workshop bucket, and an estimator ready to fit (hyperparameters set).
fn estimator(root: &std::path::Path) -> (Session, Estimator) {
    ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
    let session = Session::local_at(root);
    session.check_bucket("workshop-bucket", "p").unwrap();
    let mut estimator = Estimator::new(&session, "image", "role")
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path("s3://workshop-bucket/p/output");
    estimator.set_hyperparameters(IpInsightsParams::new(100, 8).epochs(1)).unwrap();
    (session, estimator)
}

#[test]
fn a_failed_training_job_is_job_failed_with_its_name_and_reason() {
    let root = tempfile::tempdir().unwrap();
    let (session, mut estimator) = estimator(root.path());
    let empty = root.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let uri = session.upload_data(&empty, "workshop-bucket", "p/train/empty.csv").unwrap();
    let err = estimator.fit(&[("train", TrainingInput::new(uri))]).unwrap_err();
    let ErrorKind::JobFailed { job_name, reason } = err.kind().clone() else { panic!("not JobFailed: {err}") };
    let record = root.path().join("training-jobs").join(format!("{job_name}.json"));
    assert!(record.is_file(), "{job_name} names the job recorded at {}", record.display());
    assert!(reason.contains("no tuples"), "{reason}");
    let attached = Estimator::new(&session, "image", "role").attach(&job_name).unwrap_err();
    assert_eq!(attached.kind(), &ErrorKind::JobFailed { job_name, reason }, "attach says the same: {attached}");
}

#[test]
fn what_does_not_exist_is_not_found_with_its_name() {
    let root = tempfile::tempdir().unwrap();
    let (session, mut estimator) = estimator(root.path());
    let err = Predictor::attach(&session, "no-such-endpoint").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound { what: Missing::Endpoint, name: "no-such-endpoint".into() });
    let err = Estimator::new(&session, "image", "role").attach("ipinsights-no-such-job").unwrap_err();
    let job = ErrorKind::NotFound { what: Missing::TrainingJob, name: "ipinsights-no-such-job".into() };
    assert_eq!(err.kind(), &job, "{err}");
    let missing = "s3://workshop-bucket/p/train/missing.csv";
    let err = estimator.fit(&[("train", TrainingInput::new(missing))]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound { what: Missing::Object, name: missing.into() }, "{err}");
}

#[test]
fn a_refused_value_is_a_validation_error() {
    let root = tempfile::tempdir().unwrap();
    let (session, mut estimator) = estimator(root.path());
    let err = estimator.set_hyperparameters(IpInsightsParams::new(100, 8).epochs(0)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    let train = TrainingInput::new("s3://workshop-bucket/p/train/t.csv");
    let err = estimator.fit(&[("train", train.clone()), ("test", train)]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    let err = session.upload_data(&root.path().join("t.csv"), "Bad_Bucket", "k").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
    assert_eq!(Session::local_at(root.path()).check_bucket("ab", "p").unwrap_err().kind(), &ErrorKind::Validation);
}

#[test]
fn what_only_aws_can_do_is_unsupported_locally() {
    let root = tempfile::tempdir().unwrap();
    let session = Session::local_at(root.path());
    let err = account::teardown_detector(&session).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unsupported, "{err}");
}
