//! The readers' input limits: gzip inputs that expand too far, plain inputs that are too large and oversized
//! findings are refused with an error naming the input, before they can cost their size in memory.

use std::io::{Read, Write};

use flate2::{write::GzEncoder, Compression};
use ipinsights_security_logs::{
    CloudTrailReader, GuardDutyReader, InputTooLarge, SecurityError, TupleMode, MAX_DECOMPRESSED_BYTES,
};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `head`, `fill` bytes of JSON whitespace, `tail`: valid JSON that compresses about 1000 times.
fn padded(head: &str, fill: usize, tail: &str) -> Vec<u8> {
    let mut bytes = head.as_bytes().to_vec();
    bytes.resize(head.len() + fill, b' ');
    bytes.extend_from_slice(tail.as_bytes());
    bytes
}

fn refusal(err: SecurityError) -> (String, InputTooLarge) {
    match err {
        SecurityError::TooLarge { name, reason } => (name, reason),
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn gzip_that_expands_more_than_the_ratio_is_refused_naming_the_input() {
    let bomb = gzip(&padded(r#"{"Records":["#, 9 << 20, "]}"));
    let mut reader = CloudTrailReader::new(TupleMode::AllEvents);
    let err = reader.add_reader(bomb.as_slice(), "s3://bucket/bomb.json.gz").unwrap_err();
    assert!(err.to_string().starts_with("s3://bucket/bomb.json.gz: refused: decompression bomb"), "{err}");
    assert!(matches!(refusal(err).1, InputTooLarge::Ratio { .. }));

    let bomb = gzip(&padded("{\"id\":\"a\"}\n", 9 << 20, "{\"id\":\"b\"}\n"));
    let mut reader = GuardDutyReader::new();
    let (name, why) = refusal(reader.add_reader(bomb.as_slice(), "findings.json.gz").unwrap_err());
    assert_eq!(name, "findings.json.gz");
    assert!(matches!(why, InputTooLarge::Ratio { .. }), "{why}");
    assert_eq!(reader.finish().findings, 0, "a refused file adds nothing");

    // Below the ratio check's threshold, compressibility is harmless.
    let small = gzip(&padded(r#"{"Records":["#, 4 << 20, "]}"));
    CloudTrailReader::new(TupleMode::AllEvents).add_reader(small.as_slice(), "small.json.gz").unwrap();
}

#[test]
fn a_plain_input_above_the_size_limit_is_refused() {
    // 128 MiB of whitespace inside a log file, generated as it is read.
    let head = std::io::Cursor::new(br#"{"Records":["#.to_vec());
    let body = std::io::repeat(b' ').take(MAX_DECOMPRESSED_BYTES);
    let stream = head.chain(body).chain(std::io::Cursor::new(b"]}".to_vec()));
    let mut reader = CloudTrailReader::new(TupleMode::AllEvents);
    let (name, why) = refusal(reader.add_reader(stream, "huge.json").unwrap_err());
    assert_eq!((name.as_str(), why), ("huge.json", InputTooLarge::Size { gzip: false }));
    assert!(InputTooLarge::Size { gzip: false }.to_string().contains("more than 128 MiB"));

    // Exactly the limit passes.
    let head = br#"{"Records":["#;
    let body = std::io::repeat(b' ').take(MAX_DECOMPRESSED_BYTES - head.len() as u64 - 2);
    let stream = std::io::Cursor::new(head.to_vec()).chain(body).chain(std::io::Cursor::new(b"]}".to_vec()));
    CloudTrailReader::new(TupleMode::AllEvents).add_reader(stream, "limit.json").unwrap();
}
