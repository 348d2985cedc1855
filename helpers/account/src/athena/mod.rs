//! CloudTrail through Amazon Athena, for organisation-scale trails: Athena reads the trail's objects where they are,
//! in parallel, and returns one row per distinct (identity type, principal id, ARN, issuer ARN, source IP) with its
//! count of events; the entity rule stays here, in Rust ([`results`]), so the tuples, their multiplicities and the
//! skip counts are those the S3 reader ([`crate::read_trail`]) gives for the same records.
//!
//! The table is the CloudTrail user guide's, with partition projection over accounts, regions and days ([`ddl`]),
//! created when missing (its DDL printed). The answer is read as Athena writes it, the CSV result object in S3,
//! streamed and bounded ([`AthenaOptions::max_result_bytes`]), never 1,000 rows per GetQueryResults call. The
//! bytes scanned, their cost at Athena's price and the run time are reported; a failed query is explained in one line
//! naming the fix ([`errors`]).
//!
//! CloudTrail Lake is not a second engine here: its event data stores bill per GB ingested and retained, not per
//! query over the trail bucket, and hold only events ingested after the store was created, so a security engineer
//! who has one already has the same SQL (`FROM <event data store id>`, columns `userIdentity.type`, …) in its
//! console; see docs/AWS.md.

pub mod csv;
pub mod ddl;
pub mod errors;
pub mod query;
pub mod results;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use ipinsights_attempts::AttemptLog;
use ipinsights_aws_calls::AwsConfig;
use ipinsights_security_logs::{CloudTrailExtract, TupleMode};

use crate::clients::{run, Clients};
use crate::error::{AccountError, Result};
use crate::layout::{self, TrailAccount};
use crate::trail::{account_regions, counted, open_trail, OpenedTrail, TrailSource, DEFAULT_MAX_EVENTS};
use ddl::{check_name, projection_start, TableSpec};
use query::{cost_usd, Finished, Runner};
use results::Aggregate;

/// The result object Athena writes may be this large at most by default (1 GiB: about 10 million distinct rows).
pub const DEFAULT_MAX_RESULT_BYTES: u64 = 1 << 30;

/// Where the query runs and how its answer is read.
#[derive(Clone, Debug, PartialEq)]
pub struct AthenaOptions {
    /// Glue database of the table (default `default`, which Athena makes in every account).
    pub database: String,
    /// The CloudTrail table (default `cloudtrail_ipinsights`), created when missing.
    pub table: String,
    /// Athena workgroup (default `primary`).
    pub workgroup: String,
    /// `s3://BUCKET/PREFIX/` for the query's results; `None` uses the workgroup's query result location.
    pub output_location: Option<String>,
    /// One tuple per event, or each (principal, IP) pair once.
    pub mode: TupleMode,
    /// Tuples laid out at most (`AllEvents`: events); more is refused, naming the pairs `UniquePairs` would keep.
    pub max_events: usize,
    /// The result object may be this large at most, checked before a byte of it is read.
    pub max_result_bytes: u64,
    /// How long one query may run.
    pub max_wait: Duration,
}

impl Default for AthenaOptions {
    fn default() -> Self {
        AthenaOptions {
            database: "default".into(),
            table: "cloudtrail_ipinsights".into(),
            workgroup: "primary".into(),
            output_location: None,
            mode: TupleMode::AllEvents,
            max_events: DEFAULT_MAX_EVENTS,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            max_wait: Duration::from_secs(30 * 60),
        }
    }
}

impl AthenaOptions {
    fn validate(&self) -> Result<()> {
        check_name("database", &self.database)?;
        check_name("table", &self.table)?;
        let bad = |m: String| Err(AccountError::InvalidInput(m));
        if self.workgroup.is_empty()
            || !self.workgroup.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return bad(format!("workgroup {:?} is not a workgroup name (letters, digits, . _ -)", self.workgroup));
        }
        if let Some(out) = &self.output_location {
            let bucket = out.strip_prefix("s3://").and_then(|rest| rest.split('/').next()).unwrap_or("");
            if !ipinsights_aws_calls::is_valid_bucket_name(bucket) {
                return bad(format!("output_location {out:?} is not s3://BUCKET/PREFIX/"));
            }
        }
        if self.max_events == 0 || self.max_result_bytes == 0 {
            return bad("max_events and max_result_bytes must be at least 1".into());
        }
        Ok(())
    }
}

/// The tuples read through Athena, with what the query cost.
#[derive(Clone, Debug)]
pub struct AthenaTrailExtract {
    /// `s3://bucket/prefix/AWSLogs/`.
    pub source: String,
    /// Tuples and counts: the S3 reader's for the same records (sorted by entity and address, `files` 0: a query
    /// reads no files here; `event_time` unknown).
    pub extract: CloudTrailExtract,
    /// `database.table`.
    pub table: String,
    /// The DDL run when the table was missing.
    pub created_table: Option<String>,
    /// The query run.
    pub sql: String,
    /// Its id.
    pub query_execution_id: String,
    /// Accounts read.
    pub accounts: Vec<String>,
    /// Regions read.
    pub regions: Vec<String>,
    /// Days in the range.
    pub days: usize,
    /// Rows of the answer (distinct identity and source combinations).
    pub rows: usize,
    /// `s3://…/ID.csv`, the answer.
    pub result_location: String,
    /// Its size in bytes.
    pub result_bytes: u64,
    /// Bytes Athena scanned.
    pub scanned_bytes: u64,
    /// Athena's engine time.
    pub engine_time: Duration,
    /// Wall time of the whole read (table check, query, answer).
    pub elapsed: Duration,
    /// Failed attempts the SDK retried.
    pub attempts: AttemptLog,
}

impl AthenaTrailExtract {
    /// The query's estimated cost in US$ at Athena's price (US$ 5 per TB scanned, 10 MB minimum).
    pub fn cost_usd(&self) -> f64 {
        cost_usd(self.scanned_bytes)
    }
}

impl fmt::Display for AthenaTrailExtract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nfrom {} through Athena ({}): {}, {}, {}: query {} scanned {:.1} MB (about US$ {:.4} at US$ 5 \
             per TB, 10 MB minimum) in {:.1} s ({:.1} s in the engine); {} rows ({:.1} MB) read from {}; {}",
            self.extract,
            self.source,
            self.table,
            counted(self.accounts.len(), "account"),
            counted(self.regions.len(), "region"),
            counted(self.days, "day"),
            self.query_execution_id,
            self.scanned_bytes as f64 / 1e6,
            self.cost_usd(),
            self.elapsed.as_secs_f64(),
            self.engine_time.as_secs_f64(),
            self.rows,
            self.result_bytes as f64 / 1e6,
            self.result_location,
            self.attempts
        )
    }
}

/// Reads the trail through Athena: checks (or creates) the table, runs one query, reads its answer. `say` hears
/// what is done (the DDL when the table is made, a line while the query runs).
pub fn read_trail_athena(
    cfg: &AwsConfig,
    source: &TrailSource,
    options: &AthenaOptions,
    say: &mut dyn FnMut(&str),
) -> Result<AthenaTrailExtract> {
    source.validate()?;
    options.validate()?;
    if let Some(r) = source.regions.iter().find(|r| !is_region_name(r)) {
        return Err(AccountError::InvalidInput(format!("{r:?} is not a region name")));
    }
    run(async {
        let clients = Clients::load(cfg).await?;
        read(&clients, source, options, say).await
    })
}

async fn read(
    clients: &Clients,
    source: &TrailSource,
    options: &AthenaOptions,
    say: &mut dyn FnMut(&str),
) -> Result<AthenaTrailExtract> {
    let start = Instant::now();
    let opened = open_trail(clients, source).await?;
    let spec = table_spec(&opened, source, options).await?;
    let athena = clients.athena_as(opened.credentials.clone());
    let runner = Runner {
        client: &athena,
        database: &options.database,
        table: &options.table,
        workgroup: &options.workgroup,
        output_location: options.output_location.as_deref(),
        max_wait: options.max_wait,
    };
    let created_table = ensure_table(&runner, &spec, say).await?;
    let sql = select(&spec, &source.first_day.folder(), &source.last_day.folder());
    let finished = runner.run(&sql, say).await?;
    let result_s3 = clients.s3_for(&opened.session_region, opened.credentials);
    let (aggregate, result_bytes) = read_answer(&result_s3, &finished, options.max_result_bytes).await?;
    check_size(&aggregate, options)?;
    Ok(AthenaTrailExtract {
        source: source.uri(),
        rows: aggregate.rows,
        extract: aggregate.finish(options.mode),
        table: format!("{}.{}", spec.database, spec.table),
        created_table,
        sql,
        query_execution_id: finished.query_execution_id,
        accounts: spec.accounts,
        regions: spec.regions,
        days: layout::days(source.first_day, source.last_day)?.len(),
        result_location: finished.output_location,
        result_bytes,
        scanned_bytes: finished.scanned_bytes,
        engine_time: finished.engine_time,
        elapsed: start.elapsed(),
        attempts: clients.log.clone(),
    })
}

/// The table over the trail's accounts, regions and days.
async fn table_spec(opened: &OpenedTrail, source: &TrailSource, options: &AthenaOptions) -> Result<TableSpec> {
    let accounts = &opened.accounts.read;
    let organization = one_organization(accounts, source)?;
    let regions = regions_of(&opened.s3, source, &opened.prefix, accounts).await?;
    layout::days(source.first_day, source.last_day)?;
    let prefix = &opened.prefix;
    Ok(TableSpec {
        database: options.database.clone(),
        table: options.table.clone(),
        location: match &organization {
            Some(org) => format!("s3://{}/{prefix}AWSLogs/{org}/", source.bucket),
            None => format!("s3://{}/{prefix}AWSLogs/", source.bucket),
        },
        accounts: accounts.iter().map(|a| a.account_id.clone()).collect(),
        regions,
        first_day: projection_start(&source.first_day.folder()),
    })
}

/// Refuses an answer of more tuples than `max_events`, with what to do instead.
fn check_size(aggregate: &Aggregate, options: &AthenaOptions) -> Result<()> {
    let (events, pairs) = (aggregate.events, aggregate.unique_pairs());
    let laid_out = match options.mode {
        TupleMode::AllEvents => events,
        TupleMode::UniquePairs => pairs as u64,
    };
    if laid_out > options.max_events as u64 {
        return Err(AccountError::InvalidInput(format!(
            "the query found {events} usable events ({pairs} distinct principal–address pairs), more than \
             max_events ({}): raise max_events (about {} bytes each), narrow the days, accounts or regions, or keep \
             each pair once (TupleMode::UniquePairs: {pairs} tuples)",
            options.max_events,
            crate::trail::KEPT_BYTES_PER_EVENT
        )));
    }
    Ok(())
}

/// Whether `name` can name a region in a query: lower-case letters, digits and `-` only.
fn is_region_name(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The organisation folder of the accounts read (all in one), if any.
fn one_organization(accounts: &[TrailAccount], source: &TrailSource) -> Result<Option<String>> {
    let orgs: BTreeSet<Option<String>> = accounts.iter().map(|a| a.organization_id.clone()).collect();
    match orgs.len() {
        0 => Ok(source.organization_id.clone()),
        1 => Ok(orgs.into_iter().next().flatten()),
        _ => Err(AccountError::InvalidInput(format!(
            "{} holds the accounts asked under several folders ({}): one Athena table reads one, so read them \
             apart with accounts(&[…])",
            source.uri(),
            orgs.iter().map(|o| o.as_deref().unwrap_or("AWSLogs/")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The regions asked, else every region folder of the accounts read, sorted.
async fn regions_of(
    s3: &aws_sdk_s3::Client,
    source: &TrailSource,
    prefix: &str,
    accounts: &[TrailAccount],
) -> Result<Vec<String>> {
    let mut regions: BTreeSet<String> = source.regions.iter().cloned().collect();
    if regions.is_empty() {
        for account in accounts {
            let found = account_regions(s3, source, prefix, account).await?;
            regions.extend(found.into_iter().filter(|r| is_region_name(r)));
        }
    }
    if regions.is_empty() {
        return Err(AccountError::InvalidInput(format!(
            "no region folders under {}…/CloudTrail/: check the trail's bucket and prefix, or name regions",
            source.uri()
        )));
    }
    Ok(regions.into_iter().collect())
}

/// The query: one row per distinct identity and source in the days, accounts and regions asked, with its count.
pub fn select(spec: &TableSpec, first_day: &str, last_day: &str) -> String {
    let quoted = |values: &[String]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT useridentity.type AS identity_type, useridentity.principalid AS principal_id, \
         useridentity.arn AS arn, useridentity.sessioncontext.sessionissuer.arn AS issuer_arn, \
         sourceipaddress AS source_ip, count(*) AS events\nFROM {}\nWHERE account IN ({})\n  AND region IN ({})\n  \
         AND \"timestamp\" BETWEEN '{first_day}' AND '{last_day}'\nGROUP BY 1, 2, 3, 4, 5",
        spec.qualified(),
        quoted(&spec.accounts),
        quoted(&spec.regions)
    )
}

/// Makes sure the table exists and can answer: created (DDL said) when missing, refused when it would read another
/// location or leave out accounts, regions or days. Returns the DDL when it ran.
async fn ensure_table(runner: &Runner<'_>, spec: &TableSpec, say: &mut dyn FnMut(&str)) -> Result<Option<String>> {
    let explain = |reason: String| {
        AccountError::InvalidInput(errors::explain(&reason, &spec.database, &spec.table, "the output location"))
    };
    runner
        .client
        .get_database()
        .catalog_name("AwsDataCatalog")
        .database_name(&spec.database)
        .send()
        .await
        .map_err(|e| explain(ipinsights_aws_calls::sdk::service_error("GetDatabase", e).to_string()))?;
    let found = runner
        .client
        .get_table_metadata()
        .catalog_name("AwsDataCatalog")
        .database_name(&spec.database)
        .table_name(&spec.table)
        .send()
        .await;
    match found {
        Ok(out) => {
            let parameters: HashMap<String, String> =
                out.table_metadata().and_then(|t| t.parameters()).cloned().unwrap_or_default();
            if let Some(why) = spec.mismatch(&parameters) {
                return Err(AccountError::InvalidInput(why));
            }
            say(&format!("Athena table {}.{} exists and covers this read (not changed).", spec.database, spec.table));
            Ok(None)
        }
        Err(e) => {
            let err = ipinsights_aws_calls::sdk::service_error("GetTableMetadata", e);
            let text = err.to_string();
            let missing = err.service_code() == Some("MetadataException")
                && (text.contains("EntityNotFound") || text.to_ascii_lowercase().contains("not found"));
            if !missing {
                return Err(explain(text));
            }
            let ddl = spec.ddl();
            say(&format!(
                "Creating the Athena table {}.{} (CloudTrail, partition projection):\n{ddl}",
                spec.database, spec.table
            ));
            runner.run(&ddl, say).await?;
            Ok(Some(ddl))
        }
    }
}

/// Streams the query's CSV answer from S3 into the aggregate; refuses an object larger than `max_bytes` before
/// reading it. Returns the aggregate and the object's size.
async fn read_answer(s3: &aws_sdk_s3::Client, finished: &Finished, max_bytes: u64) -> Result<(Aggregate, u64)> {
    let uri = finished.output_location.clone();
    let bad = |message: String| AccountError::Object { uri: uri.clone(), message };
    let (bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .ok_or_else(|| bad("Athena's output location is not s3://BUCKET/KEY".into()))?;
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| bad(ipinsights_aws_calls::sdk::service_error("GetObject", e).to_string()))?;
    let size = u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0);
    if size > max_bytes {
        return Err(bad(format!(
            "the answer is {size} bytes, more than max_result_bytes ({max_bytes}): narrow the days, accounts or \
             regions, or raise max_result_bytes"
        )));
    }
    let mut body = out.body;
    let mut parser = csv::CsvRows::default();
    let mut aggregate = Aggregate::default();
    let mut read = 0u64;
    let mut each = |row: Vec<Option<String>>| aggregate.add(row);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| bad(format!("download failed part-way: {e}")))?;
        read += chunk.len() as u64;
        if read > max_bytes {
            return Err(bad(format!("the answer grew past max_result_bytes ({max_bytes}) while read")));
        }
        parser.feed(&chunk, &mut each).map_err(bad)?;
    }
    parser.finish(&mut each).map_err(bad)?;
    if !aggregate.has_header() {
        return Err(bad("the answer is empty, without even its header row".into()));
    }
    Ok((aggregate, read))
}
