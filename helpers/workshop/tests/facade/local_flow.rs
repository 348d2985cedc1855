//! The workshop's local flow through the facade, with the real `ipinsights` release binary (built by
//! `scripts/setup`; a missing or stale one fails with the command to run) and real endpoint processes: bucket
//! check, simulated CloudTrail → tuples → upload, fit, attach, deploy, predict, batch transform, delete (twice).
//! One behaviour per test; the model they share is trained, and deployed, once per binary ([`trained`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use ipinsights_engine::tuples::{write_tuples, Tuple};
use ipinsights_security_logs::{read_cloudtrail, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_workshop::prelude::*;

/// The bucket and prefix the flow's cells use.
const BUCKET: &str = "workshop-test-bucket";
const PREFIX: &str = "ipinsights";

/// Held while a test trains a model of its own: job names are stamped to the millisecond.
static FITTING: Mutex<()> = Mutex::new(());

/// What the cells up to `deploy` leave: one trained model, its endpoint, and its scores of the training pairs.
struct Trained {
    /// The local backend's root (the bucket, the job records).
    root: PathBuf,
    session: Session,
    /// The tuples of the simulated trail, in the order the reader gives them.
    tuples: Vec<Tuple>,
    /// The first 2,000 of them as (entity, IP) pairs.
    pairs: Vec<(String, IpAddr)>,
    /// The training data's S3 URI.
    uri: String,
    /// The estimator before `fit`, as the setup cell leaves it.
    unfitted: Estimator,
    /// The estimator after `fit`.
    estimator: Estimator,
    predictor: Predictor,
    /// The endpoint's scores of `pairs`.
    scored: Predictions,
}

/// The shared set-up, done once per test binary: simulate, read, upload, fit, deploy, predict. Its files stay under
/// cargo's temporary folder for tests until the next run (endpoints stop with the test process).
fn trained() -> &'static Trained {
    static TRAINED: OnceLock<Trained> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let root = ipinsights_test_support::shared_dir(env!("CARGO_TARGET_TMPDIR"), "local_flow");
        let session = Session::local_at(&root.join("aws"));
        ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
        session.check_bucket(BUCKET, PREFIX).unwrap();

        let config = SimConfig { events: 6_000, findings: 20, ..SimConfig::default() };
        let account = simulate_account(&config, &root.join("account")).unwrap();
        let extract = read_cloudtrail(&account.cloudtrail_dir, TupleMode::AllEvents).unwrap();
        assert_eq!(extract.tuples.len(), account.expected_tuples);
        let csv = root.join("cloudtrail_tuples.csv");
        write_tuples(&csv, extract.pairs()).unwrap();
        let uri = session.upload_data(&csv, BUCKET, &format!("{PREFIX}/train/cloudtrail_tuples.csv")).unwrap();

        let image = image_uri(session.region(), "ipinsights").unwrap();
        let role = session.execution_role().unwrap();
        let mut unfitted = Estimator::new(&session, image, role)
            .instance_count(1)
            .instance_type("ml.m5.xlarge")
            .output_path(format!("s3://{BUCKET}/{PREFIX}/output"));
        unfitted.set_hyperparameters(IpInsightsParams::new(200, 16).epochs(3).mini_batch_size(500)).unwrap();
        let mut estimator = unfitted.clone();
        estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();

        let predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
        let tuples: Vec<Tuple> = extract.pairs().cloned().collect();
        let pairs: Vec<(String, IpAddr)> = tuples.iter().take(2_000).map(|t| (t.entity.clone(), t.ip)).collect();
        let scored = predictor.predict(&pairs).unwrap();
        Trained { root, session, tuples, pairs, uri, unfitted, estimator, predictor, scored }
    })
}

#[test]
fn fit_writes_the_model_artifact_under_the_jobs_output_path() {
    let Trained { root, estimator, .. } = trained();
    let job = estimator.latest_training_job.clone().unwrap();
    assert!(job.job_name.starts_with("ipinsights-"));
    let key = job.model_data.strip_prefix(&format!("s3://{BUCKET}/")).unwrap();
    assert!(key.ends_with(&format!("{}/output/model.tar.gz", job.job_name)), "{}", job.model_data);
    let artifact = root.join("aws").join(BUCKET).join(key);
    assert!(artifact.is_file(), "artifact at {}", artifact.display());
}

#[test]
fn the_job_record_says_what_describe_training_job_would() {
    let Trained { root, estimator, .. } = trained();
    let job = estimator.latest_training_job.clone().unwrap();
    let record: ipinsights_contract::JobRecord = ipinsights_contract::read_record(
        &root.join("aws").join("training-jobs").join(format!("{}.json", job.job_name)),
    )
    .unwrap();
    assert_eq!(record.training_job_status, ipinsights_sagemaker_facts::TrainingJobStatus::Completed);
    assert_eq!(record.model_artifacts.as_deref(), Some(job.model_data.as_str()));
    assert_eq!(record.hyperparameters.len(), 4, "the given values: {:?}", record.hyperparameters);
}

#[test]
fn a_failed_job_is_recorded_with_its_reason_and_attaching_to_it_says_why() {
    let Trained { root, session, estimator, .. } = trained();
    // The names the lines below had in the story test they come from.
    let (session, bucket, prefix) = (session.clone(), BUCKET, PREFIX);
    let empty = root.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let empty_uri = session.upload_data(&empty, bucket, &format!("{prefix}/train/empty.csv")).unwrap();
    let mut failing = estimator.clone();
    let fitting = FITTING.lock().unwrap_or_else(|e| e.into_inner());
    let err = failing.fit(&[("train", TrainingInput::new(empty_uri))]).unwrap_err();
    drop(fitting);
    let ErrorKind::JobFailed { job_name: failed_job, reason } = err.kind().clone() else { panic!("{err}") };
    assert!(reason.contains("no tuples"), "{err}");
    let err = Estimator::new(&session, "image", "role").attach(&failed_job).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::JobFailed { job_name: failed_job.clone(), reason }, "{err}");
    assert!(err.to_string().starts_with(&format!("training job {failed_job} is Failed: ")), "{err}");
}

#[test]
fn a_fresh_estimator_attaches_to_a_finished_job_by_name() {
    let Trained { session, estimator, .. } = trained();
    let job = estimator.latest_training_job.clone().unwrap();
    let mut attached_estimator = Estimator::new(session, "image", "role");
    attached_estimator.attach(&job.job_name).unwrap();
    assert_eq!(attached_estimator.latest_training_job, Some(job.clone()));
    assert!(attached_estimator.attach("ipinsights-no-such-job").is_err());
}

#[test]
fn the_endpoint_scores_most_training_pairs_as_normal() {
    let Trained { pairs, scored, .. } = trained();
    assert_eq!(scored.len(), pairs.len());
    let positive = scored.dot_products().iter().filter(|&&s| s > 0.0).count();
    assert!(positive * 10 > pairs.len() * 8, "most training pairs score normal: {positive}/{}", pairs.len());
    assert!(scored.head(3).to_html().contains("dot_product"));
}

#[test]
fn a_verbose_answer_carries_the_embedding_and_the_same_score() {
    let Trained { predictor, pairs, scored, .. } = trained();
    let mut verbose = predictor.clone();
    verbose.deserializer = Deserializer::JsonVerbose;
    let with_embeddings = verbose.predict_csv(&format!("{},{}\n", pairs[0].0, pairs[0].1)).unwrap();
    assert_eq!(with_embeddings.predictions[0].ip_embedding.as_ref().unwrap().len(), 16);
    assert_eq!(with_embeddings.predictions[0].dot_product, scored.predictions[0].dot_product);
}

#[test]
fn every_serializer_and_deserializer_give_the_same_scores() {
    let Trained { predictor, pairs, scored, .. } = trained();
    for serializer in [Serializer::Csv, Serializer::Json, Serializer::JsonLines] {
        for deserializer in [Deserializer::Json, Deserializer::JsonLines, Deserializer::JsonLinesVerbose] {
            let mut p = predictor.clone();
            (p.serializer, p.deserializer) = (serializer, deserializer);
            let got = p.predict(&pairs[..50]).unwrap().dot_products();
            assert_eq!(got, scored.dot_products()[..50].to_vec(), "{serializer:?} / {deserializer:?}");
        }
    }
}

#[test]
fn a_transform_job_scores_the_file_as_the_endpoint_does() {
    let Trained { root, session, tuples, estimator, scored, .. } = trained();
    let test_csv = root.join("test.csv");
    let test_tuples: Vec<_> = tuples.iter().take(500).cloned().collect();
    write_tuples(&test_csv, &test_tuples).unwrap();
    let data = session.upload_data(&test_csv, BUCKET, &format!("{PREFIX}/test/test.csv")).unwrap();
    let mut transformer =
        estimator.transformer(1, "ml.m5.xlarge").unwrap().output_path(format!("s3://{BUCKET}/{PREFIX}/transform"));
    transformer.transform(&data, "text/csv", "Line").unwrap();
    transformer.wait().unwrap();
    assert_eq!(transformer.output_uri(&data).unwrap(), format!("s3://{BUCKET}/{PREFIX}/transform/test.csv.out"));
    let batch: Vec<f32> = transformer.read_output(&data).unwrap().iter().map(|p| p.dot_product).collect();
    assert_eq!(batch, scored.dot_products()[..500].to_vec(), "the transform job scores as the endpoint does");
}

#[test]
fn a_predictor_attached_by_endpoint_name_scores_the_same() {
    let Trained { session, predictor, pairs, scored, .. } = trained();
    let attached = Predictor::attach(session, &predictor.endpoint).unwrap();
    assert_eq!(attached.predict(&pairs[..1]).unwrap().predictions[0].dot_product, scored.predictions[0].dot_product);
}

/// Its own model (the endpoint is named after the job, so deleting the shared one would pull it from the other
/// tests): trained on the same data, deployed, deleted twice.
#[test]
fn a_deleted_endpoint_says_so_when_deleted_again_and_no_longer_answers() {
    let Trained { unfitted, uri, pairs, .. } = trained();
    let mut estimator = unfitted.clone();
    let fitting = FITTING.lock().unwrap_or_else(|e| e.into_inner());
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();
    drop(fitting);
    let predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    assert_eq!(predictor.predict(&pairs[..1]).unwrap().len(), 1);
    predictor.delete_endpoint().unwrap();
    let again = predictor.delete_endpoint().unwrap_err();
    assert!(matches!(again.kind(), ErrorKind::NotFound { what: Missing::Endpoint, .. }), "{again}");
    assert!(again.to_string().contains("does not exist or was already deleted"), "{again}");
    let gone = predictor.predict(&pairs[..1]).unwrap_err();
    assert!(matches!(gone.kind(), ErrorKind::NotFound { what: Missing::Endpoint, .. }), "no longer answers: {gone}");
}
