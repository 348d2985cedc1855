//! CloudTrail straight from its S3 bucket: the log objects of a date range and set of regions, fetched with
//! bounded concurrency and parsed as they arrive by the same reader as local files (same tuples, same order, same
//! skip accounting, the same limits: a decompression bomb is refused naming its `s3://` key), never holding more
//! than `concurrency` objects in memory: at most `concurrency × max_object_bytes` compressed bytes in flight, plus
//! the one object being parsed, record by record.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::SharedCredentialsProvider;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures_util::future::{self, BoxFuture, FutureExt};
use futures_util::stream::{self, StreamExt};
use ipinsights_attempts::AttemptLog;
use ipinsights_aws_calls::AwsConfig;
use ipinsights_security_logs::{CloudTrailExtract, CloudTrailReader, TupleMode, MAX_DECOMPRESSED_BYTES};

use crate::bucket::bucket_region;
use crate::clients::{run, Clients};
use crate::error::{AccountError, Result};
use crate::layout::{
    self, is_account_id, is_log_object, is_organization_id, normalize_prefix, path_order, Day, TrailAccount,
};

/// Day folders listed at once (each is one or a few ListObjectsV2 pages).
const LIST_CONCURRENCY: usize = 4;

/// Which trail to read: `s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailSource {
    /// The trail's bucket.
    pub bucket: String,
    /// The trail's S3 key prefix (before `AWSLogs/`), empty when none.
    pub prefix: String,
    /// The organisation id (`o-…`) of an organisation trail; found by listing when accounts are.
    pub organization_id: Option<String>,
    /// Accounts to read; empty reads the caller's account (STS GetCallerIdentity) when the bucket holds it, else the
    /// bucket's only account; the others present are counted and skipped unless `all_accounts`.
    pub accounts: Vec<String>,
    /// With no `accounts`: every account under `AWSLogs/` (and under `AWSLogs/o-…/`), not just the caller's.
    pub all_accounts: bool,
    /// Regions to read; empty reads every region the trail delivered.
    pub regions: Vec<String>,
    /// A role to read the bucket with (e.g. in the organisation's log-archive account), assumed through STS with
    /// the session's credentials; `None` reads it with the session's own.
    pub role_arn: Option<String>,
    /// First day read (UTC, included).
    pub first_day: Day,
    /// Last day read (UTC, included).
    pub last_day: Day,
}

impl TrailSource {
    /// Every account and region of the trail in `bucket` from `first_day` to `last_day` (`YYYY-MM-DD`, UTC, both
    /// included).
    pub fn new(bucket: &str, first_day: &str, last_day: &str) -> Result<TrailSource> {
        let (first_day, last_day) = (Day::parse(first_day)?, Day::parse(last_day)?);
        layout::days(first_day, last_day)?;
        Ok(TrailSource {
            bucket: bucket.trim().to_string(),
            prefix: String::new(),
            organization_id: None,
            accounts: Vec::new(),
            all_accounts: false,
            regions: Vec::new(),
            role_arn: None,
            first_day,
            last_day,
        })
    }

    /// With the trail's key prefix.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Only these accounts.
    pub fn accounts<S: AsRef<str>>(mut self, accounts: &[S]) -> Self {
        self.accounts = accounts.iter().map(|a| a.as_ref().trim().to_string()).collect();
        self
    }

    /// Every account in the bucket (an organisation trail's member accounts), not just the caller's.
    pub fn all_accounts(mut self) -> Self {
        self.all_accounts = true;
        self
    }

    /// Only these regions.
    pub fn regions<S: AsRef<str>>(mut self, regions: &[S]) -> Self {
        self.regions = regions.iter().map(|r| r.as_ref().trim().to_string()).collect();
        self
    }

    /// Reads the bucket as this role (`arn:aws:iam::LOGARCHIVE:role/NAME`, assumed through STS): the bucket of an
    /// organisation trail usually lives in the log-archive account. Accounts are still chosen by the caller's.
    pub fn role_arn(mut self, role_arn: &str) -> Self {
        self.role_arn = Some(role_arn.trim().to_string());
        self
    }

    /// An organisation trail of this organisation.
    pub fn organization(mut self, organization_id: &str) -> Self {
        self.organization_id = Some(organization_id.trim().to_string());
        self
    }

    /// `s3://bucket/prefix/AWSLogs/`.
    pub fn uri(&self) -> String {
        format!("s3://{}/{}AWSLogs/", self.bucket, normalize_prefix(&self.prefix))
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(AccountError::InvalidInput(m));
        if !ipinsights_aws_calls::is_valid_bucket_name(&self.bucket) {
            return bad(format!("{:?} is not an S3 bucket name", self.bucket));
        }
        if let Some(a) = self.accounts.iter().find(|a| !is_account_id(a)) {
            return bad(format!("{a:?} is not an AWS account id (12 digits)"));
        }
        if let Some(org) = self.organization_id.as_ref().filter(|o| !is_organization_id(o)) {
            return bad(format!("{org:?} is not an organisation id (o- and 10 to 32 letters or digits)"));
        }
        if let Some(arn) = self.role_arn.as_ref().filter(|a| !(a.starts_with("arn:") && a.contains(":role/"))) {
            return bad(format!("{arn:?} is not a role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)"));
        }
        if let Some(r) = self.regions.iter().find(|r| r.is_empty() || r.contains('/')) {
            return bad(format!("{r:?} is not a region name"));
        }
        layout::days(self.first_day, self.last_day).map(|_| ())
    }
}

/// How to read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadOptions {
    /// Objects fetched at once (at least 1; default 32).
    pub concurrency: usize,
    /// One tuple per event, or each (principal, IP) pair once.
    pub mode: TupleMode,
    /// Objects larger than this are refused before any byte is fetched (default the readers' decompressed-size
    /// limit, [`MAX_DECOMPRESSED_BYTES`]: a compressed object that large could only inflate past it; CloudTrail's
    /// 5-minute files are far smaller). Memory in flight is at most `concurrency ×` this.
    pub max_object_bytes: u64,
    /// Records (events) read at most: once as many are read, no further object is fetched and the result says so
    /// (default [`DEFAULT_MAX_EVENTS`]; about [`KEPT_BYTES_PER_EVENT`] bytes each are kept).
    pub max_events: usize,
    /// The fraction of log objects read, chosen deterministically by key (the same objects on every read, spread
    /// over every day and account); 1.0 (the default) reads them all.
    pub sample: f64,
}

/// Records read at most by default: an organisation's trail can hold billions; 3 million keep about 0.5 GB.
pub const DEFAULT_MAX_EVENTS: usize = 3_000_000;

/// Bytes kept per event read (`AllEvents`), measured on the vendored real sample (`kept_bytes_per_event` in the
/// tests: its tuple, the entity and time strings on the heap, and its share of the distinct-pair set), rounded up.
pub const KEPT_BYTES_PER_EVENT: u64 = 160;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            concurrency: 32,
            mode: TupleMode::AllEvents,
            max_object_bytes: MAX_DECOMPRESSED_BYTES,
            max_events: DEFAULT_MAX_EVENTS,
            sample: 1.0,
        }
    }
}

impl ReadOptions {
    /// At most `n` events read.
    pub fn max_events(mut self, n: usize) -> Self {
        self.max_events = n;
        self
    }

    /// Only this fraction (0 < fraction ≤ 1) of the log objects read, chosen deterministically by key.
    pub fn sample(mut self, fraction: f64) -> Self {
        self.sample = fraction;
        self
    }

    /// The memory the events kept may take at most, in bytes (`max_events × KEPT_BYTES_PER_EVENT`).
    pub fn memory_estimate_bytes(&self) -> u64 {
        (self.max_events as u64).saturating_mul(KEPT_BYTES_PER_EVENT)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(AccountError::InvalidInput(m.into()));
        if self.concurrency == 0 {
            return bad("concurrency must be at least 1");
        }
        if self.max_events == 0 {
            return bad("max_events must be at least 1");
        }
        if !(self.sample > 0.0 && self.sample <= 1.0) {
            return Err(AccountError::InvalidInput(format!(
                "sample must be a fraction above 0 and at most 1, not {}",
                self.sample
            )));
        }
        Ok(())
    }
}

/// Whether the log object `key` is among a `fraction` of them: a hash of the key (FNV-1a) against the fraction, so
/// the same keys on every read and every machine.
fn sampled(key: &str, fraction: f64) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    ((hash >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

/// Where a read stopped at its cap on events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventCap {
    /// The cap ([`ReadOptions::max_events`]).
    pub max_events: usize,
    /// Day folders listed when it stopped, of `folders`.
    pub folders_listed: usize,
    /// Day folders to read.
    pub folders: usize,
}

/// How far a read has come, after each object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrailProgress {
    /// Day folders (account × region × day) listed.
    pub folders_listed: usize,
    /// Day folders to list.
    pub folders: usize,
    /// Log objects read.
    pub objects_read: usize,
    /// Compressed bytes read.
    pub bytes: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// The tuples read from a trail in S3, with what was read, ignored and retried.
#[derive(Clone, Debug)]
pub struct S3TrailExtract {
    /// `s3://bucket/prefix/AWSLogs/`.
    pub source: String,
    /// Tuples and counts, exactly as the local reader gives them for the same files.
    pub extract: CloudTrailExtract,
    /// The bucket's region (read there, whatever the session's region).
    pub bucket_region: String,
    /// Accounts read.
    pub accounts: Vec<TrailAccount>,
    /// The caller's account when the accounts were chosen by it (no `accounts` and not `all_accounts`).
    pub caller_account: Option<String>,
    /// Accounts present in the bucket and not read (the caller's chosen by default), sorted.
    pub skipped_accounts: Vec<String>,
    /// Regions read (all accounts).
    pub regions: Vec<String>,
    /// Days in the range.
    pub days: usize,
    /// Log objects read.
    pub objects: usize,
    /// Their compressed size in bytes.
    pub bytes: u64,
    /// Log objects left out by sampling ([`ReadOptions::sample`]).
    pub objects_not_sampled: usize,
    /// The fraction of log objects sampled (1.0: all).
    pub sample: f64,
    /// Where the read stopped at [`ReadOptions::max_events`], when it did: the objects after it were not read.
    pub capped: Option<EventCap>,
    /// Objects in the day folders that are not CloudTrail log files of that account and region (`s3://` URIs).
    pub ignored_objects: Vec<String>,
    /// Failed attempts the SDK retried (throttling) or that failed the read.
    pub attempts: AttemptLog,
    /// Wall time of the read.
    pub elapsed: Duration,
}

impl fmt::Display for S3TrailExtract {
    /// `read … records from … files: …; from s3://…: 1 account, 1 region, 7 days, 2012 objects (…) in 3.1 s (…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "{}\nfrom {} (bucket in {}): {}, {}, {}: {} objects ({:.1} MB) in {:.1} s ({:.0} objects/s, {:.0} \
             records/s); {}",
            self.extract,
            self.source,
            self.bucket_region,
            self.accounts_summary(),
            counted(self.regions.len(), "region"),
            counted(self.days, "day"),
            self.objects,
            self.bytes as f64 / 1e6,
            secs,
            self.objects as f64 / secs,
            self.extract.records as f64 / secs,
            self.attempts
        )?;
        if self.sample < 1.0 {
            write!(
                f,
                "\nsampled {} % of the log objects: {} read, {} left out (chosen by key, the same on every read)",
                self.sample * 100.0,
                self.objects,
                self.objects_not_sampled
            )?;
        }
        if let Some(cap) = &self.capped {
            write!(
                f,
                "\nSTOPPED at the cap of {} events (max_events): {} records read from {} objects, {} of {} day \
                 folders listed; the rest of the trail was not read — raise max_events (about {} bytes each) or \
                 read a sample",
                cap.max_events,
                self.extract.records,
                self.objects,
                cap.folders_listed,
                cap.folders,
                KEPT_BYTES_PER_EVENT
            )?;
        }
        if !self.ignored_objects.is_empty() {
            let shown: Vec<&str> = self.ignored_objects.iter().take(5).map(String::as_str).collect();
            let more = self.ignored_objects.len() - shown.len();
            write!(
                f,
                "\nignored {} objects that are not CloudTrail log files: {}",
                self.ignored_objects.len(),
                shown.join(", ")
            )?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
        }
        Ok(())
    }
}

impl S3TrailExtract {
    /// Which accounts were read and how many others the bucket held: `1 account (123456789012, the caller's); 2 other
    /// accounts present and skipped (…): read them with accounts(&[…]) or all_accounts()`.
    pub fn accounts_summary(&self) -> String {
        let ids: Vec<&str> = self.accounts.iter().map(|a| a.account_id.as_str()).collect();
        let n = ids.len();
        let whose = match &self.caller_account {
            Some(caller) if ids.contains(&caller.as_str()) => ", the caller's".to_string(),
            Some(caller) => format!(", the bucket's only account; the caller's {caller} has no logs there"),
            None => String::new(),
        };
        let mut out = format!("{} ({}{whose})", counted(n, "account"), shortened(&ids));
        if !self.skipped_accounts.is_empty() {
            let skipped: Vec<&str> = self.skipped_accounts.iter().map(String::as_str).collect();
            out += &format!(
                "; {} present and skipped ({}): read them with accounts(&[…]) or all_accounts()",
                counted(skipped.len(), "other account"),
                shortened(&skipped)
            );
        }
        out
    }
}

/// The first 10 of `ids`, then how many more.
fn shortened(ids: &[&str]) -> String {
    let shown = ids.iter().take(10).copied().collect::<Vec<_>>().join(", ");
    match ids.len().saturating_sub(10) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// A count and what it counts, plural unless one: `1 region`, `7 days`.
pub(crate) fn counted(n: usize, thing: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {thing}{plural}")
}

/// Reads the trail's log objects from S3 into tuples; `progress` runs after each object.
pub fn read_trail(
    cfg: &AwsConfig,
    source: &TrailSource,
    options: &ReadOptions,
    progress: &mut dyn FnMut(&TrailProgress),
) -> Result<S3TrailExtract> {
    source.validate()?;
    options.validate()?;
    run(async {
        let clients = Clients::load(cfg).await?;
        read(&clients, source, options, progress).await
    })
}

/// One day folder to list.
struct Folder {
    account_id: String,
    region: String,
    prefix: String,
}

/// What the pipeline hands the parser, in key order.
enum Item {
    /// A log object to fetch (`size` from the listing).
    Log { key: String, size: u64 },
    /// An object that is not a log file of its folder.
    Ignored(String),
    /// The end of a folder's objects.
    FolderDone,
}

/// What a fetch gives.
enum Fetched {
    Log { uri: String, body: Bytes },
    Ignored(String),
    NotSampled,
    FolderDone,
}

async fn read(
    clients: &Clients,
    source: &TrailSource,
    options: &ReadOptions,
    progress: &mut dyn FnMut(&TrailProgress),
) -> Result<S3TrailExtract> {
    let start = Instant::now();
    let opened = open_trail(clients, source).await?;
    let days = layout::days(source.first_day, source.last_day)?;
    let (folders, regions) = day_folders(&opened, source, &days).await?;
    let fetches = fetch_logs(&opened.s3, &source.bucket, folders, options);
    let mut read = ReadSoFar::new(options.mode, start);
    read.state.folders = fetches.1;
    let capped = read.take(fetches.0, options.max_events, progress).await?;
    Ok(S3TrailExtract {
        source: source.uri(),
        extract: read.reader.finish(),
        bucket_region: opened.bucket_region,
        accounts: opened.accounts.read,
        caller_account: opened.accounts.caller,
        skipped_accounts: opened.accounts.skipped,
        regions: regions.into_iter().collect(),
        days: days.len(),
        objects: read.state.objects_read,
        bytes: read.state.bytes,
        objects_not_sampled: read.objects_not_sampled,
        sample: options.sample,
        capped,
        ignored_objects: read.ignored_objects,
        attempts: clients.log.clone(),
        elapsed: start.elapsed(),
    })
}

/// A trail as both readers (S3 and Athena) open it: the bucket's region, an S3 client there signing with the
/// source's role when it names one, the normalized prefix and the accounts chosen.
pub(crate) struct OpenedTrail {
    /// The source role's credentials, if it names one.
    pub credentials: Option<SharedCredentialsProvider>,
    /// The session's region (where Athena and its results live).
    pub session_region: String,
    /// The bucket's region.
    pub bucket_region: String,
    /// An S3 client calling the bucket's region.
    pub s3: aws_sdk_s3::Client,
    /// The source's prefix, normalized.
    pub prefix: String,
    /// The accounts read and left.
    pub accounts: ChosenAccounts,
}

/// Opens the trail of `source`: assumes its role, finds the bucket's region, chooses the accounts.
pub(crate) async fn open_trail(clients: &Clients, source: &TrailSource) -> Result<OpenedTrail> {
    let credentials = match &source.role_arn {
        Some(role_arn) => Some(clients.assumed_role(role_arn).await?),
        None => None,
    };
    let session_region = clients.region();
    let probe = clients.s3_probe(&session_region, credentials.clone());
    let bucket_region = bucket_region(&probe, &source.bucket).await.unwrap_or_else(|| session_region.clone());
    let s3 = clients.s3_for(&bucket_region, credentials.clone());
    let prefix = normalize_prefix(&source.prefix);
    let accounts = choose_accounts(clients, &s3, source, &prefix).await?;
    Ok(OpenedTrail { credentials, session_region, bucket_region, s3, prefix, accounts })
}

/// The regions of `account` to read: the source's, else the region folders under its `CloudTrail/`; sorted, once.
pub(crate) async fn account_regions(
    s3: &aws_sdk_s3::Client,
    source: &TrailSource,
    prefix: &str,
    account: &TrailAccount,
) -> Result<Vec<String>> {
    let mut regions = if source.regions.is_empty() {
        subfolders(s3, &source.bucket, &format!("{}CloudTrail/", account.folder(prefix))).await?
    } else {
        source.regions.clone()
    };
    regions.sort();
    regions.dedup();
    Ok(regions)
}

/// The day folders to list (account by account, region by region, day by day) and every region met.
async fn day_folders(
    opened: &OpenedTrail,
    source: &TrailSource,
    days: &[layout::Day],
) -> Result<(Vec<Folder>, BTreeSet<String>)> {
    let (mut folders, mut all_regions) = (Vec::new(), BTreeSet::new());
    for account in &opened.accounts.read {
        for region in account_regions(&opened.s3, source, &opened.prefix, account).await? {
            for &day in days {
                let prefix = account.day_folder(&opened.prefix, &region, day);
                folders.push(Folder { account_id: account.account_id.clone(), region: region.clone(), prefix });
            }
            all_regions.insert(region);
        }
    }
    Ok((folders, all_regions))
}

/// The pipeline: the folders listed `LIST_CONCURRENCY` at once, the sampled log objects fetched
/// `options.concurrency` at once, in key order; with the number of folders.
fn fetch_logs(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    folders: Vec<Folder>,
    options: &ReadOptions,
) -> (impl futures_util::Stream<Item = Result<Fetched>>, usize) {
    let count = folders.len();
    let (s3, bucket) = (s3.clone(), bucket.to_string());
    let (lister, lister_bucket) = (s3.clone(), bucket.clone());
    let listings = stream::iter(folders)
        .map(move |folder| {
            let (s3, bucket) = (lister.clone(), lister_bucket.clone());
            tokio::spawn(async move { list_folder(&s3, &bucket, &folder).await })
        })
        .buffered(LIST_CONCURRENCY)
        .flat_map(|joined| {
            let items: Vec<Result<Item>> = match joined {
                Ok(Ok(items)) => items.into_iter().map(Ok).collect(),
                Ok(Err(e)) => vec![Err(e)],
                Err(e) => vec![Err(AccountError::InvalidInput(format!("listing task failed: {e}")))],
            };
            stream::iter(items)
        });
    let (max_bytes, fraction) = (options.max_object_bytes, options.sample);
    let fetches = listings
        .map(move |item| -> BoxFuture<'static, Result<Fetched>> {
            match item {
                Ok(Item::Log { key, .. }) if !sampled(&key, fraction) => future::ready(Ok(Fetched::NotSampled)).boxed(),
                Ok(Item::Log { key, size }) => {
                    let (s3, bucket) = (s3.clone(), bucket.clone());
                    tokio::spawn(async move { fetch(&s3, &bucket, &key, size, max_bytes).await })
                        .map(|joined| {
                            joined
                                .unwrap_or_else(|e| Err(AccountError::InvalidInput(format!("fetch task failed: {e}"))))
                        })
                        .boxed()
                }
                Ok(Item::Ignored(key)) => future::ready(Ok(Fetched::Ignored(key))).boxed(),
                Ok(Item::FolderDone) => future::ready(Ok(Fetched::FolderDone)).boxed(),
                Err(e) => future::ready(Err(e)).boxed(),
            }
        })
        .buffered(options.concurrency);
    (fetches, count)
}

/// What a read has taken in so far: the parser, the progress, the objects passed over.
struct ReadSoFar {
    reader: CloudTrailReader,
    state: TrailProgress,
    ignored_objects: Vec<String>,
    objects_not_sampled: usize,
    start: Instant,
}

impl ReadSoFar {
    fn new(mode: TupleMode, start: Instant) -> ReadSoFar {
        let reader = CloudTrailReader::new(mode);
        ReadSoFar {
            reader,
            state: TrailProgress::default(),
            ignored_objects: Vec::new(),
            objects_not_sampled: 0,
            start,
        }
    }

    /// Parses what `fetches` gives, in order, until it ends or `max_events` are read (the cap then returned);
    /// `progress` runs after each.
    async fn take(
        &mut self,
        fetches: impl futures_util::Stream<Item = Result<Fetched>>,
        max_events: usize,
        progress: &mut dyn FnMut(&TrailProgress),
    ) -> Result<Option<EventCap>> {
        futures_util::pin_mut!(fetches);
        while let Some(fetched) = fetches.next().await {
            match fetched? {
                Fetched::Log { uri, body } => {
                    self.state.objects_read += 1;
                    self.state.bytes += body.len() as u64;
                    self.reader.add_reader(body.as_ref(), &uri)?;
                }
                Fetched::Ignored(uri) => self.ignored_objects.push(uri),
                Fetched::NotSampled => self.objects_not_sampled += 1,
                Fetched::FolderDone => self.state.folders_listed += 1,
            }
            self.state.elapsed = self.start.elapsed();
            progress(&self.state);
            if self.reader.records() >= max_events {
                // Dropping the stream stops listing and fetching; what is in flight is abandoned.
                let (folders_listed, folders) = (self.state.folders_listed, self.state.folders);
                return Ok(Some(EventCap { max_events, folders_listed, folders }));
            }
        }
        Ok(None)
    }
}

/// The accounts a read takes and the ones it leaves.
pub(crate) struct ChosenAccounts {
    /// To read, in directory-walk order.
    pub read: Vec<TrailAccount>,
    /// The caller's account, when it chose.
    pub caller: Option<String>,
    /// Present and not read, sorted.
    pub skipped: Vec<String>,
}

/// The accounts named, else every account in the bucket with `all_accounts`, else the caller's (or the bucket's
/// only account); the others present are counted.
pub(crate) async fn choose_accounts(
    clients: &Clients,
    s3: &aws_sdk_s3::Client,
    source: &TrailSource,
    prefix: &str,
) -> Result<ChosenAccounts> {
    let org = source.organization_id.clone();
    if !source.accounts.is_empty() {
        let read = source
            .accounts
            .iter()
            .map(|a| TrailAccount { organization_id: org.clone(), account_id: a.clone() })
            .collect();
        return Ok(ChosenAccounts { read: sorted(read), caller: None, skipped: Vec::new() });
    }
    let found = accounts_in_bucket(s3, source, prefix).await?;
    if source.all_accounts {
        return Ok(ChosenAccounts { read: found, caller: None, skipped: Vec::new() });
    }
    let caller = clients.caller_account().await?;
    let (mine, others): (Vec<TrailAccount>, Vec<TrailAccount>) =
        found.iter().cloned().partition(|a| a.account_id == caller);
    if !mine.is_empty() {
        let mut skipped: Vec<String> = others.into_iter().map(|a| a.account_id).collect();
        skipped.sort();
        skipped.dedup();
        skipped.retain(|a| *a != caller);
        return Ok(ChosenAccounts { read: mine, caller: Some(caller), skipped });
    }
    if found.len() == 1 {
        return Ok(ChosenAccounts { read: found, caller: Some(caller), skipped: Vec::new() });
    }
    let ids: Vec<&str> = found.iter().map(|a| a.account_id.as_str()).collect();
    Err(AccountError::InvalidInput(format!(
        "{} holds {} accounts ({}) and none is yours ({caller}): choose them with accounts(&[…]) or read every one          with all_accounts()",
        source.uri(),
        ids.len(),
        shortened(&ids)
    )))
}

fn sorted(mut accounts: Vec<TrailAccount>) -> Vec<TrailAccount> {
    accounts.sort_by(|a, b| path_order(&a.folder(""), &b.folder("")));
    accounts
}

/// Every account with logs in the bucket, in directory-walk order.
async fn accounts_in_bucket(s3: &aws_sdk_s3::Client, source: &TrailSource, prefix: &str) -> Result<Vec<TrailAccount>> {
    let org = source.organization_id.clone();
    let accounts: Vec<TrailAccount> = if let Some(org) = &org {
        let names = subfolders(s3, &source.bucket, &format!("{prefix}AWSLogs/{org}/")).await?;
        names
            .into_iter()
            .filter(|n| is_account_id(n))
            .map(|account_id| TrailAccount { organization_id: Some(org.clone()), account_id })
            .collect()
    } else {
        let mut found = Vec::new();
        for name in subfolders(s3, &source.bucket, &format!("{prefix}AWSLogs/")).await? {
            if is_account_id(&name) {
                found.push(TrailAccount { organization_id: None, account_id: name });
            } else if is_organization_id(&name) {
                for account_id in subfolders(s3, &source.bucket, &format!("{prefix}AWSLogs/{name}/")).await? {
                    if is_account_id(&account_id) {
                        found.push(TrailAccount { organization_id: Some(name.clone()), account_id });
                    }
                }
            }
        }
        found
    };
    if accounts.is_empty() {
        return Err(AccountError::InvalidInput(format!(
            "no CloudTrail logs under {} (expected AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/): check the trail's \
             bucket and prefix",
            source.uri()
        )));
    }
    Ok(sorted(accounts))
}

/// The names of the folders directly under `prefix` (ListObjectsV2 with delimiter `/`).
pub(crate) async fn subfolders(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix(prefix).delimiter("/").into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| listing_error(bucket, prefix, e))?;
        for common in page.common_prefixes() {
            if let Some(p) = common.prefix() {
                let name = p.strip_prefix(prefix).unwrap_or(p).trim_end_matches('/');
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// Every object of a day folder, in directory-walk order, classified.
async fn list_folder(s3: &aws_sdk_s3::Client, bucket: &str, folder: &Folder) -> Result<Vec<Item>> {
    let mut objects = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix(&folder.prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| listing_error(bucket, &folder.prefix, e))?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if key.ends_with('/') {
                continue; // a folder marker made by the console, not an object
            }
            let size = u64::try_from(object.size().unwrap_or(0)).unwrap_or(0);
            objects.push((key.to_string(), size));
        }
    }
    objects.sort_by(|a, b| path_order(&a.0, &b.0));
    let mut items: Vec<Item> = objects
        .into_iter()
        .map(|(key, size)| {
            if is_log_object(&key, &folder.account_id, &folder.region) {
                Item::Log { key, size }
            } else {
                Item::Ignored(format!("s3://{bucket}/{key}"))
            }
        })
        .collect();
    items.push(Item::FolderDone);
    Ok(items)
}

fn listing_error<E>(
    bucket: &str,
    prefix: &str,
    err: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> AccountError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    AccountError::Object {
        uri: format!("s3://{bucket}/{prefix}"),
        message: ipinsights_aws_calls::sdk::service_error("ListObjectsV2", err).to_string(),
    }
}

/// Fetches one log object whole (compressed; parsed by the caller).
async fn fetch(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, size: u64, max_bytes: u64) -> Result<Fetched> {
    let uri = format!("s3://{bucket}/{key}");
    if size > max_bytes {
        return Err(AccountError::Object {
            uri,
            message: format!("{size} bytes, more than the {max_bytes} bytes a CloudTrail log object may have here"),
        });
    }
    let out = s3.get_object().bucket(bucket).key(key).send().await.map_err(|e| AccountError::Object {
        uri: uri.clone(),
        message: ipinsights_aws_calls::sdk::service_error("GetObject", e).to_string(),
    })?;
    let declared = u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0);
    if declared > max_bytes {
        return Err(AccountError::Object {
            uri,
            message: format!("{declared} bytes, more than the {max_bytes} bytes a CloudTrail log object may have here"),
        });
    }
    let body = collect(out.body).await.map_err(|message| AccountError::Object { uri: uri.clone(), message })?;
    Ok(Fetched::Log { uri, body })
}

async fn collect(body: ByteStream) -> std::result::Result<Bytes, String> {
    body.collect().await.map(|data| data.into_bytes()).map_err(|e| format!("download failed part-way: {e}"))
}
