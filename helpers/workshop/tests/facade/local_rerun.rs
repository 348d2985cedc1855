//! Cells safe to rerun on the local backend: the deploy cell run three times leaves one endpoint (reused, not made
//! again), `session.cleanup()` (twice) leaves none; an endpoint deployed by a session that is then dropped (a
//! kernel restart forgets it) is found by a new session's sweep, by its tag, and deleted — its server stopped.

use ipinsights_engine::tuples::write_tuples;
use ipinsights_security_logs::{read_cloudtrail, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_workshop::prelude::*;
use std::path::Path;

/// The endpoint records of a local backend's root (what DescribeEndpoint reads).
fn endpoint_records(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("endpoints")) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().to_str().map(String::from))
        .filter(|n| n.ends_with(".json") && !n.ends_with(".ready.json"))
        .collect();
    names.sort();
    names
}

/// Whether a server answers at the endpoint's URL.
fn answers(predictor: &Predictor) -> bool {
    predictor.predict(&[("user-1", "10.0.0.1".parse::<std::net::IpAddr>().unwrap())]).is_ok()
}

#[test]
fn rerunning_deploy_reuses_its_endpoint_and_cleanup_and_the_sweep_leave_nothing_running() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("aws");
    ipinsights_workshop::local::binary::locate().expect("the release binary is built and up to date");
    let session = Session::local_at(&root);
    let (bucket, prefix) = ("workshop-rerun-bucket", "ipinsights");
    session.check_bucket(bucket, prefix).unwrap();
    let config = SimConfig { events: 2_000, findings: 5, ..SimConfig::default() };
    let account = simulate_account(&config, &dir.path().join("account")).unwrap();
    let extract = read_cloudtrail(&account.cloudtrail_dir, TupleMode::AllEvents).unwrap();
    let csv = dir.path().join("tuples.csv");
    write_tuples(&csv, extract.pairs()).unwrap();
    let uri = session.upload_data(&csv, bucket, &format!("{prefix}/train/tuples.csv")).unwrap();
    let image = image_uri(session.region(), "ipinsights").unwrap();
    let mut estimator = Estimator::new(&session, image, session.execution_role().unwrap())
        .instance_count(1)
        .instance_type("ml.m5.xlarge")
        .output_path(format!("s3://{bucket}/{prefix}/output"));
    estimator.set_hyperparameters(IpInsightsParams::new(100, 8).epochs(1)).unwrap();
    estimator.fit(&[("train", TrainingInput::new(uri))]).unwrap();
    let job = estimator.latest_training_job.clone().unwrap().job_name;

    // The deploy cell, three times: one endpoint, named after the job, serving all along.
    let first = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    let second = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    let third = estimator.deploy(1, "ml.m5.xlarge").unwrap();
    assert_eq!((first.endpoint.as_str(), second.endpoint.as_str()), (job.as_str(), job.as_str()));
    assert_eq!(third.endpoint, job);
    assert_eq!(endpoint_records(&root), [format!("{job}.json")]);
    assert!(answers(&first) && answers(&third));
    // On other instances the endpoint is replaced, still one.
    let replaced = estimator.deploy(2, "ml.m5.xlarge").unwrap();
    assert_eq!(endpoint_records(&root), [format!("{job}.json")]);
    assert!(answers(&replaced));

    // The session's own sweep sees it, tagged with its id.
    let leftovers = session.leftovers().unwrap();
    assert_eq!(leftovers.len(), 1, "{leftovers}");
    let item = &leftovers.items[0];
    assert_eq!((item.name.as_str(), item.session.as_str()), (job.as_str(), session.id()));
    assert_eq!((item.instance_type.as_deref(), item.instance_count), (Some("ml.m5.xlarge"), Some(2)));
    assert_eq!(item.status.map(|s| s.to_string()).as_deref(), Some("InService"));

    session.cleanup().unwrap();
    assert!(endpoint_records(&root).is_empty());
    assert!(!answers(&first), "the server stopped");
    session.cleanup().unwrap();
    assert!(session.resources().is_empty());
    assert!(session.leftovers().unwrap().is_empty());

    // A session that deploys and is dropped (a kernel restart): a new session's sweep lists and deletes it.
    let gone = Session::local_at(&root);
    let gone_id = gone.id().to_string();
    let mut restarted = Estimator::new(&gone, "image", "role");
    restarted.attach(&job).unwrap();
    let left = restarted.deploy(1, "ml.m5.xlarge").unwrap();
    let endpoint = left.endpoint.clone();
    let probe = left.clone();
    drop((gone, restarted, left));
    let fresh = Session::local_at(&root);
    assert_ne!(fresh.id(), gone_id);
    let leftovers = fresh.leftovers().unwrap();
    assert_eq!(leftovers.len(), 1, "{leftovers}");
    assert_eq!(
        (leftovers.items[0].name.as_str(), leftovers.items[0].session.as_str()),
        (endpoint.as_str(), gone_id.as_str())
    );
    let shown = leftovers.to_string();
    assert!(shown.contains("1 × ml.m5.xlarge") && shown.contains("delete_leftovers"), "{shown}");
    fresh.delete_leftovers().unwrap();
    assert!(endpoint_records(&root).is_empty());
    assert!(!answers(&probe), "the leftover's server stopped");
    assert!(fresh.leftovers().unwrap().is_empty());
    fresh.delete_leftovers().unwrap();
}
