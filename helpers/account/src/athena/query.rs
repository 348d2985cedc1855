//! One Athena query run to its end: started in a workgroup (with an output location when given), waited for with
//! growing pauses, its statistics (bytes scanned, engine time) and result object returned, or its own failure
//! explained in one line ([`explain`]).

use std::time::{Duration, Instant};

use aws_sdk_athena::types::{QueryExecution, QueryExecutionContext, QueryExecutionState, ResultConfiguration};

use super::errors::explain;
use crate::error::{AccountError, Result};

/// Athena's price for SQL queries: US$ 5 per TB of data scanned (the Athena pricing page; 10 MB minimum per query),
/// in US$ per byte.
pub const USD_PER_BYTE_SCANNED: f64 = 5.0 / 1e12;

/// Athena bills at least this many bytes per query (the pricing page: "rounded up to the nearest megabyte, with a
/// 10 MB minimum per query").
pub const MIN_BILLED_BYTES: u64 = 10_000_000;

/// The estimated cost in US$ of a query that scanned `bytes`.
pub fn cost_usd(bytes: u64) -> f64 {
    let billed = bytes.div_ceil(1_000_000).saturating_mul(1_000_000).max(MIN_BILLED_BYTES);
    billed as f64 * USD_PER_BYTE_SCANNED
}

/// Where and how a query runs.
pub struct Runner<'a> {
    /// The Athena client.
    pub client: &'a aws_sdk_athena::Client,
    /// Glue database (the query's context).
    pub database: &'a str,
    /// The table, for explanations.
    pub table: &'a str,
    /// Workgroup.
    pub workgroup: &'a str,
    /// `s3://…/` for results; `None` uses the workgroup's.
    pub output_location: Option<&'a str>,
    /// How long to wait for one query at most.
    pub max_wait: Duration,
}

/// A query that succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// Its id.
    pub query_execution_id: String,
    /// `s3://…/ID.csv`, where Athena wrote the answer.
    pub output_location: String,
    /// Bytes scanned (`Statistics.DataScannedInBytes`).
    pub scanned_bytes: u64,
    /// Time in Athena's engine (`Statistics.EngineExecutionTimeInMillis`).
    pub engine_time: Duration,
    /// Time from start to end, as seen here.
    pub elapsed: Duration,
}

impl Runner<'_> {
    fn output_for_messages(&self) -> &str {
        self.output_location.unwrap_or("the workgroup's query result location")
    }

    fn failed(&self, reason: &str) -> AccountError {
        AccountError::InvalidInput(explain(reason, self.database, self.table, self.output_for_messages()))
    }

    /// What the succeeded query `id` gives: where its answer is, what it scanned and how long it ran.
    fn finished(&self, id: String, execution: &QueryExecution, elapsed: Duration) -> Result<Finished> {
        let output = execution
            .result_configuration()
            .and_then(|r| r.output_location())
            .ok_or_else(|| self.failed("the query succeeded without an output location"))?;
        let stats = execution.statistics();
        let scanned = stats.and_then(|s| s.data_scanned_in_bytes()).and_then(|b| u64::try_from(b).ok());
        let engine = stats.and_then(|s| s.engine_execution_time_in_millis()).and_then(|m| u64::try_from(m).ok());
        Ok(Finished {
            query_execution_id: id,
            output_location: output.to_string(),
            scanned_bytes: scanned.unwrap_or(0),
            engine_time: Duration::from_millis(engine.unwrap_or(0)),
            elapsed,
        })
    }

    /// Runs `sql` and waits for it; `say` hears a line every ~10 s of waiting.
    pub async fn run(&self, sql: &str, say: &mut dyn FnMut(&str)) -> Result<Finished> {
        let start = Instant::now();
        let mut request =
            self.client.start_query_execution().query_string(sql).work_group(self.workgroup).query_execution_context(
                QueryExecutionContext::builder().catalog("AwsDataCatalog").database(self.database).build(),
            );
        if let Some(output) = self.output_location {
            request = request.result_configuration(ResultConfiguration::builder().output_location(output).build());
        }
        let started = request.send().await.map_err(|e| {
            let err = ipinsights_aws_calls::sdk::service_error("StartQueryExecution", e);
            self.failed(&err.to_string())
        })?;
        let id = started
            .query_execution_id()
            .ok_or_else(|| AccountError::InvalidInput("StartQueryExecution answered without a query id".into()))?
            .to_string();
        let (mut pause, mut next_note) = (Duration::from_millis(100), Duration::from_secs(10));
        loop {
            let out = self.client.get_query_execution().query_execution_id(&id).send().await.map_err(|e| {
                let err = ipinsights_aws_calls::sdk::service_error("GetQueryExecution", e);
                self.failed(&err.to_string())
            })?;
            let execution = out.query_execution();
            let status = execution.and_then(|e| e.status());
            match status.and_then(|s| s.state()) {
                Some(QueryExecutionState::Succeeded) => {
                    let execution = execution.expect("a state has an execution");
                    return self.finished(id, execution, start.elapsed());
                }
                Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                    let status = status.expect("a state has a status");
                    let reason = status
                        .state_change_reason()
                        .or_else(|| status.athena_error().and_then(|e| e.error_message()))
                        .unwrap_or("no reason given");
                    return Err(self.failed(&format!("query {id}: {reason}")));
                }
                _ => {}
            }
            if start.elapsed() > self.max_wait {
                return Err(AccountError::NotReady(format!(
                    "Athena query {id} still runs after {:.0} s: stop it (aws athena stop-query-execution \
                     --query-execution-id {id}) and narrow the days, accounts or regions",
                    self.max_wait.as_secs_f64()
                )));
            }
            if start.elapsed() >= next_note {
                say(&format!("  Athena query {id} running, {:.0} s…", start.elapsed().as_secs_f64()));
                next_note += Duration::from_secs(10);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_is_five_dollars_a_terabyte_with_a_ten_megabyte_minimum() {
        assert!((cost_usd(1_000_000_000_000) - 5.0).abs() < 1e-9);
        assert!((cost_usd(0) - 5e-5).abs() < 1e-12, "10 MB minimum");
        assert!((cost_usd(10_000_001) - 11e6 * 5e-12).abs() < 1e-12, "rounded up to the megabyte");
    }
}
