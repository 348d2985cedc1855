//! A scripted HTTP server on loopback: answers requests in order with canned responses and records them.
//! It stands in for AWS where moto cannot (403, redirects, throttling, failed jobs, model errors).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::json;

/// The training job the scripts describe.
pub const JOB: &str = "ipinsights-2019-12-16-23-39-04-000";
/// Its creation time: 2019-12-16 23:39:04 UTC.
pub const T0: i64 = 1_576_539_544;

/// A DescribeTrainingJob answer for [`JOB`]: `status`, the secondary transitions as (status, message, seconds
/// after [`T0`]), and `extra` fields merged in. LastModifiedTime is the last transition's start, as SageMaker moves
/// it with every status change.
pub fn described(status: &str, transitions: &[(&str, &str, i64)], extra: serde_json::Value) -> Canned {
    let last_modified = T0 + transitions.last().map_or(0, |(_, _, dt)| *dt);
    let transitions: Vec<_> =
        transitions.iter().map(|(s, m, dt)| json!({ "Status": s, "StatusMessage": m, "StartTime": T0 + dt })).collect();
    let mut body = json!({
        "TrainingJobName": JOB,
        "TrainingJobArn": format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/{JOB}"),
        "TrainingJobStatus": status,
        "SecondaryStatus": transitions.last().map(|t| t["Status"].clone()),
        "CreationTime": T0,
        "LastModifiedTime": last_modified,
        "ResourceConfig": { "InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30 },
        "SecondaryStatusTransitions": transitions,
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Canned::json(200, body)
}

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Canned {
    /// The HTTP status.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (left out for HEAD).
    pub body: String,
}

impl Canned {
    /// An answer with no headers but the request id.
    pub fn new(status: u16, body: &str) -> Canned {
        Canned { status, headers: vec![("x-amzn-requestid".into(), format!("req-{status}"))], body: body.into() }
    }

    /// A SageMaker (awsJson1.1) JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Canned {
        Canned::new(status, &body.to_string()).header("content-type", "application/x-amz-json-1.1")
    }

    /// A SageMaker (awsJson1.1) error.
    pub fn aws_error(code: &str, message: &str, request_id: &str) -> Canned {
        let mut c = Canned::json(400, serde_json::json!({ "__type": code, "message": message }));
        c.headers[0].1 = request_id.into();
        c
    }

    /// This answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The HTTP method.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The server; it stops serving when dropped (the thread ends with the process).
pub struct Replay {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl Replay {
    /// Serves `script` in order; requests beyond it get a 599 so that tests fail loudly.
    pub fn start(script: Vec<Canned>) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&recorded);
        thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let answer = script.next().unwrap_or_else(|| Canned::new(599, "replay script exhausted"));
                serve(stream, &answer, &log);
            }
        });
        Replay { url, recorded }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }
}

#[cfg(feature = "sdk")]
impl Replay {
    /// Our configuration for this server: one attempt per call unless the test says otherwise.
    pub fn cfg(&self) -> ipinsights_aws_calls::AwsConfig {
        ipinsights_aws_calls::AwsConfig {
            max_attempts: Some(1),
            ..ipinsights_aws_calls::AwsConfig::local_emulator(&self.url)
        }
    }
}

/// Reads one request, records it, writes the answer and closes the connection.
fn serve(stream: TcpStream, answer: &Canned, log: &Mutex<Vec<Recorded>>) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    log.lock().unwrap().push(Recorded { method: method.clone(), path, headers, body });
    let mut out = format!("HTTP/1.1 {} Canned\r\nconnection: close\r\n", answer.status);
    for (k, v) in &answer.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    // HEAD answers carry no body but may announce one.
    let body_out = if method == "HEAD" { "" } else { answer.body.as_str() };
    out.push_str(&format!("content-length: {}\r\n\r\n{body_out}", body_out.len()));
    let mut stream = stream;
    stream.write_all(out.as_bytes()).ok()?;
    stream.flush().ok()
}
