//! Downloads written with the one atomic writer: the target is the old file or the whole new one, never a part,
//! and nothing else is left in its folder when a download breaks off or is interrupted.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use ipinsights_aws_calls::{download_file, AwsConfig, AwsError};

/// Serves one GetObject announcing `announced` bytes and sending `sent` of them (then closing); returns its URL.
fn object_server(announced: usize, sent: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let mut stream = stream;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nContent-Type: application/octet-stream\r\n\
             x-amz-request-id: req-1\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&vec![7u8; sent]);
    });
    url
}

fn config(url: &str) -> AwsConfig {
    AwsConfig { max_attempts: Some(1), ..AwsConfig::local_emulator(url) }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_whole_download_is_the_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.tar.gz");
    let url = object_server(3 << 20, 3 << 20);
    let n = download_file(&config(&url), "s3://bucket/model.tar.gz", &target, &mut |_, _| {}).unwrap();
    assert_eq!(n, 3 << 20);
    assert_eq!(std::fs::read(&target).unwrap(), vec![7u8; 3 << 20]);
    assert_eq!(names(dir.path()), ["model.tar.gz"]);
}

#[test]
fn a_body_that_breaks_off_leaves_the_old_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.tar.gz");
    std::fs::write(&target, "old").unwrap();
    let url = object_server(3 << 20, 2 << 20);
    let err = download_file(&config(&url), "s3://bucket/model.tar.gz", &target, &mut |_, _| {}).unwrap_err();
    let AwsError::Service(failed) = &err else { panic!("{err:?}") };
    assert_eq!((failed.operation, failed.http_status), ("GetObject", None), "the body broke off, not the call");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
    assert_eq!(names(dir.path()), ["model.tar.gz"], "no part left beside it");
}

#[test]
fn an_interrupted_download_leaves_no_file_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("model.tar.gz");
    let url = object_server(3 << 20, 3 << 20);
    // A panic in the progress callback after the first MiB stands for an interrupted cell.
    let interrupted = std::panic::catch_unwind(|| {
        download_file(&config(&url), "s3://bucket/model.tar.gz", &target, &mut |received, _| {
            assert!(received < 1 << 20, "interrupted after {received} bytes");
        })
    });
    assert!(interrupted.is_err(), "the download was interrupted");
    assert_eq!(names(dir.path()), Vec::<String>::new(), "neither the target nor a part of it");
}
