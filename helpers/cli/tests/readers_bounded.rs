//! The security readers under hostile inputs, through the real binary under the probes' 4 GiB address-space limit:
//! gzip bombs of CloudTrail records and of tiny GuardDuty findings, plain files of tiny findings, an oversized
//! finding. Each ends in a clear error naming the file or in the correct answer, within the 512 MiB goal.

mod bounded;

use std::io::Write;
use std::path::Path;

use flate2::{write::GzEncoder, Compression};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A multi-member gzip file of about `compressed_bytes` inflating to `head`, then `unit` many times, then `tail`:
/// one member of `unit` repeated is compressed once and copied, so a bomb of gigabytes costs milliseconds to write.
fn gzip_bomb(path: &Path, head: &str, unit: &str, tail: &str, compressed_bytes: usize) -> u64 {
    let block = unit.repeat((1 << 20) / unit.len());
    let member = gzip(block.as_bytes());
    let copies = compressed_bytes / member.len();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(&gzip(head.as_bytes())).unwrap();
    for _ in 0..copies {
        file.write_all(&member).unwrap();
    }
    file.write_all(&gzip(tail.as_bytes())).unwrap();
    file.flush().unwrap();
    (block.len() * copies) as u64
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const RECORD: &str = r#"{"eventTime":"2024-01-01T00:00:00Z","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE"}},"#;
const TINY_FINDING: &str = r#"{"id":"f"},"#;
const TINY_FINDING_WITH_TUPLE: &str = r#"{"resource":{"accessKeyDetails":{"principalId":"AIDA1"}},"service":{"action":{"awsApiCallAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}}}},"#;

#[test]
fn cloudtrail_gzip_bombs_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, compressed) in [("one-mb.json.gz", 1 << 20), ("ten-mb.json.gz", 10 << 20)] {
        let bomb = dir.path().join(name);
        let inflated = gzip_bomb(&bomb, r#"{"Records":["#, RECORD, r#"{}]}"#, compressed);
        assert!(inflated > 200 << 20, "{name} inflates to only {inflated} bytes");
        let out = dir.path().join("tuples.csv");
        let run = bounded::run(&["ingest", "cloudtrail", p(&bomb), "--output", p(&out)]);
        run.assert_refused(&format!("ingest cloudtrail {name}"), "decompression bomb");
        assert!(run.stderr.contains(p(&bomb)), "the error names the file: {}", run.stderr);
        assert!(!out.exists(), "no output for a refused input");
        eprintln!("ingest cloudtrail {name} ({inflated} bytes inflated): peak RSS {:.0} MiB", run.peak_rss_mib);
    }
}

#[test]
fn guardduty_gzip_bombs_of_tiny_findings_are_refused_by_ingest_and_detect() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("tiny.json.gz");
    let inflated = gzip_bomb(&bomb, "[", TINY_FINDING, r#"{"id":"last"}]"#, 130 << 10);
    let out = dir.path().join("tuples.csv");
    let run = bounded::run(&["ingest", "guardduty", p(&bomb), "--output", p(&out)]);
    run.assert_refused("ingest guardduty", "decompression bomb");
    assert!(run.stderr.contains(p(&bomb)), "the error names the file: {}", run.stderr);
    eprintln!("ingest guardduty ({inflated} bytes inflated): peak RSS {:.0} MiB", run.peak_rss_mib);

    // No finding gives a pair, so the (unreachable) endpoint is never called.
    let run =
        bounded::run(&["detect", "--endpoint", "http://127.0.0.1:9", "--threshold", "0", "--alerts-only", p(&bomb)]);
    run.assert_refused("detect", "decompression bomb");
    assert!(run.stderr.contains(p(&bomb)), "the error names the file: {}", run.stderr);
    eprintln!("detect ({inflated} bytes inflated): peak RSS {:.0} MiB", run.peak_rss_mib);
}

#[test]
fn plain_files_of_tiny_findings_cost_their_tuples_not_100_times_their_size() {
    let dir = tempfile::tempdir().unwrap();
    let skipped = dir.path().join("tiny.json");
    let count = (24 << 20) / TINY_FINDING.len();
    std::fs::write(&skipped, format!("[{}{{\"id\":\"last\"}}]", TINY_FINDING.repeat(count))).unwrap();
    let out = dir.path().join("none.csv");
    let run = bounded::run(&["ingest", "guardduty", p(&skipped), "--output", p(&out)]);
    run.assert_bounded("ingest guardduty, 24 MiB of tiny findings");
    assert!(run.status.success(), "{}", run.stderr);
    let expected =
        format!("read {} findings from 1 files: 0 tuples from 0 findings; skipped {} findings", count + 1, count + 1);
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
    eprintln!("ingest guardduty, 24 MiB plain: peak RSS {:.0} MiB", run.peak_rss_mib);

    let run =
        bounded::run(&["detect", "--endpoint", "http://127.0.0.1:9", "--threshold", "0", "--alerts-only", p(&skipped)]);
    run.assert_bounded("detect, 24 MiB of tiny findings");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("detect: {} findings in 1 JSON values", count + 1)), "{}", run.stderr);
    eprintln!("detect, 24 MiB plain: peak RSS {:.0} MiB", run.peak_rss_mib);

    let with_tuples = dir.path().join("pairs.json");
    let count = (96 << 20) / TINY_FINDING_WITH_TUPLE.len();
    std::fs::write(&with_tuples, format!("[{}{{\"id\":\"last\"}}]", TINY_FINDING_WITH_TUPLE.repeat(count))).unwrap();
    let out = dir.path().join("pairs.csv");
    let run = bounded::run(&["ingest", "guardduty", p(&with_tuples), "--output", p(&out)]);
    run.assert_bounded("ingest guardduty, 96 MiB of tiny findings with a pair each");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stdout.contains(&format!("wrote {count} tuples")), "{}", run.stdout);
    eprintln!("ingest guardduty, 96 MiB plain with pairs: peak RSS {:.0} MiB", run.peak_rss_mib);
}

#[test]
fn a_finding_larger_than_any_guardduty_writes_is_refused_naming_file_and_item() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    let details = r#"{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}},"#.repeat((2 << 20) / 50);
    let big = format!(
        r#"{{"resource":{{"accessKeyDetails":{{"principalId":"AIDA1"}}}},"service":{{"action":{{"portProbeAction":{{"portProbeDetails":[{details}{{}}]}}}}}}}}"#
    );
    std::fs::write(&file, format!("{{\"id\":\"small\"}}\n{big}\n")).unwrap();
    let out = dir.path().join("tuples.csv");
    let run = bounded::run(&["ingest", "guardduty", p(&file), "--output", p(&out)]);
    run.assert_refused("ingest guardduty, a 2 MiB finding", "item 2: a finding or event of more than 1024 KiB");
    assert!(run.stderr.contains(p(&file)), "the error names the file: {}", run.stderr);
}
