//! Where the workshop's data comes from, chosen in one cell, and the live detector deployed into the account.
//!
//! [`DataSource::Simulated`] (the default, on both backends) writes the simulated account and reads it back;
//! [`DataSource::OwnAccount`] (AWS backend, feature `account`) reads the account's own CloudTrail from its S3 bucket
//! and its GuardDuty findings from the API. Either way the cell gets the same [`SecurityData`]: CloudTrail tuples,
//! GuardDuty tuples, and a findings file for the detector, so every later cell runs unchanged.
//!
//! ```text
//! let source = DataSource::Simulated;
//! // let source = DataSource::own_account("my-cloudtrail-bucket", "2024-03-04", "2024-03-10").regions(&["us-east-1"]);
//! // An organisation trail in the log-archive account, every member account, a tenth of the objects:
//! // let source = DataSource::own_account("org-trail", "2024-03-04", "2024-03-10")
//! //     .role_arn("arn:aws:iam::111122223333:role/trail-reader").all_accounts().sample(0.1);
//! // At organisation scale, Athena reads the trail where it is (one query; the same tuples):
//! // let source = DataSource::athena("org-trail", "2024-03-04", "2024-03-10")
//! //     .all_accounts().output_location("s3://my-athena-results/ipinsights/");
//! let data = account::security_data(&session, &source, Path::new("../out/account-data"))?;
//! println!("{data}");
//! ```
//!
//! The AWS calls take an `ipinsights_aws_calls::AwsConfig` (built from the session in [`security_data`],
//! [`deploy_detector`] and [`teardown_detector`]).

use std::fmt;
use std::path::{Path, PathBuf};

use ipinsights_security_logs::{read_cloudtrail, read_guardduty, CloudTrailExtract, GuardDutyExtract, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};

use crate::backend::AccountAccess;
use crate::error::{Result, WorkshopError};
use crate::session::Session;

/// The account's own trail and findings (plain data; read with the AWS backend and feature `account`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnAccount {
    /// The trail's bucket.
    pub bucket: String,
    /// The trail's key prefix (before `AWSLogs/`), empty when none.
    pub prefix: String,
    /// First day (`YYYY-MM-DD`, UTC, included).
    pub first_day: String,
    /// Last day (`YYYY-MM-DD`, UTC, included).
    pub last_day: String,
    /// Regions to read; empty reads every region the trail delivered.
    pub regions: Vec<String>,
    /// Accounts to read; empty reads the caller's account (or the bucket's only one), the others counted and skipped.
    pub accounts: Vec<String>,
    /// Every account in the bucket (an organisation trail's members), when no `accounts` are named.
    pub all_accounts: bool,
    /// GuardDuty finding types to read; empty reads every type.
    pub finding_types: Vec<String>,
    /// A role to read the trail bucket with (e.g. in the organisation's log-archive account), assumed through STS.
    pub role_arn: Option<String>,
    /// CloudTrail records read at most (`None`: `ipinsights_account::DEFAULT_MAX_EVENTS`, 3 million).
    pub max_events: Option<usize>,
    /// The fraction of the trail's log objects read, chosen by key (`None`: all).
    pub sample: Option<u32>,
    /// Archived findings scored too (by default skipped and counted).
    pub include_archived: bool,
    /// Sample findings scored too (by default skipped and counted).
    pub include_samples: bool,
    /// Read the trail through Athena instead of object by object (`None`: the S3 reader).
    pub athena: Option<AthenaChoice>,
}

/// Where an Athena read runs (plain data; `None`s take `ipinsights_account::AthenaOptions`' defaults: database
/// `default`, table `cloudtrail_ipinsights`, workgroup `primary`, the workgroup's result location).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AthenaChoice {
    /// Glue database of the CloudTrail table.
    pub database: Option<String>,
    /// The CloudTrail table, created when missing.
    pub table: Option<String>,
    /// Athena workgroup.
    pub workgroup: Option<String>,
    /// `s3://BUCKET/PREFIX/` for the query's results.
    pub output_location: Option<String>,
}

/// Where the workshop's CloudTrail and GuardDuty data come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DataSource {
    /// The simulated account (both backends).
    #[default]
    Simulated,
    /// The account's own CloudTrail (S3) and GuardDuty findings (API), boxed: far larger than `Simulated`.
    OwnAccount(Box<OwnAccount>),
}

impl DataSource {
    /// The trail in `bucket` and the findings updated from `first_day` to `last_day` (`YYYY-MM-DD`, UTC).
    pub fn own_account(bucket: &str, first_day: &str, last_day: &str) -> DataSource {
        DataSource::OwnAccount(Box::new(OwnAccount {
            bucket: bucket.into(),
            first_day: first_day.into(),
            last_day: last_day.into(),
            ..OwnAccount::default()
        }))
    }

    /// Like [`DataSource::own_account`], read through Amazon Athena: one query over the trail bucket (the CloudTrail
    /// table with partition projection, created when missing) instead of every object, for organisation trails.
    pub fn athena(bucket: &str, first_day: &str, last_day: &str) -> DataSource {
        DataSource::own_account(bucket, first_day, last_day).own(|o| o.athena = Some(AthenaChoice::default()))
    }

    fn athena_choice(self, change: impl FnOnce(&mut AthenaChoice)) -> Self {
        self.own(|o| {
            if let Some(choice) = &mut o.athena {
                change(choice)
            }
        })
    }

    /// Athena: the Glue database of the CloudTrail table.
    pub fn database(self, database: &str) -> Self {
        self.athena_choice(|a| a.database = Some(database.into()))
    }

    /// Athena: the CloudTrail table's name.
    pub fn table(self, table: &str) -> Self {
        self.athena_choice(|a| a.table = Some(table.into()))
    }

    /// Athena: the workgroup.
    pub fn workgroup(self, workgroup: &str) -> Self {
        self.athena_choice(|a| a.workgroup = Some(workgroup.into()))
    }

    /// Athena: where the query's results go (`s3://BUCKET/PREFIX/`).
    pub fn output_location(self, output_location: &str) -> Self {
        self.athena_choice(|a| a.output_location = Some(output_location.into()))
    }

    fn own(mut self, change: impl FnOnce(&mut OwnAccount)) -> Self {
        if let DataSource::OwnAccount(own) = &mut self {
            change(own);
        }
        self
    }

    /// The trail's key prefix.
    pub fn prefix(self, prefix: &str) -> Self {
        self.own(|o| o.prefix = prefix.into())
    }

    /// Only these regions.
    pub fn regions(self, regions: &[&str]) -> Self {
        self.own(|o| o.regions = regions.iter().map(|r| r.to_string()).collect())
    }

    /// Only these accounts.
    pub fn accounts(self, accounts: &[&str]) -> Self {
        self.own(|o| o.accounts = accounts.iter().map(|a| a.to_string()).collect())
    }

    /// Every account in the bucket, not just yours (an organisation trail's member accounts).
    pub fn all_accounts(self) -> Self {
        self.own(|o| o.all_accounts = true)
    }

    /// Reads the trail bucket as this role (`arn:aws:iam::LOGARCHIVE:role/NAME`, assumed through STS; used for the
    /// bucket only).
    pub fn role_arn(self, role_arn: &str) -> Self {
        self.own(|o| o.role_arn = Some(role_arn.into()))
    }

    /// At most `n` CloudTrail records read (the read stops there and says so).
    pub fn max_events(self, n: usize) -> Self {
        self.own(|o| o.max_events = Some(n))
    }

    /// Only this fraction (0 < fraction ≤ 1) of the trail's log objects read, the same ones on every read.
    pub fn sample(self, fraction: f64) -> Self {
        self.own(|o| o.sample = Some((fraction * 1e6).round().clamp(0.0, u32::MAX as f64) as u32))
    }

    /// Only these GuardDuty finding types.
    pub fn finding_types(self, types: &[&str]) -> Self {
        self.own(|o| o.finding_types = types.iter().map(|t| t.to_string()).collect())
    }

    /// Archived findings read as well (by default they are skipped, and counted in the summary).
    pub fn include_archived(self) -> Self {
        self.own(|o| o.include_archived = true)
    }

    /// Sample findings read as well (by default they are skipped, and counted in the summary).
    pub fn include_samples(self) -> Self {
        self.own(|o| o.include_samples = true)
    }
}

/// The data every later cell uses, whatever the source.
#[derive(Clone, Debug)]
pub struct SecurityData {
    /// CloudTrail tuples, one per event, with counts and skips.
    pub trail: CloudTrailExtract,
    /// GuardDuty tuples with counts and skips.
    pub findings: GuardDutyExtract,
    /// The findings as a file for the detector (`predictor.detector(threshold)?.detect(&data)` reads it).
    pub findings_path: PathBuf,
    /// Where the data came from, with what reading it cost (several lines).
    pub description: String,
}

impl fmt::Display for SecurityData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nCloudTrail: {}\nGuardDuty: {}", self.description, self.trail, self.findings)
    }
}

/// Loads `source`'s data, writing files under `dir`: the simulated account on any backend, the account's own data
/// on the AWS backend.
pub fn security_data(session: &Session, source: &DataSource, dir: impl AsRef<Path>) -> Result<SecurityData> {
    let dir = dir.as_ref();
    match source {
        DataSource::Simulated => simulated(dir),
        DataSource::OwnAccount(own) => {
            let Some(access) = session.account_access() else {
                return Err(WorkshopError::unsupported(format!(
                    "reading your own account needs the AWS backend: {}",
                    crate::session::USE_AWS_SESSION
                )));
            };
            own_account_for(access, own, dir)
        }
    }
}

/// The simulated account, written under `dir` and read back.
pub fn simulated(dir: &Path) -> Result<SecurityData> {
    let account = simulate_account(&SimConfig::default(), dir)?;
    let trail = read_cloudtrail(&account.cloudtrail_dir, TupleMode::AllEvents)?;
    let findings = read_guardduty(&account.findings_path)?;
    Ok(SecurityData { trail, findings, findings_path: account.findings_path.clone(), description: account.to_string() })
}

#[cfg(feature = "account")]
fn own_account_for(access: AccountAccess<'_>, own: &OwnAccount, dir: &Path) -> Result<SecurityData> {
    own_account(access.aws_config(), own, dir)
}

#[cfg(not(feature = "account"))]
fn own_account_for(_access: AccountAccess<'_>, _own: &OwnAccount, _dir: &Path) -> Result<SecurityData> {
    Err(WorkshopError::unsupported(NO_ACCOUNT_FEATURE))
}

#[cfg(not(feature = "account"))]
const NO_ACCOUNT_FEATURE: &str = "this build cannot read your own account: in the first code cell, change the \
     `:dep` line to `:dep ipinsights-workshop = { path = \"../helpers/workshop\", features = [\"account\"] }`, then \
     restart the kernel and run the cells again (see README, \"Your own account\")";

/// The account's own trail (from S3, with a progress line every 10 % of the day folders, or through Athena) and
/// findings (from the GuardDuty API, written to `dir/findings.json`).
#[cfg(feature = "account")]
pub fn own_account(cfg: &ipinsights_aws_calls::AwsConfig, own: &OwnAccount, dir: &Path) -> Result<SecurityData> {
    use ipinsights_account::{read_findings, FindingQuery};
    let (trail, trail_summary) = match &own.athena {
        Some(choice) => athena_trail(cfg, own, choice)?,
        None => s3_trail(cfg, own)?,
    };
    println!("Reading GuardDuty findings…");
    let mut query =
        FindingQuery::days(&own.first_day, &own.last_day).map_err(fail("GuardDuty"))?.types(&own.finding_types);
    query.scope = ipinsights_account::FindingScope {
        include_archived: own.include_archived,
        include_samples: own.include_samples,
    };
    let findings = read_findings(cfg, &query).map_err(fail("GuardDuty"))?;
    std::fs::create_dir_all(dir).map_err(|e| WorkshopError::io("create", dir, e))?;
    let findings_path = dir.join("findings.json");
    findings.write_json(&findings_path).map_err(fail("GuardDuty"))?;
    let description = format!(
        "Your account: CloudTrail {trail_summary}; GuardDuty detector {} in {} ({} findings)",
        findings.detector_id,
        findings.region,
        findings.findings.len()
    );
    Ok(SecurityData { trail, findings: findings.extract, findings_path, description })
}

#[cfg(feature = "account")]
fn fail(what: &'static str) -> impl Fn(ipinsights_account::AccountError) -> WorkshopError {
    use ipinsights_account::AccountError;
    move |e| match e {
        AccountError::Aws(aws) => WorkshopError::from(aws).within(what),
        other => WorkshopError::of(account_kind(&other), format!("{what}: {other}")).caused_by(other),
    }
}

/// The facade's kind of an account error: an AWS call's as the AWS backend's, a deployment step's as its cause's.
#[cfg(feature = "account")]
fn account_kind(e: &ipinsights_account::AccountError) -> crate::ErrorKind {
    use crate::ErrorKind;
    use ipinsights_account::AccountError;
    match e {
        AccountError::Aws(aws) => crate::aws_backend::kind_of(aws),
        AccountError::InvalidInput(_) => ErrorKind::Validation,
        AccountError::Io { path, .. } => ErrorKind::Io { path: Some(path.clone()) },
        AccountError::Deploy { source, .. } => account_kind(source),
        _ => ErrorKind::Other,
    }
}

/// The trail source the cell asked for.
#[cfg(feature = "account")]
fn trail_source(own: &OwnAccount) -> Result<ipinsights_account::TrailSource> {
    let source = ipinsights_account::TrailSource::new(&own.bucket, &own.first_day, &own.last_day)
        .map_err(fail("CloudTrail"))?
        .prefix(&own.prefix)
        .regions(&own.regions)
        .accounts(&own.accounts);
    let source = if own.all_accounts { source.all_accounts() } else { source };
    Ok(match &own.role_arn {
        Some(role_arn) => source.role_arn(role_arn),
        None => source,
    })
}

/// The trail through Athena: the table's DDL when it is made, then the query's cost and the tuples.
#[cfg(feature = "account")]
fn athena_trail(
    cfg: &ipinsights_aws_calls::AwsConfig,
    own: &OwnAccount,
    choice: &AthenaChoice,
) -> Result<(ipinsights_security_logs::CloudTrailExtract, String)> {
    use ipinsights_account::{read_trail_athena, AthenaOptions};
    if own.sample.is_some() {
        return Err(WorkshopError::new(
            "sample(…) chooses log objects for the S3 reader; Athena reads every object of the days, accounts and \
             regions asked: narrow those instead",
        ));
    }
    let source = trail_source(own)?;
    let defaults = AthenaOptions::default();
    let options = AthenaOptions {
        database: choice.database.clone().unwrap_or(defaults.database),
        table: choice.table.clone().unwrap_or(defaults.table),
        workgroup: choice.workgroup.clone().unwrap_or(defaults.workgroup),
        output_location: choice.output_location.clone(),
        max_events: own.max_events.unwrap_or(defaults.max_events),
        ..defaults
    };
    println!("Reading CloudTrail from {} ({} to {}) through Athena…", source.uri(), own.first_day, own.last_day);
    let read = read_trail_athena(cfg, &source, &options, &mut |line| println!("{line}")).map_err(fail("CloudTrail"))?;
    println!("{read}");
    let summary = format!(
        "{} through Athena (query {}, {:.1} MB scanned, about US$ {:.4})",
        read.source,
        read.query_execution_id,
        read.scanned_bytes as f64 / 1e6,
        read.cost_usd()
    );
    Ok((read.extract, summary))
}

/// The trail from S3, object by object, with a progress line every 10 % of the day folders.
#[cfg(feature = "account")]
fn s3_trail(
    cfg: &ipinsights_aws_calls::AwsConfig,
    own: &OwnAccount,
) -> Result<(ipinsights_security_logs::CloudTrailExtract, String)> {
    use ipinsights_account::{read_trail, ReadOptions};
    use std::io::Write;
    let source = trail_source(own)?;
    let mut options = ReadOptions::default();
    if let Some(n) = own.max_events {
        options = options.max_events(n);
    }
    if let Some(ppm) = own.sample {
        options = options.sample(f64::from(ppm) / 1e6);
    }
    println!(
        "Reading CloudTrail from {} ({} to {}): at most {} events (about {:.0} MB kept; max_events to change){}…",
        source.uri(),
        own.first_day,
        own.last_day,
        options.max_events,
        options.memory_estimate_bytes() as f64 / 1e6,
        if options.sample < 1.0 {
            format!(", a {} % sample of the objects", options.sample * 100.0)
        } else {
            String::new()
        }
    );
    let mut shown = 0;
    let mut progress = |p: &ipinsights_account::TrailProgress| {
        let tenth = p.folders_listed * 10 / p.folders.max(1);
        if tenth > shown {
            shown = tenth;
            println!(
                "  {:>3} % of {} day folders: {} objects, {:.1} MB, {:.0} s",
                tenth * 10,
                p.folders,
                p.objects_read,
                p.bytes as f64 / 1e6,
                p.elapsed.as_secs_f64()
            );
            let _ = std::io::stdout().flush();
        }
    };
    let trail = read_trail(cfg, &source, &options, &mut progress).map_err(fail("CloudTrail"))?;
    println!("{trail}");
    let summary = format!("{} ({} objects, {})", trail.source, trail.objects, trail.attempts);
    Ok((trail.extract, summary))
}

/// Where `scripts/package-lambda` writes the function's package, from the repository root.
pub const LAMBDA_PACKAGE: &str = "target/lambda/ipinsights-detector.zip";

/// Deploys the live detector into the account (AWS backend, feature `account`): SNS topic (with `email`
/// subscribed when given), IAM role, Lambda function scoring on `endpoint_name` with `threshold` (anomaly score,
/// `−dot_product`), EventBridge rule for every GuardDuty finding. Prints each piece. Needs the package built by
/// `scripts/package-lambda`.
pub fn deploy_detector(session: &Session, endpoint_name: &str, threshold: f64, email: Option<&str>) -> Result<()> {
    let Some(access) = session.account_access() else {
        return Err(WorkshopError::unsupported(format!(
            "the live detector runs in your AWS account, which needs the AWS backend: {}; on the local backend, \
             `predictor.detector(threshold)` scores findings in the notebook",
            crate::session::USE_AWS_SESSION
        )));
    };
    deploy_for(access, endpoint_name, threshold, email)
}

#[cfg(feature = "account")]
fn deploy_for(access: AccountAccess<'_>, endpoint_name: &str, threshold: f64, email: Option<&str>) -> Result<()> {
    let zip = crate::local::binary::repo_root().join(LAMBDA_PACKAGE);
    if !zip.exists() {
        return Err(WorkshopError::not_found(
            crate::error::Missing::File,
            zip.display().to_string(),
            format!("{} not found: build the function's package first with scripts/package-lambda", zip.display()),
        ));
    }
    let spec = ipinsights_account::DetectorSpec {
        email: email.map(String::from),
        ..ipinsights_account::DetectorSpec::new(endpoint_name, threshold, &zip)
    };
    let deployed = ipinsights_account::detector::deploy(access.aws_config(), &spec, &mut |line| println!("{line}"))
        .map_err(fail("deploying the detector"))?;
    println!("Detector deployed:\n{deployed}");
    Ok(())
}

#[cfg(not(feature = "account"))]
fn deploy_for(_: AccountAccess<'_>, _: &str, _: f64, _: Option<&str>) -> Result<()> {
    Err(WorkshopError::unsupported(NO_ACCOUNT_FEATURE))
}

/// Removes every piece [`deploy_detector`] made (AWS backend, feature `account`); prints what was deleted.
pub fn teardown_detector(session: &Session) -> Result<()> {
    let Some(access) = session.account_access() else {
        return Err(WorkshopError::unsupported("nothing deployed: the live detector exists only on the AWS backend"));
    };
    teardown_for(access)
}

#[cfg(feature = "account")]
fn teardown_for(access: AccountAccess<'_>) -> Result<()> {
    let name = ipinsights_account::detector::DEFAULT_NAME;
    let done = ipinsights_account::detector::teardown(access.aws_config(), name, &mut |line| println!("{line}"))
        .map_err(fail("tearing the detector down"))?;
    println!("{done}");
    Ok(())
}

#[cfg(not(feature = "account"))]
fn teardown_for(_: AccountAccess<'_>) -> Result<()> {
    Err(WorkshopError::unsupported(NO_ACCOUNT_FEATURE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_source_gives_what_the_cells_read() {
        let dir = tempfile::tempdir().unwrap();
        let data =
            security_data(&Session::local_at(dir.path()), &DataSource::Simulated, dir.path().join("sim")).unwrap();
        assert!(data.trail.tuples.len() > 20_000, "{data}");
        assert!(!data.findings.tuples.is_empty());
        assert!(data.findings_path.exists());
        assert!(data.to_string().contains("CloudTrail: read "), "{data}");
    }

    #[test]
    fn the_own_account_needs_the_aws_backend() {
        let dir = tempfile::tempdir().unwrap();
        let source = DataSource::own_account("trail-bucket", "2024-03-04", "2024-03-10").regions(&["us-east-1"]);
        let DataSource::OwnAccount(own) = &source else { panic!() };
        assert_eq!(own.regions, ["us-east-1"]);
        assert!(!own.include_archived && !own.include_samples, "archived and sample findings are opt-in");
        let opted = source.clone().include_archived().include_samples();
        let DataSource::OwnAccount(opted) = &opted else { panic!() };
        assert!(opted.include_archived && opted.include_samples);
        let err = security_data(&Session::local_at(dir.path()), &source, dir.path()).unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("needs the AWS backend"), "{err}");
        let err = deploy_detector(&Session::local_at(dir.path()), "ep", 0.0, None).unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("AWS backend"), "{err}");
        let err = teardown_detector(&Session::local_at(dir.path())).unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::Unsupported, "{err}");
    }

    #[test]
    fn the_athena_source_is_the_own_account_source_read_through_athena() {
        let source = DataSource::athena("org-trail", "2024-03-04", "2024-03-10")
            .regions(&["us-east-1"])
            .database("security")
            .output_location("s3://results/ipinsights/");
        let DataSource::OwnAccount(own) = &source else { panic!("an own-account source") };
        assert_eq!((own.bucket.as_str(), own.regions.as_slice()), ("org-trail", &["us-east-1".to_string()][..]));
        let choice = own.athena.as_ref().unwrap();
        assert_eq!(choice.database.as_deref(), Some("security"));
        assert_eq!(choice.output_location.as_deref(), Some("s3://results/ipinsights/"));
        assert_eq!((choice.table.as_ref(), choice.workgroup.as_ref()), (None, None));
        let plain = DataSource::own_account("org-trail", "2024-03-04", "2024-03-10").database("security");
        let DataSource::OwnAccount(own) = &plain else { panic!("an own-account source") };
        assert_eq!(own.athena, None, "Athena options do not turn the S3 reader into Athena");
    }

    #[cfg(feature = "account")]
    #[test]
    fn account_errors_keep_the_kind_of_their_cause() {
        use ipinsights_account::AccountError;
        use ipinsights_aws_calls::{AwsError, ServiceError};
        let throttled = || {
            AccountError::Aws(AwsError::Service(Box::new(ServiceError {
                operation: "ListFindings",
                code: Some("TooManyRequestsException".into()),
                message: Some("Rate exceeded".into()),
                request_id: None,
                http_status: Some(429),
                detail: String::new(),
            })))
        };
        let err = fail("GuardDuty")(throttled());
        assert_eq!(err.kind(), &crate::ErrorKind::Throttled, "{err}");
        assert!(err.to_string().starts_with("GuardDuty: ListFindings failed: TooManyRequestsException"), "{err}");
        assert_eq!(err.aws_error().and_then(|e| e.service_code()), Some("TooManyRequestsException"));
        let step =
            AccountError::Deploy { step: "creating the rule".into(), changed: vec![], source: Box::new(throttled()) };
        assert_eq!(fail("deploying the detector")(step).kind(), &crate::ErrorKind::Throttled);
        let invalid = fail("CloudTrail")(AccountError::InvalidInput("first_day: not a date".into()));
        assert_eq!(invalid.kind(), &crate::ErrorKind::Validation, "{invalid}");
    }
}
