//! The SageMaker Python SDK's progress output while waiting for a training job, as a pure state machine.

use crate::training::{StatusTransition, TrainingJobSummary};
use crate::TrainingJobStatus;
use ipinsights_sagemaker_facts::utc::format_utc;

/// Turns successive DescribeTrainingJob snapshots into the SDK's output fragments (to print without a newline).
#[derive(Debug, Default)]
pub(crate) struct TransitionPrinter {
    /// Transitions already printed.
    seen: usize,
    /// The message of the last transition printed.
    last_message: Option<String>,
    /// Whether any line was printed yet.
    printed: bool,
}

impl TransitionPrinter {
    /// The output for one poll: the new (or newly re-worded) transitions, one line each, as
    /// `{UTC time} {Status} - {StatusMessage}` stamped with the job's LastModifiedTime (as the SDK stamps them);
    /// or `.` when nothing changed.
    pub(crate) fn poll(&mut self, job: &TrainingJobSummary) -> String {
        let lines = self.changes(job);
        if lines.is_empty() {
            return ".".into();
        }
        let mut text = if self.printed { "\n".to_string() } else { String::new() };
        text.push_str(&lines.into_iter().map(|(_, line)| line).collect::<Vec<_>>().join("\n"));
        self.printed = true;
        text
    }

    /// The transitions that are new (or newly re-worded) since the last call, each with when it started (Unix
    /// seconds, to merge it with log events) and its line, stamped like the SDK's with the job's LastModifiedTime;
    /// empty when nothing changed.
    pub(crate) fn changes(&mut self, job: &TrainingJobSummary) -> Vec<(Option<i64>, String)> {
        let transitions = &job.transitions;
        let Some(last) = transitions.last() else { return Vec::new() };
        if self.last_message.as_deref() == Some(last.message.as_str()) && transitions.len() == self.seen {
            return Vec::new();
        }
        // Same count but a new message: the current stage was re-worded, so print it again.
        let start = if transitions.len() > self.seen { self.seen } else { transitions.len() - 1 };
        self.seen = transitions.len();
        self.last_message = Some(last.message.clone());
        transitions[start..]
            .iter()
            .map(|t| (t.start_time.or(job.last_modified), line(t, job.last_modified.or(t.start_time))))
            .collect()
    }

    /// The closing output: a line break, then for a completed (or stopped) job `Training seconds: N` and
    /// `Billable seconds: N` (totals over all instances, as the SDK prints them) when SageMaker reports them.
    pub(crate) fn finish(&self, job: &TrainingJobSummary) -> String {
        let mut text = String::from("\n");
        if matches!(job.status, TrainingJobStatus::Completed | TrainingJobStatus::Stopped) {
            if let Some(s) = job.training_seconds {
                text.push_str(&format!("Training seconds: {s}\n"));
            }
            if let Some(s) = job.billable_seconds {
                text.push_str(&format!("Billable seconds: {s}\n"));
            }
        }
        text
    }
}

/// One transition line at `time` (Unix seconds).
fn line(t: &StatusTransition, time: Option<i64>) -> String {
    let time = time.map_or_else(|| "????-??-?? ??:??:??".to_string(), format_utc);
    format!("{time} {} - {}", t.status, t.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_576_539_544; // 2019-12-16 23:39:04

    fn t(status: &str, message: &str, offset: i64) -> StatusTransition {
        StatusTransition { status: status.into(), message: message.into(), start_time: Some(T0 + offset) }
    }

    fn job(status: TrainingJobStatus, transitions: Vec<StatusTransition>) -> TrainingJobSummary {
        TrainingJobSummary {
            job_name: "ipinsights-2019-12-16-23-39-04-000".into(),
            status,
            secondary_status: transitions.last().map(|t| t.status.clone()),
            failure_reason: None,
            instance_count: 1,
            training_seconds: Some(71),
            billable_seconds: Some(71),
            model_artifact: None,
            // SageMaker moves LastModifiedTime with every status change.
            last_modified: transitions.last().and_then(|t| t.start_time).or(Some(T0)),
            transitions,
        }
    }

    #[test]
    fn prints_like_the_sdk_with_dots_between_changes_stamped_with_the_last_modified_time() {
        let starting = t("Starting", "Starting the training job", 0);
        let launching = t("Starting", "Launching requested ML instances", 0);
        let downloading = t("Downloading", "Downloading input data", 60);
        let training = t("Training", "Training image download completed. Training in progress.", 90);
        let uploading = t("Uploading", "Uploading generated training model", 150);
        let completed = t("Completed", "Training job completed", 161);
        let mut p = TransitionPrinter::default();
        let mut out = String::new();
        out += &p.poll(&job(TrainingJobStatus::InProgress, vec![]));
        out += &p.poll(&job(TrainingJobStatus::InProgress, vec![starting.clone()]));
        out += &p.poll(&job(TrainingJobStatus::InProgress, vec![starting.clone()]));
        out += &p.poll(&job(TrainingJobStatus::InProgress, vec![launching.clone()]));
        out += &p
            .poll(&job(TrainingJobStatus::InProgress, vec![launching.clone(), downloading.clone(), training.clone()]));
        let done = job(TrainingJobStatus::Completed, vec![launching, downloading, training, uploading, completed]);
        out += &p.poll(&done);
        out += &p.finish(&done);
        assert_eq!(
            out,
            ".2019-12-16 23:39:04 Starting - Starting the training job.\n\
             2019-12-16 23:39:04 Starting - Launching requested ML instances\n\
             2019-12-16 23:40:34 Downloading - Downloading input data\n\
             2019-12-16 23:40:34 Training - Training image download completed. Training in progress.\n\
             2019-12-16 23:41:45 Uploading - Uploading generated training model\n\
             2019-12-16 23:41:45 Completed - Training job completed\n\
             Training seconds: 71\n\
             Billable seconds: 71\n"
        );
    }

    #[test]
    fn failed_jobs_and_missing_times() {
        let mut failed =
            job(TrainingJobStatus::Failed, vec![StatusTransition { start_time: None, ..t("Failed", "boom", 0) }]);
        failed.last_modified = None;
        let mut p = TransitionPrinter::default();
        assert_eq!(p.poll(&failed), "????-??-?? ??:??:?? Failed - boom");
        assert_eq!(p.finish(&failed), "\n", "no seconds for a failed job");
        let stopped = job(TrainingJobStatus::Stopped, vec![t("Stopped", "Training job stopped", 5)]);
        assert_eq!(p.finish(&stopped), "\nTraining seconds: 71\nBillable seconds: 71\n", "a stopped job was billed");
        failed.last_modified = Some(T0);
        assert_eq!(TransitionPrinter::default().poll(&failed), "2019-12-16 23:39:04 Failed - boom");
    }
}
