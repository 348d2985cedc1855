//! Bad input gives a typed error naming the file (and line), never a panic.

use std::fs;
use std::io::Write;
use std::path::Path;

use ipinsights_security_logs::{read_cloudtrail, read_guardduty, SecurityError, TupleMode};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

const LOG: &str = r#"{"Records":[{"userIdentity":{"principalId":"AIDA1"},"sourceIPAddress":"1.2.3.4"},
{"userIdentity":{"principalId":"AIDA1"},"sourceIPAddress":"1.2.3.5","eventTime":"2024-01-01T00:00:00Z"}]}"#;

#[test]
fn truncated_gzip_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = String::from(r#"{"Records":["#);
    for i in 0..2000 {
        big += &format!(
            r#"{{"userIdentity":{{"principalId":"AIDA{i}"}},"sourceIPAddress":"10.0.{}.{}"}},"#,
            i / 256,
            i % 256
        );
    }
    big += r#"{}]}"#;
    let gz = gzip(big.as_bytes());
    let path = write(dir.path(), "cut.json.gz", &gz[..gz.len() / 2]);
    let err = read_cloudtrail(&path, TupleMode::AllEvents).unwrap_err();
    assert!(matches!(err, SecurityError::Read { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("cut.json.gz") && msg.contains("line 1"), "{msg}");
}

#[test]
fn truncated_gzip_names_the_line_the_file_breaks_off_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"Records\":[\n");
    for i in 0..3000 {
        text += &format!(
            "{{\"userIdentity\":{{\"principalId\":\"AIDA{i:05}\"}},\"sourceIPAddress\":\"10.0.{}.{}\"}},\n",
            i / 256,
            i % 256
        );
    }
    text += "{}]}";
    let gz = gzip(text.as_bytes());
    let path = write(dir.path(), "cut.json.gz", &gz[..gz.len() / 2]);
    let msg = read_cloudtrail(&path, TupleMode::AllEvents).unwrap_err().to_string();
    let line: usize = msg.split("near line ").nth(1).and_then(|rest| rest.split(',').next()).unwrap().parse().unwrap();
    // Half of the compressed bytes decompress to a good share of the records, but not all of them.
    assert!((100..3000).contains(&line), "{msg}");
}

#[test]
fn broken_json_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "broken.json", b"{\"Records\":[\n{\"sourceIPAddress\": \"1.2.3.4\",,\n]}");
    let err = read_cloudtrail(&path, TupleMode::AllEvents).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("broken.json: invalid JSON") && msg.contains("line 2"), "{msg}");
}

#[test]
fn wrong_top_level_shape_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("array.json", "[1, 2]"), ("other.json", r#"{"records": []}"#)] {
        let path = write(dir.path(), name, body.as_bytes());
        let msg = read_cloudtrail(&path, TupleMode::AllEvents).unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains("not a CloudTrail log file"), "{msg}");
    }
    let path = write(dir.path(), "ip_number.json", br#"{"Records":[{"sourceIPAddress": 17}]}"#);
    let msg = read_cloudtrail(&path, TupleMode::AllEvents).unwrap_err().to_string();
    assert!(msg.contains("ip_number.json") && msg.contains("line 1"), "{msg}");
}

#[test]
fn a_bad_file_in_a_directory_stops_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", LOG.as_bytes());
    write(dir.path(), "b.json", b"");
    let msg = read_cloudtrail(dir.path(), TupleMode::AllEvents).unwrap_err().to_string();
    assert!(msg.contains("b.json") && msg.contains("EOF"), "{msg}");
}

#[test]
fn missing_path_names_it() {
    let msg = read_cloudtrail(Path::new("/nonexistent/trail"), TupleMode::AllEvents).unwrap_err().to_string();
    assert!(msg.contains("/nonexistent/trail: cannot open"), "{msg}");
}

#[test]
fn guardduty_bad_line_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gd.jsonl", b"{\"id\":\"a\"}\n{\"id\":\n");
    let msg = read_guardduty(&path).unwrap_err().to_string();
    assert!(msg.contains("gd.jsonl: invalid JSON") && msg.contains("line 3"), "{msg}");

    let path = write(dir.path(), "shape.json", b"{\"id\":\"a\"}\n42\n");
    let msg = read_guardduty(&path).unwrap_err().to_string();
    assert!(msg.contains("shape.json: item 2") && msg.contains("a number"), "{msg}");

    let path = write(dir.path(), "trail.json", br#"{"Records": []}"#);
    let msg = read_guardduty(&path).unwrap_err().to_string();
    assert!(msg.contains("trail.json: item 1") && msg.contains("Records"), "{msg}");

    let path = write(dir.path(), "field.json", br#"{"id":"f1","resource":{"accessKeyDetails":{"principalId":7}}}"#);
    let msg = read_guardduty(&path).unwrap_err().to_string();
    assert!(
        msg.contains("field.json")
            && msg.contains("finding f1")
            && msg.contains("resource.accessKeyDetails.principalId"),
        "{msg}"
    );

    let gz = gzip(&fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/get_findings.json")).unwrap());
    let path = write(dir.path(), "cut.json", &gz[..gz.len() - 30]);
    let msg = read_guardduty(&path).unwrap_err().to_string();
    assert!(msg.contains("cut.json: read failed"), "{msg}");
}

/// A tree of more files than are parsed at once: tuples come in path order, and the first bad file in path order is
/// the one named, though later files (and later bad ones) are parsed beside it.
#[test]
fn files_parsed_in_parallel_are_added_in_path_order_and_the_first_bad_one_is_named() {
    use ipinsights_security_logs::cloudtrail::PARSE_BATCH;
    let dir = tempfile::tempdir().unwrap();
    let files = 2 * PARSE_BATCH + 7;
    for i in 0..files {
        let log = format!(
            r#"{{"Records":[{{"userIdentity":{{"principalId":"AIDA{i:04}"}},"sourceIPAddress":"10.0.0.1"}}]}}"#
        );
        write(dir.path(), &format!("{i:04}.json"), log.as_bytes());
    }
    let trail = read_cloudtrail(dir.path(), TupleMode::AllEvents).unwrap();
    let entities: Vec<String> = trail.pairs().map(|t| t.entity.clone()).collect();
    let expected: Vec<String> = (0..files).map(|i| format!("AIDA{i:04}")).collect();
    assert_eq!((trail.files, entities), (files, expected));

    let first_bad = PARSE_BATCH + 3;
    write(dir.path(), &format!("{first_bad:04}.json"), b"{\"Records\": 7}");
    write(dir.path(), &format!("{:04}.json", first_bad + 1), b"");
    write(dir.path(), &format!("{:04}.json", files - 1), b"[");
    let msg = read_cloudtrail(dir.path(), TupleMode::AllEvents).unwrap_err().to_string();
    assert!(msg.contains(&format!("{first_bad:04}.json")), "{msg}");
}
