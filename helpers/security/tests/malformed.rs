//! Bad input gives a typed error naming the file (and line), never a panic.

use std::fs;
use std::io::Write;
use std::path::Path;

use ipinsights_security::{read_cloudtrail, read_guardduty, SecurityError, TupleMode};

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
