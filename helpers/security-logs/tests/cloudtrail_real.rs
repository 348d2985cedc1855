//! CloudTrail extraction on the 55 real invictus-ir log files vendored in `tests/data/cloudtrail-invictus-ir`
//! (MIT licence, see `tests/data/README.md`).
//!
//! Expected numbers were computed independently, by hand, twice:
//! - python3: json.load every `*.json`, classify `sourceIPAddress` with `ipaddress.ip_address`
//!   (else "AWS Internal", else a hostname regex → service name), principal = principalId.split(':')[0];
//! - jq: `jq -s '[.[].Records[]] | …'` counting `AWS Internal`, `amazonaws.com$`, IPv4 with a principal
//!   and `unique` (principal, IP) pairs.
//!
//! Both gave: 2900 records, 2547 tuples, 14 unique pairs, 170 `AWS Internal`, 183 service names, and
//! no other skip (the 76 records without principalId all have a service name as source).

use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::write_tuples;
use ipinsights_security_logs::{read_cloudtrail, CloudTrailReader, SkipReason, TupleMode};

/// The real sample files, vendored in the repository (`tests/data/cloudtrail-invictus-ir`).
fn data() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/cloudtrail-invictus-ir");
    assert!(p.is_dir(), "the vendored CloudTrail sample data is missing at {}", p.display());
    p
}

#[test]
fn exact_counts_on_real_files() {
    let dir = data();
    let x = read_cloudtrail(&dir, TupleMode::AllEvents).unwrap();
    assert_eq!(x.files, 55);
    assert_eq!(x.ignored_files.len(), 1); // LICENSE
    assert_eq!(x.records, 2900);
    assert_eq!(x.tuples.len(), 2547);
    assert_eq!(x.unique_pairs, 14);
    assert_eq!(x.duplicates, 0);
    assert_eq!(x.skipped.get(SkipReason::AwsInternal), 170);
    assert_eq!(x.skipped.get(SkipReason::ServiceName), 183);
    assert_eq!(x.skipped.total(), 353);
    assert_eq!(x.skipped.to_string(), "skipped 353 records: 183 service name, 170 AWS Internal");
    assert_eq!(x.records, x.tuples.len() + x.skipped.total());
    // First record with an IP (file 1145Z_7xgo…), with its eventTime kept.
    assert_eq!(x.tuples[0].tuple.entity, "AIDATFQR7NSC5U6Q3TMDR");
    assert_eq!(x.tuples[0].tuple.ip, "10.248.16.43".parse::<IpAddr>().unwrap());
    assert!(x.tuples.iter().all(|t| t.event_time.as_deref().is_some_and(|s| s.starts_with("2023-07-10T"))));
}

#[test]
fn unique_pairs_in_first_seen_order() {
    let dir = data();
    let x = read_cloudtrail(&dir, TupleMode::UniquePairs).unwrap();
    let got: Vec<String> = x.pairs().map(|t| format!("{},{}", t.entity, t.ip)).collect();
    // From the python one-off (first occurrence of each pair in sorted file order).
    let want = [
        "AIDATFQR7NSC5U6Q3TMDR,10.248.16.43",
        "AIDATFQR7NSC5U6Q3TMDR,10.107.112.14",
        "AIDATFQR7NSC5AU2ZV3IE,192.168.10.20",
        "AROATFQR7NSCWWVLB7BES,192.168.10.20",
        "AROATFQR7NSC6Q6YRQ2Q7,3.225.16.109",
        "AROATFQR7NSC6Q6YRQ2Q7,192.168.10.20",
        "AROATFQR7NSCWCZMFXMXZ,192.168.10.20",
        "AROATFQR7NSCRI4ZA26CX,192.168.10.20",
        "AROATFQR7NSCQNEXZHIOB,52.45.102.28",
        "AROATFQR7NSC4RHD6IN2N,192.168.10.20",
        "AIDATFQR7NSC5AU2ZV3IE,10.8.8.10",
        "AROATFQR7NSCYGNOX4QAJ,192.168.10.20",
        "AIDATFQR7NSCYG26CT6RI,192.168.10.20",
        "AIDATFQR7NSC5AU2ZV3IE,10.107.159.90",
    ];
    assert_eq!(got, want);
    assert_eq!(x.duplicates, 2547 - 14);
    assert_eq!(x.records, 2900);
}

/// The same files gzipped in the S3 layout (one gzip named `.json`, digests beside) give the same tuples.
#[test]
fn gzip_tree_and_streams_match_plain_files() {
    let dir = data();
    let plain = read_cloudtrail(&dir, TupleMode::AllEvents).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let day = tmp.path().join("AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10");
    let digest = tmp.path().join("AWSLogs/218007301253/CloudTrail-Digest/us-east-1/2023/07/10");
    fs::create_dir_all(&day).unwrap();
    fs::create_dir_all(&digest).unwrap();
    fs::write(digest.join("digest.json.gz"), b"not a log").unwrap();
    let mut names: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    for (i, src) in names.iter().enumerate() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&fs::read(src).unwrap()).unwrap();
        let name = src.file_name().unwrap().to_string_lossy();
        let target = if i == 3 { name.to_string() } else { format!("{name}.gz") };
        fs::write(day.join(target), gz.finish().unwrap()).unwrap();
    }
    let gz = read_cloudtrail(tmp.path(), TupleMode::AllEvents).unwrap();
    assert_eq!(gz.tuples, plain.tuples);
    assert_eq!(gz.skipped, plain.skipped);
    assert_eq!(gz.ignored_files, vec![digest.join("digest.json.gz")]);

    let mut streams = CloudTrailReader::new(TupleMode::AllEvents);
    for src in &names {
        streams.add_reader(fs::File::open(src).unwrap(), &src.display().to_string()).unwrap();
    }
    assert_eq!(streams.finish().tuples, plain.tuples);
}

#[test]
fn tuple_csv_is_headerless_and_atomic() {
    let dir = data();
    let x = read_cloudtrail(&dir, TupleMode::UniquePairs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cloudtrail_tuples.csv");
    assert_eq!(write_tuples(&out, x.pairs()).unwrap(), 14);
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 14);
    assert_eq!(text.lines().next(), Some("AIDATFQR7NSC5U6Q3TMDR,10.248.16.43"));
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no temp file left behind");
    assert!(write_tuples(Path::new("/nonexistent/dir/t.csv"), x.pairs())
        .unwrap_err()
        .to_string()
        .contains("/nonexistent/dir/t.csv"));
}
