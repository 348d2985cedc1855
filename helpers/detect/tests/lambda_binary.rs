//! The `ipinsights-lambda` binary (or the packaged `bootstrap`, with `LAMBDA_BOOTSTRAP=path`) under a local
//! emulator of the Lambda Runtime API (`GET …/invocation/next`, `POST …/invocation/{id}/response` or `/error`), as
//! Lambda runs it: answers, bad payloads answered (not errors), configuration errors at init, and the cold start
//! (printed: process start to the first response).
#![cfg(feature = "lambda")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ipinsights_engine::{HyperParameters, Model};

/// One HTTP/1.1 request: (request line, body).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((line.trim_end().to_string(), body))
}

/// What the function told the runtime API, and when.
#[derive(Debug)]
enum Seen {
    /// A `GET …/next` poll.
    Poll(Instant),
    /// A `POST` (request line, body).
    Posted(String, Vec<u8>, Instant),
}

/// Serves `events` in order (request ids `req-1`, `req-2`, …), reports polls and posts, then holds the next poll.
fn runtime_api(listener: TcpListener, events: Vec<Vec<u8>>, seen: mpsc::Sender<Seen>) {
    let mut events = events.into_iter().enumerate();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        while let Some((line, body)) = read_request(&mut reader) {
            if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                let _ = seen.send(Seen::Poll(Instant::now()));
                let Some((i, event)) = events.next() else {
                    std::thread::sleep(Duration::from_secs(120)); // the test kills the process
                    return;
                };
                let deadline =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 60_000;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Lambda-Runtime-Aws-Request-Id: req-{}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:detect\r\n\
                     Lambda-Runtime-Trace-Id: Root=1-0-0\r\n\r\n",
                    event.len(),
                    i + 1
                );
                writer.write_all(head.as_bytes()).unwrap();
                writer.write_all(&event).unwrap();
            } else if line.starts_with("POST ") {
                let _ = writer.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
                let _ = seen.send(Seen::Posted(line, body, Instant::now()));
            }
        }
    }
}

/// The binary under test: `LAMBDA_BOOTSTRAP` (the packaged one) or the test build.
fn binary() -> PathBuf {
    std::env::var_os("LAMBDA_BOOTSTRAP")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ipinsights-lambda")), PathBuf::from)
}

fn lambda() -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("AWS_LAMBDA_FUNCTION_NAME", "detect")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn sample_event() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/guardduty_event.json")).unwrap()
}

/// Starts the function against a runtime API serving `events`.
fn start(events: Vec<Vec<u8>>, configure: impl FnOnce(&mut Command)) -> (Child, mpsc::Receiver<Seen>, Instant) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || runtime_api(listener, events, tx));
    let mut cmd = lambda();
    cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
    configure(&mut cmd);
    let started = Instant::now();
    (cmd.spawn().unwrap(), rx, started)
}

/// The next `n` posts, failing with the function's stderr if they do not come.
fn posts(child: &mut Child, rx: &mpsc::Receiver<Seen>, n: usize) -> Vec<(String, serde_json::Value, Instant)> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while out.len() < n {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Seen::Posted(line, body, at)) => out.push((line, serde_json::from_slice(&body).unwrap(), at)),
            Ok(Seen::Poll(_)) => {}
            Err(e) => {
                let _ = child.kill();
                let mut stderr = String::new();
                child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                panic!("no response ({e}); stderr: {stderr}");
            }
        }
    }
    out
}

fn model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hp = HyperParameters::from_map([("num_entity_vectors", "4"), ("vector_dim", "4")]).unwrap();
    Model::new(&hp, 1, 1).save_dir(&dir.path().join("model")).unwrap();
    dir
}

#[test]
fn the_binary_answers_invocations_and_counts_bad_payloads() {
    let dir = model_dir();
    let event = sample_event();
    let truncated = event[..event.len() / 2].to_vec();
    let (mut child, rx, _) = start(vec![event, truncated], |cmd| {
        cmd.env("THRESHOLD", "-1000").env("MODEL_DIR", dir.path().join("model"));
    });
    let answers = posts(&mut child, &rx, 2);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let (line, response, _) = &answers[0];
    assert_eq!(line, "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1");
    // Any finite score of an untrained model exceeds −1000: an alert.
    assert_eq!(response["alerts"], 1, "{response}");
    assert_eq!(response["records"][0]["finding_id"], "42c6a1f3f2a9b5e8d7c6b5a4f3e2d1c0");
    // Truncated JSON is answered (no error, so Lambda does not retry it) and counted.
    let (line, response, _) = &answers[1];
    assert_eq!(line, "POST /2018-06-01/runtime/invocation/req-2/response HTTP/1.1");
    let reason = response["skipped"].as_object().unwrap().keys().next().unwrap().clone();
    assert!(reason.starts_with("invalid JSON: EOF while parsing"), "{response}");
    // Each record is logged to stdout (CloudWatch Logs) as one JSON line, then the invocation's summary.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["verdict"], "alert");
    assert_eq!(lines[1]["summary"]["alerts"], 1);
}

#[test]
fn a_bad_configuration_stops_at_init_naming_the_variable() {
    let output = lambda().env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9").env("MODEL_DIR", "/m").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("THRESHOLD: not set"), "{stderr}");
}

/// Cold start as Lambda would see it for the deployed configuration (a SageMaker endpoint by name and an alert
/// topic, the SDK configured from the environment): process start to the first poll (init) and to the first
/// response (an event of another type, which needs no call). Printed, median of 5.
#[test]
fn cold_start() {
    let mut inits = Vec::new();
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let other =
            br#"{"version":"0","source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}"#;
        let (mut child, rx, started) = start(vec![other.to_vec()], |cmd| {
            cmd.env("THRESHOLD", "0")
                .env("ENDPOINT_NAME", "ipinsights-ep")
                .env("ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:ipinsights-detector")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_SESSION_TOKEN", "testing")
                .env("AWS_EC2_METADATA_DISABLED", "true");
        });
        let first_poll = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Seen::Poll(at)) => at,
            other => panic!("expected the first poll, got {other:?}"),
        };
        let answer = posts(&mut child, &rx, 1);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(answer[0].1["skipped"]["not a GuardDuty finding"], 1, "{}", answer[0].1);
        inits.push(first_poll - started);
        firsts.push(answer[0].2 - started);
    }
    inits.sort();
    firsts.sort();
    println!(
        "BENCH lambda cold start of {}: init {:.1} ms, first response {:.1} ms (median of 5)",
        binary().display(),
        inits[2].as_secs_f64() * 1000.0,
        firsts[2].as_secs_f64() * 1000.0
    );
}
