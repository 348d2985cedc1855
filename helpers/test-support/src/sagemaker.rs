//! The emulated SageMaker account (`tests/aws_emulation.py`: moto plus our release binary as strict as SageMaker's
//! IP Insights container), started per test, stopped (its standard input closed) on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{without_aws_profile, Stopped};
use crate::{python, repo};

/// A running emulated SageMaker account.
pub struct SageMakerEmulator {
    _process: Stopped,
    /// Its endpoint URL.
    pub url: String,
}

impl SageMakerEmulator {
    /// Starts the emulator serving `binary` as the container, with `bucket` created, and more arguments (`--quota
    /// NAME=VALUE`, `--quotas-denied`); waits until it says it is ready.
    pub fn start(binary: &Path, bucket: &str, args: &[&str]) -> SageMakerEmulator {
        let mut child = without_aws_profile(&mut Command::new(python()))
            .arg(repo().join("tests/aws_emulation.py"))
            .arg("--binary")
            .arg(binary)
            .args(["--bucket", bucket])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let process = Stopped { child, stdin, grace: Duration::from_secs(20) };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the emulated account did not start ({e}): {line:?}"));
        SageMakerEmulator { _process: process, url: ready["endpoint_url"].as_str().unwrap().to_string() }
    }
}
