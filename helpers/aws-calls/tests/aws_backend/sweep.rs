//! The sweep's `remove` of jobs against the scripted server: a job still running is stopped; one that ended, or is
//! gone, is already gone (no Stop* call).

use ipinsights_aws_calls::{remove, Removal, ResourceKind};
use serde_json::json;

use ipinsights_test_support::replay::{described, Canned, Replay, JOB, T0};

/// SageMaker's answer to a Describe*Job of a job it does not know.
fn gone(kind: &str) -> Canned {
    Canned::aws_error("ValidationException", &format!("Could not find requested {kind} job with name x"), "req-gone")
}

/// The X-Amz-Target of every request, in order.
fn targets(replay: &Replay) -> Vec<String> {
    replay.requests().iter().map(|r| r.header("x-amz-target").unwrap_or_default().to_string()).collect()
}

#[test]
fn a_running_training_job_is_stopped_and_an_ended_or_missing_one_is_already_gone() {
    let replay = Replay::start(vec![
        described("InProgress", &[("Training", "Training in progress", 5)], json!({})),
        Canned::json(200, json!({})),
        described("Completed", &[("Completed", "Training job completed", 60)], json!({})),
        gone("training"),
    ]);
    let cfg = replay.cfg();
    for expected in [Removal::Stopped, Removal::AlreadyGone, Removal::AlreadyGone] {
        assert_eq!(remove(&cfg, ResourceKind::TrainingJob, JOB).unwrap(), expected);
    }
    let describe = "SageMaker.DescribeTrainingJob";
    assert_eq!(targets(&replay), [describe, "SageMaker.StopTrainingJob", describe, describe]);
}

#[test]
fn a_running_transform_job_is_stopped_and_an_ended_or_missing_one_is_already_gone() {
    let transform = |status: &str| {
        Canned::json(
            200,
            json!({
                "TransformJobName": "t-1",
                "TransformJobStatus": status,
                "ModelName": "m-1",
                "TransformResources": { "InstanceType": "ml.m5.xlarge", "InstanceCount": 1 },
                "CreationTime": T0,
            }),
        )
    };
    let replay = Replay::start(vec![
        transform("InProgress"),
        Canned::json(200, json!({})),
        transform("Failed"),
        gone("transform"),
    ]);
    let cfg = replay.cfg();
    for expected in [Removal::Stopped, Removal::AlreadyGone, Removal::AlreadyGone] {
        assert_eq!(remove(&cfg, ResourceKind::TransformJob, "t-1").unwrap(), expected);
    }
    let describe = "SageMaker.DescribeTransformJob";
    assert_eq!(targets(&replay), [describe, "SageMaker.StopTransformJob", describe, describe]);
}
