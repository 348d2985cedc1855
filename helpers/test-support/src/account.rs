//! The emulated account (`tests/account_emulation.py`: moto plus GuardDuty findings, SageMaker endpoints forwarding
//! to a real model server, throttling and latency, Lambda functions busy for a while after each change), started per
//! test on a free loopback port, stopped (its standard input closed) on drop.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{without_aws_profile, Stopped};
use crate::{python, repo};

/// A running emulated account, stopped on drop.
pub struct AccountEmulator {
    process: Stopped,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The GuardDuty detector holding the seeded findings.
    pub detector_id: String,
    _dir: tempfile::TempDir,
}

/// What to start the emulator with.
#[derive(Default)]
pub struct Options<'a> {
    /// NDJSON of EventBridge events or findings to seed.
    pub findings: Option<&'a Path>,
    /// `NAME=URL` SageMaker endpoints.
    pub endpoints: Vec<String>,
    /// `OP=N`: every N-th call refused with the service's throttling error.
    pub throttle: Vec<&'a str>,
    /// `OP=SECONDS` latency.
    pub latency: Vec<&'a str>,
    /// `OP=N:K`: calls N to N+K-1 of an operation answer the service's 500 InternalError.
    pub outage: Vec<&'a str>,
    /// How long a Lambda function stays `Pending` / `InProgress` after a change (the emulator's default, 1 s, when
    /// `None`).
    pub lambda_busy_seconds: Option<f64>,
    /// How long a role's new inline policy takes to count for Lambda's checks (0 when `None`).
    pub iam_propagation_seconds: Option<f64>,
    /// How long SQS refuses to re-create a deleted queue's name (the emulator's default, 60 s as in SQS, when
    /// `None`).
    pub queue_deleted_wait_seconds: Option<f64>,
    /// How long a deleted DynamoDB table stays `DELETING` (0, off, when `None`).
    pub table_deleting_seconds: Option<f64>,
}

impl AccountEmulator {
    /// Starts with no extras.
    pub fn start() -> AccountEmulator {
        AccountEmulator::with(&Options::default())
    }

    /// Starts with `options` and waits until it serves.
    pub fn with(options: &Options) -> AccountEmulator {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready.json");
        let log = std::fs::File::create(dir.path().join("emulator.log")).unwrap();
        let mut cmd = Command::new(python());
        without_aws_profile(&mut cmd);
        cmd.arg(repo().join("tests/account_emulation.py")).arg("--ready-file").arg(&ready);
        if let Some(f) = options.findings {
            cmd.arg("--findings").arg(f);
        }
        for e in &options.endpoints {
            cmd.arg("--endpoint").arg(e);
        }
        for t in &options.throttle {
            cmd.arg("--throttle").arg(t);
        }
        for o in &options.outage {
            cmd.arg("--outage").arg(o);
        }
        for l in &options.latency {
            cmd.arg("--latency").arg(l);
        }
        if let Some(s) = options.lambda_busy_seconds {
            cmd.arg("--lambda-busy-seconds").arg(s.to_string());
        }
        if let Some(s) = options.table_deleting_seconds {
            cmd.arg("--table-deleting-seconds").arg(s.to_string());
        }
        if let Some(s) = options.queue_deleted_wait_seconds {
            cmd.arg("--queue-deleted-wait-seconds").arg(s.to_string());
        }
        if let Some(s) = options.iam_propagation_seconds {
            cmd.arg("--iam-propagation-seconds").arg(s.to_string());
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(log).spawn().unwrap();
        let stdin = child.stdin.take();
        let mut process = Stopped { child, stdin, grace: Duration::from_secs(5) };
        let deadline = Instant::now() + Duration::from_secs(90);
        let info: serde_json::Value = loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                break serde_json::from_str(&text).unwrap();
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("emulator.log")).unwrap_or_default();
                panic!("the account emulator exited with {status}:\n{log}");
            }
            assert!(Instant::now() < deadline, "the account emulator did not start within 90 s");
            std::thread::sleep(Duration::from_millis(50));
        };
        AccountEmulator {
            process,
            url: info["url"].as_str().unwrap().to_string(),
            detector_id: info["detector_id"].as_str().unwrap().to_string(),
            _dir: dir,
        }
    }

    /// CPU seconds (user + system) the emulator process has used so far, from /proc.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.process.child.id())).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }

    /// `{"refused": {op: n}, "max_in_flight": {op: n}, "failed": {op: n}}`.
    pub fn stats(&self) -> serde_json::Value {
        self.control("GET", "/_emulation/stats", "")
    }

    /// GuardDuty sees finding `id`'s activity again `times` times: it updates the finding (`service.count`,
    /// `updatedAt`) and re-publishes it to EventBridge each time.
    pub fn recur(&self, id: &str, times: usize) -> serde_json::Value {
        self.control("POST", "/_emulation/guardduty/recur", &serde_json::json!({"id": id, "times": times}).to_string())
    }

    /// Every EventBridge event GuardDuty published so far, oldest first.
    pub fn guardduty_events(&self) -> Vec<serde_json::Value> {
        serde_json::from_value(self.control("GET", "/_emulation/guardduty/events", "")).unwrap()
    }

    /// One call of the emulator's own controls; its JSON answer.
    fn control(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stream, &mut text).unwrap();
        let answer = text.split("\r\n\r\n").nth(1).unwrap_or("{}");
        serde_json::from_str(answer).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
    }
}

#[cfg(feature = "sdk")]
impl AccountEmulator {
    /// Our configuration for this account.
    pub fn cfg(&self) -> ipinsights_aws_calls::AwsConfig {
        ipinsights_aws_calls::AwsConfig::local_emulator(&self.url)
    }

    /// An SDK configuration for raw clients (test credentials, us-east-1, this endpoint).
    pub fn sdk(&self) -> aws_config::SdkConfig {
        crate::sdk_config(&self.url)
    }

    /// A raw S3 client (path style).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.s3_in("us-east-1")
    }

    /// A raw S3 client (path style) signing for `region`: the one that may use a bucket created in that region.
    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk()).region(aws_config::Region::new(region.to_string()));
        aws_sdk_s3::Client::from_conf(conf.force_path_style(true).build())
    }
}
