//! Waiting for a training job like the SageMaker Python SDK: its status lines and dots, and optionally the job's
//! CloudWatch log merged in (the SDK's `logs=True`).

use std::time::Duration;

use crate::logs::{LogLine, LogTail};
use crate::runtime::run;
use crate::training::describe;
use crate::transitions::TransitionPrinter;
use crate::{AwsConfig, AwsError, JobStatus, TrainingJobSummary};

/// The longest wait, after a job ended, for its last log events to reach CloudWatch.
const LAST_EVENTS_WAIT: Duration = Duration::from_secs(10);

/// Polls a training job every `poll` until it ends, writing the SDK's progress to `out` (fragments to print
/// as they come, without adding newlines): each new secondary status as `{UTC time} {Status} - {Message}`,
/// a `.` per unchanged poll, and at the end `Training seconds: N` and `Billable seconds: N`.
/// A Failed or Stopped job is [`AwsError::TrainingJobFailed`] with its FailureReason.
pub fn wait_for_training_job(
    cfg: &AwsConfig,
    job_name: &str,
    poll: Duration,
    out: &mut dyn FnMut(&str),
) -> Result<TrainingJobSummary, AwsError> {
    run(async {
        let client = cfg.sagemaker().await?;
        let mut printer = TransitionPrinter::default();
        loop {
            let job = describe(&client, job_name).await?;
            out(&printer.poll(&job));
            if !has_ended(&job) {
                tokio::time::sleep(poll).await;
                continue;
            }
            out(&printer.finish(&job));
            return outcome(job);
        }
    })
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
    run(async {
        let sagemaker = cfg.sagemaker().await?;
        let logs = cfg.logs().await?;
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
            let tail = tail.get_or_insert_with(|| LogTail::new(job_name, job.instance_count));
            let events = tail.poll(&logs).await?;
            let mut text = lines.render(printer.changes(&job), events);
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
                return outcome(job);
            }
            first = false;
            tokio::time::sleep(poll).await;
        }
    })
}

/// Whether the job has reached a final status.
fn has_ended(job: &TrainingJobSummary) -> bool {
    !matches!(job.status, JobStatus::InProgress | JobStatus::Stopping)
}

/// A completed job, or [`AwsError::TrainingJobFailed`] (the SDK's wording) for any other final status.
fn outcome(job: TrainingJobSummary) -> Result<TrainingJobSummary, AwsError> {
    match job.status {
        JobStatus::Completed => Ok(job),
        _ => Err(AwsError::TrainingJobFailed {
            job_name: job.job_name,
            status: job.status.to_string(),
            reason: job.failure_reason.unwrap_or_else(|| "(No reason provided)".into()),
        }),
    }
}

/// Output with logs: each line starts a new line of output (the line before is ended lazily, so dots follow
/// the line they belong to, as in the SDK's output).
#[derive(Debug, Default)]
struct Lines {
    /// Whether anything was written yet.
    started: bool,
}

impl Lines {
    /// New status lines (with their Unix-second times) and log lines (in time order), merged by time: a status
    /// that started in the same second as an event comes first.
    fn render(&mut self, transitions: Vec<(Option<i64>, String)>, events: Vec<LogLine>) -> String {
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
    fn dot(&mut self) -> String {
        self.started = true;
        ".".into()
    }

    /// The waiter's closing text (which starts with a line break), without that break when nothing came before.
    fn closing(&self, finish: &str) -> String {
        if self.started { finish } else { finish.strip_prefix('\n').unwrap_or(finish) }.to_string()
    }

    fn push(&mut self, text: &mut String, line: &str) {
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
