//! CloudTrail from S3 against the emulated account: the vendored real sample uploaded under CloudTrail's layout
//! gives exactly the tuples, counts and skips of reading it from disk; other objects are counted and named; digest
//! folders and days outside the range are never read; throttled GETs are retried and reported; many objects are in
//! flight at once, never more than asked.

use std::io::Write;
use std::path::PathBuf;

use ipinsights_account::{read_trail, ReadOptions, TrailSource};
use ipinsights_security_logs::{read_cloudtrail, CloudTrailExtract, TupleMode};
use ipinsights_test_support::account::{AccountEmulator, Options};
use ipinsights_test_support::{block_on, repo};

const BUCKET: &str = "org-trail";
const ACCOUNT: &str = "218007301253";

fn sample_dir() -> PathBuf {
    repo().join("tests/data/cloudtrail-invictus-ir")
}

/// The sample's log files, sorted.
fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn put(emu: &AccountEmulator, key: &str, body: Vec<u8>) {
    put_to(&emu.s3(), BUCKET, key, body);
}

fn put_to(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    block_on(s3.put_object().bucket(bucket).key(key).body(body.into()).send()).unwrap();
}

/// Uploads the sample as CloudTrail delivers it (`…/CloudTrail/us-east-1/YYYY/MM/DD/NAME.json.gz` under `base`),
/// with a digest file, the licence among the logs, and a log of a day outside the range.
fn upload_sample(emu: &AccountEmulator, base: &str) {
    block_on(emu.s3().create_bucket().bucket(BUCKET).send()).ok();
    upload_sample_to(&emu.s3(), BUCKET, base);
}

/// [`upload_sample`] into an existing `bucket` with a client of its region; the log files are named for the account
/// folder `base` ends with, as CloudTrail names them.
fn upload_sample_to(s3: &aws_sdk_s3::Client, bucket: &str, base: &str) {
    let account = base.trim_end_matches('/').rsplit('/').next().unwrap();
    for file in sample_files() {
        let name = file.file_name().unwrap().to_str().unwrap().replace(ACCOUNT, account);
        let name = name.as_str();
        let stamp = name.split('_').nth(3).unwrap(); // 20230710T1145Z
        let day = format!("{}/{}/{}", &stamp[0..4], &stamp[4..6], &stamp[6..8]);
        let key = format!("{base}CloudTrail/us-east-1/{day}/{name}.gz");
        put_to(s3, bucket, &key, gzip(&std::fs::read(&file).unwrap()));
    }
    let licence = std::fs::read(sample_dir().join("LICENSE")).unwrap();
    put_to(s3, bucket, &format!("{base}CloudTrail/us-east-1/2023/07/10/LICENSE"), licence);
    let digest =
        format!("{base}CloudTrail-Digest/us-east-1/2023/07/10/{ACCOUNT}_CloudTrail-Digest_us-east-1_x.json.gz");
    put_to(s3, bucket, &digest, b"not a log".to_vec());
    let outside =
        format!("{base}CloudTrail/us-east-1/2023/08/01/{ACCOUNT}_CloudTrail_us-east-1_20230801T0000Z_x.json.gz");
    put_to(s3, bucket, &outside, b"never read: outside the range".to_vec());
}

/// Creates `bucket` in `region` (S3's `LocationConstraint`) and returns a client of that region.
fn bucket_in(emu: &AccountEmulator, bucket: &str, region: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let s3 = emu.s3_in(region);
    let location = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region));
    block_on(s3.create_bucket().bucket(bucket).create_bucket_configuration(location.build()).send()).unwrap();
    s3
}

fn assert_same(s3: &CloudTrailExtract, disk: &CloudTrailExtract) {
    assert_eq!(s3.tuples.len(), disk.tuples.len());
    if let Some(i) = (0..s3.tuples.len()).find(|&i| s3.tuples[i] != disk.tuples[i]) {
        panic!("tuple {i} differs: from S3 {:?}, from disk {:?}", s3.tuples[i], disk.tuples[i]);
    }
    assert_eq!(
        (s3.files, s3.records, s3.unique_pairs, s3.duplicates),
        (disk.files, disk.records, disk.unique_pairs, disk.duplicates)
    );
    assert_eq!(s3.skipped, disk.skipped);
    assert_eq!(s3.role_sessions_folded, disk.role_sessions_folded);
}

#[test]
fn the_real_sample_from_s3_gives_the_same_tuples_as_from_disk() {
    let emu = AccountEmulator::start();
    upload_sample(&emu, &format!("AWSLogs/{ACCOUNT}/"));
    // Every account and region found by listing; July 2023 only.
    let source = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    for mode in [TupleMode::AllEvents, TupleMode::UniquePairs] {
        let disk = read_cloudtrail(&sample_dir(), mode).unwrap();
        let options = ReadOptions { mode, ..ReadOptions::default() };
        let read = read_trail(&emu.cfg(), &source, &options, &mut |_| {}).unwrap();
        assert_same(&read.extract, &disk);
        assert_eq!(read.objects, sample_files().len());
        assert_eq!(
            read.ignored_objects,
            [format!("s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2023/07/10/LICENSE")]
        );
        assert_eq!((read.accounts.len(), read.regions.clone(), read.days), (1, vec!["us-east-1".to_string()], 31));
        let shown = read.to_string();
        assert!(shown.contains("ignored 1 objects that are not CloudTrail log files: s3://org-trail/"), "{shown}");
        assert!(shown.contains(&format!("{} objects", sample_files().len())), "{shown}");
    }
    assert!(read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap().records > 2_000);
}

#[test]
fn organisation_trails_under_a_prefix_and_chosen_regions() {
    let emu = AccountEmulator::start();
    upload_sample(&emu, &format!("trails/AWSLogs/o-abcdefghij/{ACCOUNT}/"));
    let disk = read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap();
    let found = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap().prefix("trails/");
    let read = read_trail(&emu.cfg(), &found, &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_same(&read.extract, &disk);
    assert_eq!(read.accounts[0].organization_id.as_deref(), Some("o-abcdefghij"));
    let named = found.clone().organization("o-abcdefghij").accounts(&[ACCOUNT]).regions(&["us-east-1", "eu-west-1"]);
    let read = read_trail(&emu.cfg(), &named, &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_same(&read.extract, &disk);
    assert_eq!(read.regions, ["eu-west-1", "us-east-1"]);
    // A prefix with nothing under it says where it looked.
    let nowhere = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    let err = read_trail(&emu.cfg(), &nowhere, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("no CloudTrail logs under s3://org-trail/AWSLogs/"), "{err}");
}

#[test]
fn throttled_gets_are_retried_and_reported_with_many_in_flight() {
    let options =
        Options { throttle: vec!["s3:GetObject=7"], latency: vec!["s3:GetObject=0.05"], ..Options::default() };
    let emu = AccountEmulator::with(&options);
    upload_sample(&emu, &format!("AWSLogs/{ACCOUNT}/"));
    let source = TrailSource::new(BUCKET, "2023-07-10", "2023-07-12").unwrap();
    let mut reports = 0;
    let options = ReadOptions { concurrency: 24, ..ReadOptions::default() };
    let read = read_trail(&emu.cfg(), &source, &options, &mut |_| reports += 1).unwrap();
    let disk = read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap();
    assert_same(&read.extract, &disk);
    assert!(reports >= read.objects, "progress after every object");
    let stats = emu.stats();
    let refused = stats["refused"]["s3:GetObject"].as_u64().unwrap();
    assert!(refused >= 7, "{stats}");
    assert_eq!(read.attempts.throttled(), refused, "{}", read.attempts);
    assert!(read.to_string().contains("throttled"), "{read}");
    let in_flight = stats["max_in_flight"]["s3:GetObject"].as_u64().unwrap();
    assert!((16..=24).contains(&in_flight), "GETs in flight at once: {in_flight}");
}

#[test]
fn bad_objects_and_arguments_are_named() {
    let emu = AccountEmulator::start();
    block_on(emu.s3().create_bucket().bucket(BUCKET).send()).unwrap();
    let base = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2023/07/10/");
    let key = format!("{base}{ACCOUNT}_CloudTrail_us-east-1_20230710T0000Z_truncated.json.gz");
    let whole = gzip(&std::fs::read(&sample_files()[0]).unwrap());
    put(&emu, &key, whole[..whole.len() / 2].to_vec());
    let source = TrailSource::new(BUCKET, "2023-07-10", "2023-07-10").unwrap();
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains(&format!("s3://{BUCKET}/{key}")), "{err}");

    let small = ReadOptions { max_object_bytes: 100, ..ReadOptions::default() };
    let err = read_trail(&emu.cfg(), &source, &small, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("more than the 100 bytes"), "{err}");

    let err = TrailSource::new(BUCKET, "2023-07-10", "2023-07-01").unwrap_err().to_string();
    assert!(err.contains("before the first day"), "{err}");
    let bad = TrailSource::new("bad/bucket", "2023-07-10", "2023-07-10").unwrap();
    let err = read_trail(&emu.cfg(), &bad, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("not an S3 bucket name"), "{err}");
    let missing = TrailSource::new("no-such-bucket", "2023-07-10", "2023-07-10").unwrap();
    let err = read_trail(&emu.cfg(), &missing, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("s3://no-such-bucket/AWSLogs/") && err.contains("NoSuchBucket"), "{err}");
}

/// A multi-member gzip object inflating to `{"Records":[` + `record` repeated to about `inflated` bytes + `]}`.
fn records_bomb(record: &str, inflated: usize) -> Vec<u8> {
    let block = record.repeat((1 << 20) / record.len());
    let member = gzip(block.as_bytes());
    let mut body = gzip(b"{\"Records\":[");
    for _ in 0..inflated / block.len() {
        body.extend_from_slice(&member);
    }
    body.extend_from_slice(&gzip(b"{}]}"));
    body
}

#[test]
fn a_decompression_bomb_in_the_bucket_is_refused_naming_its_key() {
    let emu = AccountEmulator::start();
    block_on(emu.s3().create_bucket().bucket(BUCKET).send()).unwrap();
    let base = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2023/07/10/");
    let good = format!("{base}{ACCOUNT}_CloudTrail_us-east-1_20230710T0000Z_good.json.gz");
    put(&emu, &good, gzip(&std::fs::read(&sample_files()[0]).unwrap()));
    let key = format!("{base}{ACCOUNT}_CloudTrail_us-east-1_20230710T0005Z_bomb.json.gz");
    let record = r#"{"sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE"}},"#;
    let bomb = records_bomb(record, 1 << 30);
    assert!(bomb.len() < 8 << 20, "a 1 GiB bomb of {} compressed bytes", bomb.len());
    put(&emu, &key, bomb);
    let source = TrailSource::new(BUCKET, "2023-07-10", "2023-07-10").unwrap();
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains(&format!("s3://{BUCKET}/{key}")) && err.contains("decompression bomb"), "{err}");
}

#[test]
fn a_trail_bucket_in_another_region_is_read_where_it_lives() {
    let emu = AccountEmulator::start();
    let bucket = "org-trail-eu";
    let eu = bucket_in(&emu, bucket, "eu-west-1");
    upload_sample_to(&eu, bucket, &format!("AWSLogs/o-abcdefghij/{ACCOUNT}/"));
    // The emulated S3 answers a client of the wrong region as S3 does: 301 with the bucket's region, never the data.
    let err = block_on(emu.s3().list_objects_v2().bucket(bucket).send()).unwrap_err();
    let raw = err.raw_response().expect("an HTTP answer");
    assert_eq!(raw.status().as_u16(), 301, "{err:?}");
    assert_eq!(raw.headers().get("x-amz-bucket-region"), Some("eu-west-1"));
    // The session is in us-east-1 (the emulator's configuration); the source names no region.
    assert_eq!(emu.cfg().region.as_deref(), Some("us-east-1"));
    let source = TrailSource::new(bucket, "2023-07-01", "2023-07-31").unwrap();
    let read = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_same(&read.extract, &read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap());
    assert_eq!(read.bucket_region, "eu-west-1");
    assert!(read.to_string().contains("bucket in eu-west-1"), "{read}");
}

/// The emulated caller's account (moto's default account, STS GetCallerIdentity's answer).
const CALLER: &str = "123456789012";

/// An organisation bucket holding the sample for the caller's account and for two other member accounts.
fn organisation_bucket(emu: &AccountEmulator) {
    block_on(emu.s3().create_bucket().bucket(BUCKET).send()).unwrap();
    for account in [ACCOUNT, CALLER, "210987654321"] {
        upload_sample_to(&emu.s3(), BUCKET, &format!("AWSLogs/o-abcdefghij/{account}/"));
    }
}

#[test]
fn an_organisation_bucket_reads_the_callers_account_by_default() {
    let emu = AccountEmulator::start();
    organisation_bucket(&emu);
    let source = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    let read = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap();
    let read_ids: Vec<&str> = read.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(read_ids, [CALLER]);
    assert_same(&read.extract, &read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap());
    let shown = read.to_string();
    assert!(shown.contains(&format!("1 account ({CALLER}, the caller's)")), "{shown}");
    assert!(shown.contains("2 other accounts present and skipped (210987654321, 218007301253)"), "{shown}");
}

#[test]
fn other_accounts_are_opt_in_and_a_bucket_without_the_callers_says_so() {
    let emu = AccountEmulator::start();
    organisation_bucket(&emu);
    let source = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    let all = read_trail(&emu.cfg(), &source.clone().all_accounts(), &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_eq!((all.accounts.len(), all.skipped_accounts.len()), (3, 0));
    assert_eq!(all.extract.records, 3 * read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap().records);
    let named = read_trail(&emu.cfg(), &source.clone().accounts(&[ACCOUNT]), &ReadOptions::default(), &mut |_| {});
    assert_eq!(named.unwrap().accounts[0].account_id, ACCOUNT);

    // Two accounts, neither the caller's: nothing is guessed.
    let other = "other-trail";
    block_on(emu.s3().create_bucket().bucket(other).send()).unwrap();
    for account in [ACCOUNT, "210987654321"] {
        upload_sample_to(&emu.s3(), other, &format!("AWSLogs/{account}/"));
    }
    let source = TrailSource::new(other, "2023-07-01", "2023-07-31").unwrap();
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(
        err.contains("holds 2 accounts (210987654321, 218007301253) and none is yours (123456789012)")
            && err.contains("all_accounts()"),
        "{err}"
    );
}

#[test]
fn an_organisation_size_trail_stops_at_the_cap_on_events_and_says_so() {
    let emu = AccountEmulator::start();
    upload_sample(&emu, &format!("AWSLogs/{ACCOUNT}/"));
    let source = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    let disk = read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap();
    let whole = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap();
    assert_eq!((whole.capped, whole.extract.records), (None, disk.records));

    let capped = ReadOptions::default().max_events(1_000);
    assert_eq!(capped.memory_estimate_bytes(), 1_000 * ipinsights_account::KEPT_BYTES_PER_EVENT);
    let read = read_trail(&emu.cfg(), &source, &capped, &mut |_| {}).unwrap();
    let cap = read.capped.expect("the read stops at the cap");
    assert_eq!(cap.max_events, 1_000);
    assert!(read.extract.records >= 1_000 && read.extract.records < disk.records, "{read}");
    assert!(read.objects < sample_files().len(), "{read}");
    // What was read is the start of the whole read, not a mixture.
    assert_eq!(read.extract.tuples[..], whole.extract.tuples[..read.extract.tuples.len()]);
    let shown = read.to_string();
    assert!(
        shown.contains(&format!(
            "STOPPED at the cap of 1000 events (max_events): {} records read",
            read.extract.records
        )),
        "{shown}"
    );
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default().max_events(0), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("max_events must be at least 1"), "{err}");
}

#[test]
fn a_sample_of_the_objects_is_the_same_on_every_read_and_counted() {
    let emu = AccountEmulator::start();
    upload_sample(&emu, &format!("AWSLogs/{ACCOUNT}/"));
    let source = TrailSource::new(BUCKET, "2023-07-01", "2023-07-31").unwrap();
    let half = ReadOptions::default().sample(0.5);
    let first = read_trail(&emu.cfg(), &source, &half, &mut |_| {}).unwrap();
    let again = read_trail(&emu.cfg(), &source, &half, &mut |_| {}).unwrap();
    assert_eq!(first.extract.tuples, again.extract.tuples);
    let files = sample_files().len();
    assert_eq!(first.objects + first.objects_not_sampled, files);
    assert!(first.objects > files / 4 && first.objects < files * 3 / 4, "{first}");
    let shown = first.to_string();
    assert!(shown.contains(&format!("sampled 50 % of the log objects: {} read, ", first.objects)), "{shown}");
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default().sample(1.5), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("sample must be a fraction"), "{err}");
}

/// The bytes each event read keeps (its tuple, its strings on the heap, its share of the distinct-pair set), measured
/// on the real sample: the documented estimate must not be below it.
#[test]
fn kept_bytes_per_event_covers_the_real_sample() {
    use ipinsights_security_logs::{CloudTrailTuple, Tuple};
    let disk = read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap();
    let heap = |s: &str| s.len().next_multiple_of(16) as u64 + 16; // malloc's rounding and header
    let tuples: u64 = disk
        .tuples
        .iter()
        .map(|t| {
            std::mem::size_of::<CloudTrailTuple>() as u64
                + heap(&t.tuple.entity)
                + t.event_time.as_deref().map_or(0, heap)
        })
        .sum();
    let avg_entity = disk.tuples.iter().map(|t| heap(&t.tuple.entity)).sum::<u64>() / disk.tuples.len() as u64;
    let set = disk.unique_pairs as u64 * (std::mem::size_of::<Tuple>() as u64 + 8 + avg_entity) * 8 / 7;
    let per_event = (tuples + set).div_ceil(disk.records as u64);
    println!("BENCH kept bytes per event on the real sample: {per_event} ({} records)", disk.records);
    assert!(per_event <= ipinsights_account::KEPT_BYTES_PER_EVENT, "{per_event} bytes per event");
}

/// A role of the organisation's log-archive account, which owns the trail bucket.
pub const LOG_ARCHIVE_ROLE: &str = "arn:aws:iam::111122223333:role/trail-reader";

/// An S3 client of `region` with the credentials of `role_arn` (STS AssumeRole with the test's own).
pub fn s3_as(emu: &AccountEmulator, role_arn: &str, region: &str) -> aws_sdk_s3::Client {
    let sts = aws_sdk_sts::Client::new(&emu.sdk());
    let out = block_on(sts.assume_role().role_arn(role_arn).role_session_name("setup").send()).unwrap();
    let c = out.credentials().unwrap();
    let creds = aws_sdk_s3::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    );
    let conf = aws_sdk_s3::config::Builder::from(&emu.sdk())
        .region(aws_sdk_s3::config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .force_path_style(true);
    aws_sdk_s3::Client::from_conf(conf.build())
}

#[test]
fn a_log_archive_bucket_is_read_with_its_role_in_its_region() {
    let emu = AccountEmulator::start();
    let bucket = "log-archive-trail";
    let archive = s3_as(&emu, LOG_ARCHIVE_ROLE, "eu-west-1");
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1);
    block_on(archive.create_bucket().bucket(bucket).create_bucket_configuration(location.build()).send()).unwrap();
    for account in [CALLER, ACCOUNT] {
        upload_sample_to(&archive, bucket, &format!("AWSLogs/o-abcdefghij/{account}/"));
    }
    let source = TrailSource::new(bucket, "2023-07-01", "2023-07-31").unwrap();
    // The member account's own credentials are refused, as S3 refuses another account without a bucket policy.
    let err = read_trail(&emu.cfg(), &source, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("AccessDenied"), "{err}");

    let read = read_trail(&emu.cfg(), &source.clone().role_arn(LOG_ARCHIVE_ROLE), &ReadOptions::default(), &mut |_| {})
        .unwrap();
    assert_same(&read.extract, &read_cloudtrail(&sample_dir(), TupleMode::AllEvents).unwrap());
    assert_eq!(read.bucket_region, "eu-west-1");
    // Accounts are chosen by the session's caller, not by the role's account.
    assert_eq!(
        (read.accounts[0].account_id.as_str(), read.skipped_accounts.clone()),
        (CALLER, vec![ACCOUNT.to_string()])
    );

    let bad = source.clone().role_arn("trail-reader");
    let err = read_trail(&emu.cfg(), &bad, &ReadOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("is not a role ARN"), "{err}");
}
