//! Runs one job process of the local backend (`ipinsights train`, `ipinsights transform`): its stdout is the job's
//! log, streamed into the cell line by line as SageMaker shows a job's CloudWatch log; its stderr is kept for the
//! failure message.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};

use crate::backend::Output;

/// How a job process ended: its exit status and everything it wrote to stderr.
#[derive(Debug)]
pub struct Ended {
    /// The exit status.
    pub exit: ExitStatus,
    /// What it wrote to stderr.
    pub stderr: String,
}

impl Ended {
    /// The last non-blank line on stderr, for a message when the process did not report its outcome.
    pub fn last_words(&self) -> &str {
        self.stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no output on stderr")
    }
}

/// Starts `command`, streams its stdout to `out` until it ends, and waits for it; the error says what failed
/// (`what` names the process, e.g. "the training process").
pub fn run_streaming(command: &mut Command, what: &str, out: Output<'_>) -> Result<Ended, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command.get_program().to_string_lossy()))?;
    let stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        })
    });
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(line) => out(&format!("{line}\n")),
                Err(e) => out(&format!("(log line unreadable: {e})\n")),
            }
        }
    }
    let exit = child.wait().map_err(|e| format!("waiting for {what}: {e}"))?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(Ended { exit, stderr })
}
