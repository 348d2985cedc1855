//! CloudTrail through Athena against the emulated account, whose Athena runs the query for real over the trail
//! objects it holds (days by partition, accounts, regions, grouping) and writes the answer where Athena writes it:
//! the same simulated trail gives the same tuples, multiplicities and skips through Athena as through the S3 reader;
//! the table is made once (its DDL said) and reused; a table that would leave out a region is refused; the query's
//! own failures are explained naming the fix; the answer is bounded before it is read. `athena_bench` measures both
//! paths on a scaled-up trail (objects fetched, time, peak memory).

use std::collections::BTreeMap;
use std::path::Path;

use ipinsights_account::{read_trail, read_trail_athena, AthenaOptions, ReadOptions, TrailSource};
use ipinsights_security_logs::{CloudTrailExtract, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_test_support::account::AccountEmulator;
use ipinsights_test_support::block_on;

pub const BUCKET: &str = "org-trail";
pub const RESULTS: &str = "athena-results";
pub const ORG: &str = "o-abcdefghij";
pub const FIRST_DAY: &str = "2024-03-04";
pub const LAST_DAY: &str = "2024-03-11";

/// Every file under `root`, with its path from `root`.
fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let files = ipinsights_test_support::files_below(root, root);
    files.into_iter().map(|(path, key)| (key, std::fs::read(path).unwrap())).collect()
}

/// Puts objects, 16 at a time.
fn put_all(emu: &AccountEmulator, bucket: &str, objects: Vec<(String, Vec<u8>)>) {
    put_all_with(&emu.s3(), bucket, objects);
}

/// Puts objects with `s3`, 16 at a time.
fn put_all_with(s3: &aws_sdk_s3::Client, bucket: &str, objects: Vec<(String, Vec<u8>)>) {
    block_on(async {
        for batch in objects.chunks(16) {
            let puts = batch
                .iter()
                .map(|(key, body)| s3.put_object().bucket(bucket).key(key).body(body.clone().into()).send());
            for put in futures_util::future::join_all(puts).await {
                put.unwrap();
            }
        }
    });
}

/// The simulated account's trail for `account` in `region`, as an organisation trail under `AWSLogs/o-…/`; returns
/// the number of objects.
pub fn upload_simulated(emu: &AccountEmulator, account: &str, region: &str, seed: u64) -> usize {
    upload_simulated_with(&emu.s3(), BUCKET, account, region, seed)
}

/// [`upload_simulated`] into `bucket` with `s3`.
fn upload_simulated_with(s3: &aws_sdk_s3::Client, bucket: &str, account: &str, region: &str, seed: u64) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig { account_id: account.into(), region: region.into(), seed, ..SimConfig::default() };
    simulate_account(&config, dir.path()).unwrap();
    let objects: Vec<(String, Vec<u8>)> = files_under(&dir.path().join("AWSLogs"))
        .into_iter()
        .filter(|(key, _)| key.contains("/CloudTrail/"))
        .map(|(key, body)| (format!("AWSLogs/{ORG}/{}", key), body))
        .collect();
    let n = objects.len();
    put_all_with(s3, bucket, objects);
    n
}

pub fn buckets(emu: &AccountEmulator) {
    for bucket in [BUCKET, RESULTS] {
        block_on(emu.s3().create_bucket().bucket(bucket).send()).unwrap();
    }
}

pub fn options() -> AthenaOptions {
    AthenaOptions { output_location: Some(format!("s3://{RESULTS}/queries/")), ..AthenaOptions::default() }
}

/// Tuples as a multiset: (entity, address) → count.
fn multiset(extract: &CloudTrailExtract) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for t in &extract.tuples {
        *out.entry((t.tuple.entity.clone(), t.tuple.ip.to_string())).or_insert(0) += 1;
    }
    out
}

pub fn assert_same(athena: &CloudTrailExtract, s3: &CloudTrailExtract) {
    let (a, b) = (multiset(athena), multiset(s3));
    if a != b {
        let differing: Vec<_> = b.iter().filter(|(k, v)| a.get(*k) != Some(v)).take(5).collect();
        panic!(
            "tuples differ: {} through Athena, {} from S3; pairs {} and {}; first differing (S3's count): \
             {differing:?}",
            athena.tuples.len(),
            s3.tuples.len(),
            a.len(),
            b.len()
        );
    }
    assert_eq!(athena.records, s3.records, "records");
    assert_eq!(athena.skipped, s3.skipped, "skips");
    assert_eq!(athena.unique_pairs, s3.unique_pairs, "unique pairs");
    assert_eq!(athena.duplicates, s3.duplicates, "duplicates");
    assert_eq!(athena.role_sessions_folded, s3.role_sessions_folded, "role sessions folded");
}

#[test]
fn the_same_trail_gives_the_same_tuples_through_athena_and_from_s3() {
    let emu = AccountEmulator::start();
    buckets(&emu);
    upload_simulated(&emu, "111122223333", "us-east-1", 1);
    upload_simulated(&emu, "444455556666", "eu-west-1", 2);
    upload_simulated(&emu, "777788889999", "us-east-1", 3); // not asked for: never read
    let source = TrailSource::new(BUCKET, FIRST_DAY, LAST_DAY)
        .unwrap()
        .organization(ORG)
        .accounts(&["111122223333", "444455556666"]);
    let mut said = Vec::new();
    for mode in [TupleMode::AllEvents, TupleMode::UniquePairs] {
        let s3 = read_trail(&emu.cfg(), &source, &ReadOptions { mode, ..ReadOptions::default() }, &mut |_| {}).unwrap();
        let athena = read_trail_athena(&emu.cfg(), &source, &AthenaOptions { mode, ..options() }, &mut |line| {
            said.push(line.to_string())
        })
        .unwrap();
        assert_eq!(athena.regions, ["eu-west-1", "us-east-1"], "regions found by listing, as the S3 reader does");
        assert_same(&athena.extract, &s3.extract);
        assert!(athena.rows > 1_000, "more rows than one GetQueryResults page: {}", athena.rows);
        assert!(athena.extract.skipped.total() > 0 && athena.extract.role_sessions_folded > 0, "{athena}");
        assert_eq!(athena.scanned_bytes, s3.bytes, "Athena scans exactly the asked folders' objects");
        let shown = athena.to_string();
        assert!(
            shown.contains("through Athena (default.cloudtrail_ipinsights): 2 accounts, 2 regions, 8 days"),
            "{shown}"
        );
        assert!(shown.contains("at US$ 5 per TB"), "{shown}");
    }
    // The table was made once, its DDL said, and reused the second time.
    let ddl: Vec<&String> = said.iter().filter(|l| l.contains("CREATE EXTERNAL TABLE")).collect();
    assert_eq!(ddl.len(), 1, "{said:?}");
    assert!(ddl[0].contains("'projection.region.values'='eu-west-1,us-east-1'"), "{}", ddl[0]);
    assert!(said.iter().any(|l| l.contains("exists and covers this read (not changed)")), "{said:?}");
}

#[test]
fn a_table_that_would_leave_out_a_region_is_refused_and_failures_name_their_fix() {
    let emu = AccountEmulator::start();
    buckets(&emu);
    upload_simulated(&emu, "111122223333", "us-east-1", 1);
    let account = ["111122223333"];
    let one_region = TrailSource::new(BUCKET, FIRST_DAY, FIRST_DAY).unwrap().organization(ORG).accounts(&account);
    read_trail_athena(&emu.cfg(), &one_region, &options(), &mut |_| {}).unwrap();
    let two = one_region.clone().regions(&["us-east-1", "eu-west-1"]);
    let err = read_trail_athena(&emu.cfg(), &two, &options(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("regions [eu-west-1], which Athena would silently find empty"), "{err}");
    assert!(err.contains("DROP TABLE default.cloudtrail_ipinsights"), "{err}");

    let no_db = AthenaOptions { database: "security_lake".into(), ..options() };
    let err = read_trail_athena(&emu.cfg(), &one_region, &no_db, &mut |_| {}).unwrap_err().to_string();
    assert!(err.starts_with("the Glue database security_lake does not exist: create it"), "{err}");

    let nowhere = AthenaOptions { output_location: Some("s3://no-such-results/x/".into()), ..options() };
    let err = read_trail_athena(&emu.cfg(), &one_region, &nowhere, &mut |_| {}).unwrap_err().to_string();
    assert!(err.starts_with("Athena cannot write its results to s3://no-such-results/x/"), "{err}");
    let unset = AthenaOptions { output_location: None, ..options() };
    let err = read_trail_athena(&emu.cfg(), &one_region, &unset, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("pass .output_location(") && err.contains("No output location provided"), "{err}");

    // A stray file among the logs: Athena reads every object of a partition folder and fails on it.
    let folder = format!("AWSLogs/{ORG}/111122223333/CloudTrail/us-east-1/2024/03/04/");
    put_all(&emu, BUCKET, vec![(format!("{folder}notes.txt"), b"not a log".to_vec())]);
    let err = read_trail_athena(&emu.cfg(), &one_region, &options(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.starts_with("bad partition:") && err.contains("HIVE_CURSOR_ERROR"), "{err}");
    assert!(err.contains(&format!("s3://{BUCKET}/{folder}notes.txt")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_answer_is_bounded_before_it_is_read() {
    let emu = AccountEmulator::start();
    buckets(&emu);
    upload_simulated(&emu, "111122223333", "us-east-1", 1);
    let source = TrailSource::new(BUCKET, FIRST_DAY, LAST_DAY).unwrap().organization(ORG).accounts(&["111122223333"]);
    let small = AthenaOptions { max_result_bytes: 1_000, ..options() };
    let err = read_trail_athena(&emu.cfg(), &source, &small, &mut |_| {}).unwrap_err().to_string();
    assert!(
        err.contains("more than max_result_bytes (1000)") && err.contains(&format!("s3://{RESULTS}/queries/")),
        "{err}"
    );
    let few = AthenaOptions { max_events: 100, ..options() };
    let err = read_trail_athena(&emu.cfg(), &source, &few, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("more than max_events (100)") && err.contains("TupleMode::UniquePairs"), "{err}");
    let bad = AthenaOptions { table: "Bad-Name".into(), ..options() };
    let err = read_trail_athena(&emu.cfg(), &source, &bad, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("table \"Bad-Name\" is not an Athena name"), "{err}");
}

#[test]
fn a_log_archive_trail_is_refused_to_the_member_and_read_as_its_role() {
    use crate::trail_s3::{s3_as, LOG_ARCHIVE_ROLE};
    let emu = AccountEmulator::start();
    let archive = s3_as(&emu, LOG_ARCHIVE_ROLE, "us-east-1");
    for bucket in ["archive-trail", "archive-athena"] {
        block_on(archive.create_bucket().bucket(bucket).send()).unwrap();
    }
    upload_simulated_with(&archive, "archive-trail", "123456789012", "us-east-1", 1);
    let source = TrailSource::new("archive-trail", FIRST_DAY, FIRST_DAY)
        .unwrap()
        .organization(ORG)
        .accounts(&["123456789012"])
        .regions(&["us-east-1"]);
    // Athena in the member account may not read the log-archive account's bucket.
    block_on(emu.s3().create_bucket().bucket(RESULTS).send()).unwrap();
    let err = read_trail_athena(&emu.cfg(), &source, &options(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.starts_with("permission denied: the caller needs athena:StartQueryExecution"), "{err}");
    assert!(
        err.contains("(Athena: query ") && err.contains("Permission denied on S3 path: s3://archive-trail/"),
        "{err}"
    );
    // As the log-archive role, Athena runs there, with its results in that account.
    let archive_results = AthenaOptions { output_location: Some("s3://archive-athena/q/".into()), ..options() };
    let read = read_trail_athena(&emu.cfg(), &source.clone().role_arn(LOG_ARCHIVE_ROLE), &archive_results, &mut |_| {})
        .unwrap();
    let s3 = read_trail(&emu.cfg(), &source.role_arn(LOG_ARCHIVE_ROLE), &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_same(&read.extract, &s3.extract);
    assert!(read.extract.records > 1_000, "{read}");
}
