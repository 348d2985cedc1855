//! The workshop's local flow through the facade, with the real `ipinsights` release binary (built by
//! `scripts/setup`; a missing or stale one fails with the command to run) and real endpoint processes: bucket
//! check, simulated CloudTrail → tuples → upload, fit, attach, deploy, predict, batch transform, delete (twice).

use ipinsights_engine::tuples::write_tuples;
use ipinsights_security_logs::{read_cloudtrail, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_workshop::prelude::*;
use std::net::IpAddr;

#[test]
fn fit_deploy_predict_delete_on_the_local_backend() {
    let root = tempfile::tempdir().unwrap();
    let session = Session::local_at(&root.path().join("aws"));
    ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
    let (bucket, prefix) = ("workshop-test-bucket", "ipinsights");
    session.check_bucket(bucket, prefix).unwrap();

    let config = SimConfig { events: 6_000, findings: 20, ..SimConfig::default() };
    let account = simulate_account(&config, &root.path().join("account")).unwrap();
    let extract = read_cloudtrail(&account.cloudtrail_dir, TupleMode::AllEvents).unwrap();
    assert_eq!(extract.tuples.len(), account.expected_tuples);
    let csv = root.path().join("cloudtrail_tuples.csv");
    write_tuples(&csv, extract.pairs()).unwrap();
    let uri = session.upload_data(&csv, bucket, &format!("{prefix}/train/cloudtrail_tuples.csv")).unwrap();

    let image = image_uri(session.region(), "ipinsights").unwrap();
    let role = session.execution_role().unwrap();
    let mut estimator = Estimator::new(&session, image, role)
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path(format!("s3://{bucket}/{prefix}/output"));
    estimator.set_hyperparameters(IpInsightsParams::new(200, 16).epochs(3).mini_batch_size(500)).unwrap();
    estimator.fit(&[("train", TrainingInput::new(uri.clone()))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap();
    assert!(job.job_name.starts_with("ipinsights-"));
    let key = job.model_data.strip_prefix(&format!("s3://{bucket}/")).unwrap();
    assert!(key.ends_with(&format!("{}/output/model.tar.gz", job.job_name)), "{}", job.model_data);
    let artifact = root.path().join("aws").join(bucket).join(key);
    assert!(artifact.is_file(), "artifact at {}", artifact.display());

    // The job's record says what DescribeTrainingJob would.
    let record: ipinsights_contract::JobRecord = ipinsights_contract::read_record(
        &root.path().join("aws").join("training-jobs").join(format!("{}.json", job.job_name)),
    )
    .unwrap();
    assert_eq!(record.training_job_status, ipinsights_sagemaker::TrainingJobStatus::Completed);
    assert_eq!(record.model_artifacts.as_deref(), Some(job.model_data.as_str()));
    assert_eq!(record.hyperparameters.len(), 4, "the given values: {:?}", record.hyperparameters);

    // A job that fails is recorded as Failed with its reason; attaching to it says why.
    let empty = root.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let empty_uri = session.upload_data(&empty, bucket, &format!("{prefix}/train/empty.csv")).unwrap();
    let mut failing = estimator.clone();
    let err = failing.fit(&[("train", TrainingInput::new(empty_uri))]).unwrap_err().to_string();
    assert!(err.contains("failed: ") && err.contains("no tuples"), "{err}");
    let failed_job = err.strip_prefix("training job ").and_then(|e| e.split(' ').next()).unwrap();
    let err = Estimator::new(&session, "image", "role").attach(failed_job).unwrap_err().to_string();
    assert!(err.starts_with(&format!("training job {failed_job} is Failed: ")) && err.contains("no tuples"), "{err}");

    // A fresh estimator attaches to the finished job by name.
    let mut attached_estimator = Estimator::new(&session, "image", "role");
    attached_estimator.attach(&job.job_name).unwrap();
    assert_eq!(attached_estimator.latest_training_job, Some(job.clone()));
    assert!(attached_estimator.attach("ipinsights-no-such-job").is_err());

    let predictor = estimator.deploy(1, "ml.m5.xlarge").unwrap();
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

    // Batch transform on the local backend: the release binary scores the file into `{name}.out`, as the endpoint.
    let test_csv = root.path().join("test.csv");
    let test_tuples: Vec<_> = extract.pairs().take(500).cloned().collect();
    write_tuples(&test_csv, &test_tuples).unwrap();
    let data = session.upload_data(&test_csv, bucket, &format!("{prefix}/test/test.csv")).unwrap();
    let mut transformer =
        estimator.transformer(1, "ml.m5.xlarge").unwrap().output_path(format!("s3://{bucket}/{prefix}/transform"));
    transformer.transform(&data, "text/csv", "Line").unwrap();
    transformer.wait().unwrap();
    assert_eq!(transformer.output_uri(&data).unwrap(), format!("s3://{bucket}/{prefix}/transform/test.csv.out"));
    let batch: Vec<f32> = transformer.read_output(&data).unwrap().iter().map(|p| p.dot_product).collect();
    assert_eq!(batch, scored.dot_products()[..500].to_vec(), "the transform job scores as the endpoint does");

    let attached = Predictor::attach(&session, &predictor.endpoint).unwrap();
    assert_eq!(attached.predict(&pairs[..1]).unwrap().predictions[0].dot_product, scored.predictions[0].dot_product);

    predictor.delete_endpoint().unwrap();
    let again = predictor.delete_endpoint().unwrap_err().to_string();
    assert!(again.contains("does not exist or was already deleted"), "{again}");
    assert!(predictor.predict(&pairs[..1]).is_err(), "a deleted endpoint no longer answers");
}
