//! Waiting for a training job with its CloudWatch log against moto: the job's streams in log group
//! `/aws/sagemaker/TrainingJobs` are printed in time order after the status line, with `[host] ` prefixes for
//! several instances, other jobs' streams left out, and a missing log group tolerated.

use ipinsights_test_support::moto;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use ipinsights_aws_calls::*;
use ipinsights_test_support::block_on;
use moto::Moto;

const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";
const STATUS: &str = " Starting - Preparing the instances for training";

/// Starts a training job on `instances` instances; returns its name and the time of its first transition (ms).
fn start_job(moto: &Moto, instances: u32) -> (String, i64) {
    let job = name_from_base(ALGORITHM, SystemTime::now());
    let hp = IpInsightsParams::new(20_000, 128).check().unwrap();
    let (train, output) = ("s3://workshop-moto-bucket/train/t.csv", "s3://workshop-moto-bucket/output");
    let (train, output) = (S3Uri::parse(train).unwrap(), S3Uri::parse(output).unwrap());
    let mut spec = TrainingJobRequest::new(&job, &image_uri("us-east-1", ALGORITHM).unwrap(), ROLE, train, output, hp);
    spec.instance_count = instances;
    create_training_job(&moto.cfg(), &spec.check().unwrap()).unwrap();
    let described = describe_training_job(&moto.cfg(), &job).unwrap();
    assert_eq!(described.instance_count, instances);
    let started = described.transitions[0].start_time.expect("moto times its transitions");
    (job, started * 1000)
}

/// Writes events to a stream of the training log group (created when missing).
fn put_log(moto: &Moto, stream: &str, events: &[(i64, &str)]) {
    let logs = moto.logs();
    block_on(async {
        let _exists_already = logs.create_log_group().log_group_name(TRAINING_LOG_GROUP).send().await;
        logs.create_log_stream().log_group_name(TRAINING_LOG_GROUP).log_stream_name(stream).send().await.unwrap();
        let events =
            events.iter().map(|(t, m)| InputLogEvent::builder().timestamp(*t).message(*m).build().unwrap()).collect();
        logs.put_log_events()
            .log_group_name(TRAINING_LOG_GROUP)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    });
}

/// Waits with logs and returns the job and everything printed.
fn wait_with_logs(moto: &Moto, job: &str) -> (TrainingJobSummary, String) {
    let mut out = String::new();
    let done =
        wait_for_training_job_with_logs(&moto.cfg(), job, Duration::from_millis(10), &mut |s| out.push_str(s)).unwrap();
    (done, out)
}

/// The closing lines the waiter prints for a completed job.
fn closing(job: &TrainingJobSummary) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(job.training_seconds.map(|s| format!("Training seconds: {s}")));
    lines.extend(job.billable_seconds.map(|s| format!("Billable seconds: {s}")));
    lines
}

#[test]
fn the_job_log_is_printed_in_order_after_the_status_line() {
    let moto = Moto::start();
    let (job, t0) = start_job(&moto, 1);
    let entrypoint = "Docker entrypoint called with argument(s): train";
    let config = "[12/16/2019 23:40:40 INFO 139] Reading default configuration from /opt/amazon/lib/default-input.json";
    let metrics = r##"#metrics {"Metrics": {"epochs": {"count": 1, "max": 5}}}"##;
    put_log(
        &moto,
        &format!("{job}/algo-1-1576539544"),
        &[(t0 + 1000, entrypoint), (t0 + 1500, config), (t0 + 1500, metrics), (t0 + 2000, "done\n")],
    );
    put_log(&moto, &format!("{job}-other/algo-1-1576539544"), &[(t0 + 1200, "another job's line")]);
    let (done, out) = wait_with_logs(&moto, &job);
    assert_eq!(done.status, TrainingJobStatus::Completed);
    assert!(out.ends_with('\n'), "{out:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(STATUS) && lines[0].len() == "2019-12-16 23:39:04".len() + STATUS.len(), "{out}");
    assert_eq!(lines[1..5], [entrypoint, config, metrics, "done"], "{out}");
    assert_eq!(lines[5..], closing(&done), "{out}");
}

#[test]
fn several_instances_are_merged_by_time_with_their_host() {
    let moto = Moto::start();
    let (job, t0) = start_job(&moto, 2);
    put_log(&moto, &format!("{job}/algo-2-1576539544"), &[(t0 + 1001, "two"), (t0 + 1002, "four")]);
    put_log(&moto, &format!("{job}/algo-1-1576539544"), &[(t0 + 1000, "one"), (t0 + 1002, "three")]);
    let (done, out) = wait_with_logs(&moto, &job);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(STATUS), "{out}");
    assert_eq!(lines[1..5], ["[algo-1] one", "[algo-2] two", "[algo-1] three", "[algo-2] four"], "{out}");
    assert_eq!(lines[5..], closing(&done), "{out}");
}

#[test]
fn a_job_without_a_log_group_prints_its_status_only() {
    let moto = Moto::start();
    let (job, _) = start_job(&moto, 1);
    let (done, out) = wait_with_logs(&moto, &job);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(STATUS), "{out}");
    assert_eq!(lines[1..], closing(&done), "{out}");
    // The same job waited for without logs prints the same.
    let mut plain = String::new();
    wait_for_training_job(&moto.cfg(), &job, Duration::from_millis(10), &mut |s| plain.push_str(s)).unwrap();
    assert_eq!(plain, out);
}
