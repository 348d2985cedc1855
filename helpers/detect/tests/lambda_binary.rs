//! The `ipinsights-lambda` binary against a minimal stand-in for the Lambda Runtime API
//! (`GET …/invocation/next`, `POST …/invocation/{id}/response`), as Lambda runs it.
#![cfg(feature = "lambda")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// Serves one event, sends the function's response body to `responses`, then holds further polls.
fn runtime_api(listener: TcpListener, event: String, responses: mpsc::Sender<(String, Vec<u8>)>) {
    let mut served = false;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        while let Some((line, body)) = read_request(&mut reader) {
            if line.starts_with("GET /2018-06-01/runtime/invocation/next") && !served {
                served = true;
                let deadline =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 60_000;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Lambda-Runtime-Aws-Request-Id: req-1\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:detect\r\n\
                     Lambda-Runtime-Trace-Id: Root=1-0-0\r\n\r\n",
                    event.len()
                );
                writer.write_all(head.as_bytes()).unwrap();
                writer.write_all(event.as_bytes()).unwrap();
            } else if line.starts_with("POST ") {
                let _ = writer.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
                let _ = responses.send((line, body));
            } else {
                // A second poll: hold it; the test kills the process.
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
        }
    }
}

fn lambda() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipinsights-lambda"));
    cmd.env_clear()
        .env("AWS_LAMBDA_FUNCTION_NAME", "detect")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn the_binary_answers_one_invocation() {
    let dir = tempfile::tempdir().unwrap();
    let hp = HyperParameters::from_map([("num_entity_vectors", "4"), ("vector_dim", "4")]).unwrap();
    Model::new(&hp, 1, 1).save_dir(&dir.path().join("model")).unwrap();
    let event =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/guardduty_event.json")).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || runtime_api(listener, event, tx));
    let mut child = lambda()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("THRESHOLD", "-1000")
        .env("MODEL_DIR", dir.path().join("model"))
        .spawn()
        .unwrap();
    let answer = rx.recv_timeout(Duration::from_secs(60));
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let (line, body) =
        answer.unwrap_or_else(|e| panic!("no response ({e}); stderr: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(line, "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1");
    let response: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // Any finite score of an untrained model exceeds −1000: an alert.
    assert_eq!(response["alerts"], 1, "{response}");
    assert_eq!(response["records"][0]["finding_id"], "42c6a1f3f2a9b5e8d7c6b5a4f3e2d1c0");
    // The record is logged to stdout (CloudWatch Logs) as one JSON line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logged: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(logged["verdict"], "alert");
}

#[test]
fn a_bad_configuration_stops_at_init_naming_the_variable() {
    let output = lambda().env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9").env("MODEL_DIR", "/m").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("THRESHOLD: not set"), "{stderr}");
}
