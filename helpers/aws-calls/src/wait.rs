//! Waiting for a training job like the SageMaker Python SDK: its status lines and dots, and optionally the job's
//! CloudWatch log merged in (the SDK's `logs=True`).
//!
//! Waits survive a long job: their Describe* and CloudWatch Logs calls retry throttling and transient errors (standard
//! retry mode, at least [`crate::WAIT_MAX_ATTEMPTS`] attempts each), and every retried failure is shown as a line of
//! the output. An error that still ends the wait (expired credentials, a lost network) is
//! [`AwsError::WaitInterrupted`], naming the job and how to pick it up again: the job itself keeps running.

use std::collections::BTreeMap;
use std::time::Duration;

use ipinsights_attempts::AttemptLog;

use crate::logs::{LogLine, LogTail, TRAINING_LOG_GROUP};
use crate::training::describe;
use crate::transitions::TransitionPrinter;
use crate::{AwsConfig, AwsError, TrainingJobStatus, TrainingJobSummary};

/// The longest wait, after a job ended, for its last log events to reach CloudWatch.
const LAST_EVENTS_WAIT: Duration = Duration::from_secs(10);

/// The SDK v2's warning for a job that ended `Stopped` (its model, if written, is still usable).
pub const STOPPED_WARNING: &str = "ended with status 'Stopped' rather than 'Completed'. This could mean the job \
     timed out or stopped early for some other reason: Consider checking whether it completed as you expect.";

/// Polls a training job every `poll` until it ends, writing the SDK's progress to `out` (fragments to print
/// as they come, without adding newlines): each new secondary status as `{UTC time} {Status} - {Message}` (the
/// time is the job's LastModifiedTime, as the SDK stamps them), a `.` per unchanged poll, and at the end
/// `Training seconds: N` and `Billable seconds: N`.
///
/// A Completed job is returned; a Stopped one too, after the SDK v2's warning (its model artifact may be there:
/// see [`TrainingJobSummary::model_artifact`]). A Failed job is [`AwsError::TrainingJobFailed`] with its
/// FailureReason; a wait that loses track of the job is [`AwsError::WaitInterrupted`].
pub fn wait_for_training_job(
    cfg: &AwsConfig,
    job_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<TrainingJobSummary, AwsError> {
    let retries = RetryNotes::default();
    let waited = cfg.run(async {
        let client = cfg.sagemaker_for_waits(&retries.log).await?;
        let mut printer = TransitionPrinter::default();
        let mut retries = retries.clone();
        loop {
            let job = describe(&client, job_name).await?;
            for note in retries.news() {
                out(&format!("\n{note}\n"));
            }
            out(&printer.poll(&job));
            if !has_ended(&job) {
                tokio::time::sleep(poll).await;
                continue;
            }
            out(&printer.finish(&job));
            return Ok(job);
        }
    });
    outcome(interrupted("training job", job_name, &attach_hint(job_name), waited)?, out)
}

/// [`wait_for_training_job`] that also prints the job's log as it comes (the SDK's `logs=True`).
///
/// Every poll reads the new events of the streams `{job_name}/…` in log group [`crate::TRAINING_LOG_GROUP`]
/// (one per instance; lines get a `[host] ` prefix when there are several) and writes them, with the new status
/// lines, in time order, one per line. A `.` stands for a poll with nothing new while no stream exists yet; a
/// log group or stream that does not exist yet is normal early in a job and not an error. Once the job has
/// ended, the remaining events are read one last time (after up to 10 s for them to reach CloudWatch, unless
/// the job had already ended at the first poll) before the closing `Training seconds` / `Billable seconds`.
pub fn wait_for_training_job_with_logs(
    cfg: &AwsConfig,
    job_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<TrainingJobSummary, AwsError> {
    let retries = RetryNotes::default();
    let waited = cfg.run(async {
        let sagemaker = cfg.sagemaker_for_waits(&retries.log).await?;
        let logs = cfg.logs_for_waits(&retries.log).await?;
        let mut retries = retries.clone();
        let mut printer = TransitionPrinter::default();
        let mut lines = Lines::default();
        let mut tail: Option<LogTail> = None;
        let mut first = true;
        loop {
            let job = describe(&sagemaker, job_name).await?;
            let ended = has_ended(&job);
            if ended && !first {
                tokio::time::sleep(poll.min(LAST_EVENTS_WAIT)).await;
            }
            let tail = tail.get_or_insert_with(|| LogTail::new(TRAINING_LOG_GROUP, job_name, job.instance_count));
            let events = tail.poll(&logs).await?;
            let mut text = String::new();
            for note in retries.news() {
                lines.push(&mut text, &note);
            }
            text += &lines.render(printer.changes(&job), events);
            if text.is_empty() && !ended && !tail.has_streams() {
                text = lines.dot();
            }
            if ended {
                text.push_str(&lines.closing(&printer.finish(&job)));
            }
            if !text.is_empty() {
                out(&text);
            }
            if ended {
                return Ok(job);
            }
            first = false;
            tokio::time::sleep(poll).await;
        }
    });
    outcome(interrupted("training job", job_name, &attach_hint(job_name), waited)?, out)
}

/// How to resume waiting for a training job from a notebook.
fn attach_hint(job_name: &str) -> String {
    format!("`Estimator::attach`: `estimator.attach(\"{job_name}\")?` in a new cell")
}

/// Whether the job has reached a final status.
fn has_ended(job: &TrainingJobSummary) -> bool {
    !matches!(job.status, TrainingJobStatus::InProgress | TrainingJobStatus::Stopping)
}

/// A wait's own failure, as [`AwsError::WaitInterrupted`] naming the job (of `kind`) and how to `resume`.
pub(crate) fn interrupted<T>(
    kind: &'static str,
    job_name: &str,
    resume: &str,
    waited: Result<T, AwsError>,
) -> Result<T, AwsError> {
    waited.map_err(|e| match e {
        // Nothing was waited for: the call could not even start.
        AwsError::InsideAsyncRuntime | AwsError::Runtime(_) | AwsError::NoRegion => e,
        e => AwsError::WaitInterrupted {
            kind,
            job_name: job_name.into(),
            credentials: e.is_credentials_error(),
            resume: resume.into(),
            source: Box::new(e),
        },
    })
}

/// A Completed job; a Stopped one after the SDK v2's warning; [`AwsError::TrainingJobFailed`] (the SDK's wording)
/// for any other final status.
fn outcome(job: TrainingJobSummary, out: &mut dyn FnMut(&str)) -> Result<TrainingJobSummary, AwsError> {
    match job.status {
        TrainingJobStatus::Completed => Ok(job),
        TrainingJobStatus::Stopped => {
            out(&format!("Warning: training job {} {STOPPED_WARNING}\n", job.job_name));
            Ok(job)
        }
        _ => Err(AwsError::TrainingJobFailed {
            job_name: job.job_name,
            status: job.status,
            reason: job.failure_reason.unwrap_or_else(|| "(No reason provided)".into()),
        }),
    }
}

/// The failed attempts the SDK retried during a wait, reported once each as lines of the output.
#[derive(Clone, Debug, Default)]
pub(crate) struct RetryNotes {
    /// Shared with the wait's clients (their interceptor records every failed attempt).
    pub(crate) log: AttemptLog,
    /// What was reported already.
    reported: BTreeMap<(String, String), u64>,
}

impl RetryNotes {
    /// One line per (operation, error) with failed attempts since the last call, e.g.
    /// `(SageMaker DescribeTrainingJob: 2 attempts failed with ThrottlingException and were retried)`. Only errors
    /// the SDK retries count (throttling, server errors, no response): an answer such as "no log group yet" is
    /// part of waiting, and any other failure ends the wait with its own error.
    pub(crate) fn news(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for ((operation, code), count) in self.log.failed_attempts() {
            if !is_retried(&code) {
                continue;
            }
            let before = self.reported.insert((operation.clone(), code.clone()), count).unwrap_or(0);
            let new = count.saturating_sub(before);
            if new > 0 {
                let (attempts, were) =
                    if new == 1 { ("1 attempt".into(), "was") } else { (format!("{new} attempts"), "were") };
                lines.push(format!("({operation}: {attempts} failed with {code} and {were} retried)"));
            }
        }
        lines
    }
}

/// Whether the SDK's standard retry mode retries an attempt that failed with `code` (as the attempt log names it).
fn is_retried(code: &str) -> bool {
    const TRANSIENT: [&str; 7] = [
        "no response",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
    ];
    ipinsights_attempts::is_throttling(code) || TRANSIENT.contains(&code) || code.starts_with("HTTP 5")
}

/// Output with logs: each line starts a new line of output (the line before is ended lazily, so dots follow
/// the line they belong to, as in the SDK's output).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// Whether anything was written yet.
    started: bool,
}

impl Lines {
    /// New status lines (with their Unix-second times) and log lines (in time order), merged by time: a status
    /// that started in the same second as an event comes first.
    pub(crate) fn render(&mut self, transitions: Vec<(Option<i64>, String)>, events: Vec<LogLine>) -> String {
        let mut text = String::new();
        let mut events = events.into_iter().peekable();
        for (time, line) in transitions {
            let at = time.map_or(i64::MIN, |s| s.saturating_mul(1000));
            while let Some(event) = events.next_if(|e| e.timestamp < at) {
                self.push(&mut text, &event.text);
            }
            self.push(&mut text, &line);
        }
        for event in events {
            self.push(&mut text, &event.text);
        }
        text
    }

    /// A poll with nothing to show.
    pub(crate) fn dot(&mut self) -> String {
        self.started = true;
        ".".into()
    }

    /// The waiter's closing text (which starts with a line break), without that break when nothing came before.
    pub(crate) fn closing(&self, finish: &str) -> String {
        if self.started { finish } else { finish.strip_prefix('\n').unwrap_or(finish) }.to_string()
    }

    /// Appends one line (starting a new line of output).
    pub(crate) fn push(&mut self, text: &mut String, line: &str) {
        if self.started {
            text.push('\n');
        }
        text.push_str(line);
        self.started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp: i64, text: &str) -> LogLine {
        LogLine { timestamp, text: text.into() }
    }

    #[test]
    fn status_lines_and_events_merge_by_time_and_dots_follow_their_line() {
        let mut lines = Lines::default();
        assert_eq!(lines.closing("\nTraining seconds: 3\n"), "Training seconds: 3\n");
        let mut out = lines.dot();
        out += &lines.render(vec![(Some(10), "10 Starting".into())], vec![]);
        out += &lines.dot();
        out += &lines.render(
            vec![(Some(20), "20 Training".into()), (Some(30), "30 Uploading".into())],
            vec![event(19_999, "a"), event(20_000, "b"), event(29_000, "c"), event(31_000, "d")],
        );
        out += &lines.render(vec![(None, "?? Completed".into())], vec![event(40_000, "e")]);
        out += &lines.closing("\nTraining seconds: 3\n");
        assert_eq!(
            out,
            ".\n10 Starting.\na\n20 Training\nb\nc\n30 Uploading\nd\n?? Completed\ne\nTraining seconds: 3\n"
        );
    }
}
