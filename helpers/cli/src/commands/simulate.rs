//! `ipinsights simulate`: a simulated AWS account (CloudTrail in S3 layout, GuardDuty findings, ground truth).

use anyhow::Result;
use ipinsights_simulated_account::{simulate_account, SimConfig};
use std::path::PathBuf;

/// Arguments of `simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Output directory (created if missing): `AWSLogs/…` and `guardduty/`.
    #[arg(long)]
    out: PathBuf,
    /// Random seed: the same settings write byte-identical files.
    #[arg(long, default_value_t = SimConfig::default().seed)]
    seed: u64,
    /// CloudTrail records to write.
    #[arg(long, default_value_t = SimConfig::default().events)]
    events: usize,
    /// GuardDuty findings to write.
    #[arg(long, default_value_t = SimConfig::default().findings)]
    findings: usize,
    /// Length of the simulated period in days.
    #[arg(long, default_value_t = SimConfig::default().days)]
    days: u32,
    /// IAM users.
    #[arg(long, default_value_t = SimConfig::default().users)]
    users: usize,
    /// IAM roles.
    #[arg(long, default_value_t = SimConfig::default().roles)]
    roles: usize,
}

/// Runs `simulate`.
pub fn run(args: Args) -> Result<()> {
    let config = SimConfig {
        seed: args.seed,
        events: args.events,
        findings: args.findings,
        days: args.days,
        users: args.users,
        roles: args.roles,
        ..SimConfig::default()
    };
    let summary = simulate_account(&config, &args.out)?;
    println!("{summary}");
    Ok(())
}
