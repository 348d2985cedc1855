//! A simulated AWS account for the offline workshop: CloudTrail logs in the real S3 layout and
//! GuardDuty findings as EventBridge NDJSON, with ground truth (read back by `ipinsights-security-logs`). Seeded and portable (PCG-64 from `rand_pcg`,
//! one stream per concern).

mod clock;
mod config;
mod error;
mod events;
mod findings;
mod findings_writer;
mod gzip;
mod ids;
mod network;
mod population;
mod trail_writer;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::Tuple;

pub use config::SimConfig;
pub use error::{Result, SimulationError};
pub use events::{Actor, SimEvent, Source};
pub use findings::{FindingLabel, SimFinding};
use ipinsights_security_logs::{SkipCounts, SkipReason};
pub use network::{Net6, Network, Org};
pub use population::{Principal, PrincipalKind};

/// Independent random streams, so e.g. changing `events` does not change the principals.
const POPULATION: u64 = 1;
const EVENTS: u64 = 2;
const FINDINGS: u64 = 3;
const WRITE_IDS: u64 = 4;

/// The generator for `seed` on independent stream `stream`: PCG's own seed-and-stream constructor (the reference
/// implementation's `pcg64_srandom`), from `rand_pcg`, which the engine already builds.
fn rng(seed: u64, stream: u64) -> rand_pcg::Pcg64 {
    rand_pcg::Pcg64::new(u128::from(seed), u128::from(stream))
}

/// A generated account in memory: principals, events and findings as typed intent.
#[derive(Clone, Debug)]
pub struct SimAccount {
    /// The settings it was generated from.
    pub config: SimConfig,
    /// Users then roles.
    pub principals: Vec<Principal>,
    /// CloudTrail events in time order.
    pub events: Vec<SimEvent>,
    /// GuardDuty findings.
    pub findings: Vec<SimFinding>,
}

/// What `simulate_account` wrote.
#[derive(Clone, Debug)]
pub struct SimSummary {
    /// The root directory.
    pub root: PathBuf,
    /// `root/AWSLogs/{account}/CloudTrail/{region}`.
    pub cloudtrail_dir: PathBuf,
    /// CloudTrail files written (one per non-empty 5-minute window).
    pub cloudtrail_files: usize,
    /// CloudTrail records written.
    pub events: usize,
    /// IAM users.
    pub users: usize,
    /// IAM roles.
    pub roles: usize,
    /// Records that should give a tuple.
    pub expected_tuples: usize,
    /// Distinct (entity, IP) pairs among them.
    pub expected_unique_pairs: usize,
    /// Records that should give an IPv6 tuple.
    pub ipv6_tuples: usize,
    /// Noise records injected, by the skip reason they should be counted under.
    pub expected_skips: SkipCounts<SkipReason>,
    /// `root/guardduty/findings.jsonl`.
    pub findings_path: PathBuf,
    /// `root/guardduty/ground_truth.csv`.
    pub truth_path: PathBuf,
    /// Findings written.
    pub findings: usize,
    /// Findings labelled anomalous.
    pub anomalous: usize,
    /// Findings labelled benign.
    pub benign: usize,
    /// Findings without access key (port probes).
    pub not_scorable: usize,
}

impl fmt::Display for SimSummary {
    /// A two-line human summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CloudTrail: {} records by {} users and {} roles in {} files under {} ({} tuples, {} unique pairs, {} IPv6; noise: {})",
            self.events,
            self.users,
            self.roles,
            self.cloudtrail_files,
            self.cloudtrail_dir.display(),
            self.expected_tuples,
            self.expected_unique_pairs,
            self.ipv6_tuples,
            self.expected_skips
        )?;
        write!(
            f,
            "GuardDuty: {} findings in {} ({} anomalous, {} benign, {} not scorable; truth in {})",
            self.findings,
            self.findings_path.display(),
            self.anomalous,
            self.benign,
            self.not_scorable,
            self.truth_path.display()
        )
    }
}

impl SimAccount {
    /// Generates the account in memory (no I/O).
    pub fn generate(config: &SimConfig) -> Result<SimAccount> {
        config.validate()?;
        let principals = population::population(config, &mut rng(config.seed, POPULATION));
        let events = events::events(config, &principals, &mut rng(config.seed, EVENTS));
        let findings = findings::findings(config, &principals, &mut rng(config.seed, FINDINGS));
        Ok(SimAccount { config: config.clone(), principals, events, findings })
    }

    /// The tuples the CloudTrail files should yield, in file order (one per usable event).
    pub fn expected_tuples(&self) -> Vec<Tuple> {
        self.events.iter().filter_map(|e| e.expected(&self.principals).ok()).collect()
    }

    /// The injected noise, by the skip reason it should be counted under.
    pub fn expected_skips(&self) -> SkipCounts<SkipReason> {
        let mut skips = SkipCounts::default();
        for e in &self.events {
            if let Err(reason) = e.expected(&self.principals) {
                skips.add(reason);
            }
        }
        skips
    }

    /// Writes CloudTrail files, findings and ground truth under `root` (created if missing).
    pub fn write(&self, root: &Path) -> Result<SimSummary> {
        let cfg = &self.config;
        let mut ids = rng(cfg.seed, WRITE_IDS);
        let files = trail_writer::write_trail(cfg, &self.principals, &self.events, root, &mut ids)?;
        let gd_dir = root.join("guardduty");
        std::fs::create_dir_all(&gd_dir).map_err(|source| SimulationError::Write { path: gd_dir.clone(), source })?;
        let findings_path = gd_dir.join("findings.jsonl");
        let truth_path = gd_dir.join("ground_truth.csv");
        findings_writer::write_findings(cfg, &self.principals, &self.findings, &findings_path, &mut ids)?;
        findings_writer::write_truth(&self.principals, &self.findings, &truth_path)?;

        let tuples = self.expected_tuples();
        let unique: HashSet<&Tuple> = tuples.iter().collect();
        let label_count = |l: FindingLabel| self.findings.iter().filter(|f| f.label == l).count();
        Ok(SimSummary {
            root: root.to_path_buf(),
            cloudtrail_dir: root.join("AWSLogs").join(&cfg.account_id).join("CloudTrail").join(&cfg.region),
            cloudtrail_files: files.len(),
            events: self.events.len(),
            users: cfg.users,
            roles: cfg.roles,
            expected_tuples: tuples.len(),
            expected_unique_pairs: unique.len(),
            ipv6_tuples: tuples.iter().filter(|t| t.ip.is_ipv6()).count(),
            expected_skips: self.expected_skips(),
            findings_path,
            truth_path,
            findings: self.findings.len(),
            anomalous: label_count(FindingLabel::Anomalous),
            benign: label_count(FindingLabel::Benign),
            not_scorable: label_count(FindingLabel::NotScorable),
        })
    }
}

/// Generates the account described by `config` and writes it under `root`.
pub fn simulate_account(config: &SimConfig, root: &Path) -> Result<SimSummary> {
    SimAccount::generate(config)?.write(root)
}
