//! Following a job's CloudWatch log streams like the SageMaker Python SDK's `logs_for_job`: streams `{job}/…` of
//! group `/aws/sagemaker/TrainingJobs` (or `/aws/sagemaker/TransformJobs`), read forward, merged by time.

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::OrderBy;
use aws_sdk_cloudwatchlogs::Client;

use crate::{AwsError, ServiceError};

/// The log group SageMaker training jobs write to.
pub const TRAINING_LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";

/// The log group SageMaker batch transform jobs write to.
pub const TRANSFORM_LOG_GROUP: &str = "/aws/sagemaker/TransformJobs";

/// Pages of events read from one stream in one poll at most (the rest comes at the next poll).
const MAX_PAGES_PER_POLL: usize = 100;

/// One log event: its time (Unix milliseconds) and the line to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogLine {
    /// When it was logged (Unix milliseconds).
    pub(crate) timestamp: i64,
    /// The message, prefixed with `[host] ` when the job has several instances.
    pub(crate) text: String,
}

/// A stream being followed: its name, the host shown for it, and where reading goes on.
#[derive(Debug)]
struct Stream {
    name: String,
    host: String,
    next_token: Option<String>,
}

/// The log streams of one job and how far each was read.
#[derive(Debug)]
pub(crate) struct LogTail {
    group: &'static str,
    job_name: String,
    instance_count: usize,
    streams: Vec<Stream>,
}

impl LogTail {
    /// Follows the job's streams in `group`; there is one stream per instance once all have started logging.
    pub(crate) fn new(group: &'static str, job_name: &str, instance_count: u32) -> LogTail {
        LogTail {
            group,
            job_name: job_name.into(),
            instance_count: instance_count.max(1) as usize,
            streams: Vec::new(),
        }
    }

    /// Whether any stream exists yet.
    pub(crate) fn has_streams(&self) -> bool {
        !self.streams.is_empty()
    }

    /// Every event logged since the last call, all streams merged by time (ties keep stream order).
    /// A log group or stream that does not exist yet is normal early in a job and reads as no events.
    pub(crate) async fn poll(&mut self, client: &Client) -> Result<Vec<LogLine>, AwsError> {
        if self.streams.len() < self.instance_count {
            self.discover(client).await?;
        }
        let several = self.instance_count > 1 || self.streams.len() > 1;
        let mut per_stream = Vec::with_capacity(self.streams.len());
        for stream in &mut self.streams {
            let prefix = if several { format!("[{}] ", stream.host) } else { String::new() };
            let events = read_forward(client, self.group, stream).await?;
            let lines =
                events.into_iter().map(|(timestamp, message)| LogLine { timestamp, text: prefix.clone() + &message });
            per_stream.push(lines.collect());
        }
        Ok(merge_by_time(per_stream))
    }

    /// Lists the job's streams (by name), keeping the position of those already known.
    async fn discover(&mut self, client: &Client) -> Result<(), AwsError> {
        let prefix = format!("{}/", self.job_name);
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = client
                .describe_log_streams()
                .log_group_name(self.group)
                .log_stream_name_prefix(&prefix)
                .order_by(OrderBy::LogStreamName)
                .limit(self.instance_count.min(50) as i32)
                .set_next_token(token.clone())
                .send()
                .await;
            let out = match answer {
                Ok(out) => out,
                Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(()),
                Err(e) => return Err(AwsError::Service(Box::new(ServiceError::from_sdk("DescribeLogStreams", &e)))),
            };
            names.extend(out.log_streams().iter().filter_map(|s| s.log_stream_name()).map(String::from));
            match out.next_token() {
                Some(next) if Some(next) != token.as_deref() && !out.log_streams().is_empty() => {
                    token = Some(next.to_string());
                }
                _ => break,
            }
        }
        for name in names {
            if !self.streams.iter().any(|s| s.name == name) {
                let host = host_of(name.strip_prefix(&prefix).unwrap_or(&name)).to_string();
                self.streams.push(Stream { name, host, next_token: None });
            }
        }
        self.streams.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(())
    }
}

/// Reads a stream forward from where the last read stopped: (timestamp, message) in order.
async fn read_forward(client: &Client, group: &str, stream: &mut Stream) -> Result<Vec<(i64, String)>, AwsError> {
    let mut events = Vec::new();
    for _ in 0..MAX_PAGES_PER_POLL {
        let answer = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(&stream.name)
            .start_from_head(true)
            .set_next_token(stream.next_token.clone())
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(e) if e.code() == Some("ResourceNotFoundException") => break,
            Err(e) => return Err(AwsError::Service(Box::new(ServiceError::from_sdk("GetLogEvents", &e)))),
        };
        let page = out.events();
        events.extend(page.iter().map(|e| {
            let message = e.message().unwrap_or_default().trim_end_matches(['\n', '\r']);
            (e.timestamp().unwrap_or_default(), message.to_string())
        }));
        let unchanged = out.next_forward_token().is_none() || out.next_forward_token() == stream.next_token.as_deref();
        if let Some(token) = out.next_forward_token() {
            stream.next_token = Some(token.to_string());
        }
        // CloudWatch answers the same token (and no events) at the end of a stream.
        if page.is_empty() || unchanged {
            break;
        }
    }
    Ok(events)
}

/// Merges streams that are each in time order: repeatedly the earliest head, the first stream on ties.
fn merge_by_time(streams: Vec<Vec<LogLine>>) -> Vec<LogLine> {
    let total = streams.iter().map(Vec::len).sum();
    let mut heads = vec![0usize; streams.len()];
    let mut merged = Vec::with_capacity(total);
    while merged.len() < total {
        let next = (0..streams.len())
            .filter(|&i| heads[i] < streams[i].len())
            .min_by_key(|&i| streams[i][heads[i]].timestamp)
            .unwrap_or_default();
        merged.push(streams[next][heads[next]].clone());
        heads[next] += 1;
    }
    merged
}

/// The host of a stream `{host}-{epoch seconds}` (`algo-1-1576539544` → `algo-1`); other names as they are.
fn host_of(stream: &str) -> &str {
    match stream.rsplit_once('-') {
        Some((host, stamp)) if !host.is_empty() && stamp.len() >= 9 && stamp.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => stream,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(events: &[(i64, &str)]) -> Vec<LogLine> {
        events.iter().map(|&(timestamp, text)| LogLine { timestamp, text: text.into() }).collect()
    }

    #[test]
    fn streams_merge_by_time_with_ties_in_stream_order() {
        let a = lines(&[(1, "a1"), (5, "a5"), (5, "a5bis"), (9, "a9")]);
        let b = lines(&[(0, "b0"), (5, "b5"), (7, "b7")]);
        let merged: Vec<String> = merge_by_time(vec![a, Vec::new(), b]).into_iter().map(|l| l.text).collect();
        assert_eq!(merged, ["b0", "a1", "a5", "a5bis", "b5", "b7", "a9"]);
        assert!(merge_by_time(Vec::new()).is_empty());
    }

    #[test]
    fn hosts_drop_the_stream_timestamp_only() {
        assert_eq!(host_of("algo-1-1576539544"), "algo-1");
        assert_eq!(host_of("algo-2-1234567890"), "algo-2");
        assert_eq!(host_of("algo-1"), "algo-1");
        assert_eq!(host_of("worker-12"), "worker-12");
        assert_eq!(host_of("-1576539544"), "-1576539544");
    }
}
