//! The workshop's local flow through the facade, with the real `ipinsights` binary and real endpoint processes:
//! bucket check, simulated CloudTrail → tuples → upload, fit, deploy, predict, delete (twice).

use ipinsights_engine::tuples::write_tuples;
use ipinsights_security::{read_cloudtrail, simulate_account, SimConfig, TupleMode};
use ipinsights_workshop::prelude::*;
use std::net::IpAddr;

#[test]
fn fit_deploy_predict_delete_on_the_local_backend() {
    let root = tempfile::tempdir().unwrap();
    let session = Session::local_at(&root.path().join("aws"));
    let (bucket, prefix) = ("workshop-test-bucket", "ipinsights");
    session.check_bucket(bucket, prefix).unwrap();

    let config = SimConfig { events: 6_000, findings: 20, ..SimConfig::default() };
    let account = simulate_account(&config, &root.path().join("account")).unwrap();
    let extract = read_cloudtrail(&account.cloudtrail_dir, TupleMode::AllEvents).unwrap();
    assert_eq!(extract.tuples.len(), account.expected_tuples);
    let csv = root.path().join("cloudtrail_tuples.csv");
    write_tuples(&csv, extract.pairs()).unwrap();
    let uri = session.upload_data(&csv, bucket, &format!("{prefix}/train/cloudtrail_tuples.csv")).unwrap();

    let image = image_uri(&session.region, "ipinsights").unwrap();
    let role = session.execution_role().unwrap();
    let mut estimator =
        Estimator::new(&session, image, role, 1, "ml.m4.xlarge", format!("s3://{bucket}/{prefix}/output"));
    estimator.set_hyperparameters([
        ("num_entity_vectors", "200"),
        ("vector_dim", "16"),
        ("epochs", "3"),
        ("mini_batch_size", "500"),
    ]);
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap();
    assert!(job.job_name.starts_with("ipinsights-"));
    assert!(session.local_path(&job.model_data).unwrap().is_file(), "artifact at {}", job.model_data);

    // A bad hyperparameter fails before any job starts.
    let mut bad = estimator.clone();
    bad.set_hyperparameters([("vector_dim", "2")]);
    let err = bad.fit(&[("train", TrainingInput::new(uri))]).unwrap_err().to_string();
    assert!(err.contains("vector_dim"), "{err}");

    // A fresh estimator attaches to the finished job by name.
    let mut attached_estimator =
        Estimator::new(&session, "image", "role", 1, "ml.m4.xlarge", estimator.output_path.clone());
    attached_estimator.attach(&job.job_name).unwrap();
    assert_eq!(attached_estimator.latest_training_job, Some(job.clone()));
    assert!(attached_estimator.attach("ipinsights-no-such-job").is_err());

    let predictor = estimator.deploy(1, "ml.m4.xlarge").unwrap();
    let pairs: Vec<(String, IpAddr)> = extract.pairs().take(2_000).map(|t| (t.entity.clone(), t.ip)).collect();
    let scored = predictor.predict(&pairs).unwrap();
    assert_eq!(scored.len(), pairs.len());
    let positive = scored.dot_products().iter().filter(|&&s| s > 0.0).count();
    assert!(positive * 10 > pairs.len() * 8, "most training pairs score normal: {positive}/{}", pairs.len());
    assert!(scored.head(3).to_html().contains("dot_product"));

    let mut verbose = predictor.clone();
    verbose.deserializer = Deserializer::JsonVerbose;
    let with_embeddings = verbose.predict_csv(&format!("{},{}\n", pairs[0].0, pairs[0].1)).unwrap();
    assert_eq!(with_embeddings.predictions[0].ip_embedding.as_ref().unwrap().len(), 16);
    assert_eq!(with_embeddings.predictions[0].dot_product, scored.predictions[0].dot_product);

    // Every serializer × deserializer gives the same scores.
    for serializer in [Serializer::Csv, Serializer::Json, Serializer::JsonLines] {
        for deserializer in [Deserializer::Json, Deserializer::JsonLines, Deserializer::JsonLinesVerbose] {
            let mut p = predictor.clone();
            (p.serializer, p.deserializer) = (serializer, deserializer);
            let got = p.predict(&pairs[..50]).unwrap().dot_products();
            assert_eq!(got, scored.dot_products()[..50].to_vec(), "{serializer:?} / {deserializer:?}");
        }
    }

    let attached = Predictor::attach(&session, &predictor.endpoint).unwrap();
    assert_eq!(attached.predict(&pairs[..1]).unwrap().predictions[0].dot_product, scored.predictions[0].dot_product);

    predictor.delete_endpoint().unwrap();
    let again = predictor.delete_endpoint().unwrap_err().to_string();
    assert!(again.contains("does not exist or was already deleted"), "{again}");
    assert!(predictor.predict(&pairs[..1]).is_err(), "a deleted endpoint no longer answers");
}
