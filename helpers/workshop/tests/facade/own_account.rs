//! The data-source cell's own-account path against the emulated account (tests/account_emulation.py, whose S3 serves
//! a bucket only from its own region, as S3 does): the simulated account's trail delivered to a bucket in eu-west-1
//! is read by a session in us-east-1 with no change to the cell, and gives exactly the simulated source's numbers
//! (files, records and every tuple). Run with `--features account`; needs `.venv/bin/python` with moto.
#![cfg(feature = "account")]

use std::io::Read;
use std::process::{Command, Stdio};

use ipinsights_aws_calls::AwsConfig;
use ipinsights_test_support::account::AccountEmulator;
use ipinsights_test_support::python;
use ipinsights_workshop::account::{self, DataSource};

/// Creates `bucket` in `region` and uploads every file under `dir/AWSLogs` with its path from `dir` as the key
/// (boto3, with a client of that region); prints the first and last day folder.
const UPLOAD: &str = r#"
import os, sys, boto3
from concurrent.futures import ThreadPoolExecutor
from botocore.config import Config
url, bucket, region, root = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=url, region_name=region, aws_access_key_id="testing",
                  aws_secret_access_key="testing", config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))
s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
keys = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(os.path.join(root, "AWSLogs")) for f in fs)
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=open(os.path.join(root, k), "rb").read()), keys))
days = sorted({"-".join(k.split("/")[-4:-1]) for k in keys})
print(days[0], days[-1])
"#;

/// The simulated account's trail under `sim` uploaded to `workshop-trail-eu` in eu-west-1 ([`UPLOAD`]): its first
/// and last day folder.
fn upload_trail(emu: &AccountEmulator, sim: &std::path::Path) -> String {
    let mut upload = Command::new(python())
        .args(["-c", UPLOAD, &emu.url, "workshop-trail-eu", "eu-west-1"])
        .arg(sim)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut days = String::new();
    upload.stdout.take().unwrap().read_to_string(&mut days).unwrap();
    assert!(upload.wait().unwrap().success(), "uploading the simulated trail failed");
    days
}

#[test]
fn a_trail_bucket_in_another_region_is_read_with_no_change_to_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let simulated = account::simulated(&dir.path().join("sim")).unwrap();
    assert_eq!(simulated.trail.records, 30_000, "the default simulated account's record count");
    assert!(simulated.trail.files > 0 && !simulated.trail.tuples.is_empty(), "the simulated trail is empty");
    let emu = AccountEmulator::start();
    let days = upload_trail(&emu, &dir.path().join("sim"));
    let (first, last) = days.trim().split_once(' ').expect("first and last day");

    // The cell as the workshop writes it; the session is in us-east-1, the bucket in eu-west-1.
    let source = DataSource::own_account("workshop-trail-eu", first, last);
    let DataSource::OwnAccount(own) = &source else { panic!("an own-account source") };
    let cfg = AwsConfig::local_emulator(&emu.url);
    assert_eq!(cfg.region.as_deref(), Some("us-east-1"));
    let data = account::own_account(&cfg, own, &dir.path().join("own")).unwrap();
    assert_eq!((data.trail.files, data.trail.records), (simulated.trail.files, simulated.trail.records));
    assert_eq!(data.trail.tuples, simulated.trail.tuples);
}

/// Creates a bucket for Athena's results in us-east-1 (boto3).
const RESULTS_BUCKET: &str = r#"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
s3.create_bucket(Bucket=sys.argv[2])
"#;

#[test]
fn the_athena_cell_gives_the_simulated_tuples_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let simulated = account::simulated(&dir.path().join("sim")).unwrap();
    let emu = AccountEmulator::start();
    let days = upload_trail(&emu, &dir.path().join("sim"));
    let made = Command::new(python()).args(["-c", RESULTS_BUCKET, &emu.url, "workshop-athena"]).status().unwrap();
    assert!(made.success(), "creating the results bucket failed");
    let (first, last) = days.trim().split_once(' ').expect("first and last day");

    // The one changed line of the data-source cell.
    let source = DataSource::athena("workshop-trail-eu", first, last).output_location("s3://workshop-athena/q/");
    let DataSource::OwnAccount(own) = &source else { panic!("an own-account source") };
    let data = account::own_account(&AwsConfig::local_emulator(&emu.url), own, &dir.path().join("own")).unwrap();
    let sorted = |t: &ipinsights_security_logs::CloudTrailExtract| {
        let mut pairs: Vec<(String, std::net::IpAddr)> =
            t.tuples.iter().map(|t| (t.tuple.entity.clone(), t.tuple.ip)).collect();
        pairs.sort();
        pairs
    };
    assert_eq!(sorted(&data.trail), sorted(&simulated.trail), "the same tuples, each as often");
    assert_eq!((data.trail.records, data.trail.unique_pairs), (30_000, simulated.trail.unique_pairs));
    assert_eq!(data.trail.skipped, simulated.trail.skipped);
    assert_eq!(data.trail.role_sessions_folded, simulated.trail.role_sessions_folded);
    assert!(data.description.contains("through Athena (query "), "{}", data.description);
}
