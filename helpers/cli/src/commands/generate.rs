//! `ipinsights generate`: the tutorial's synthetic data set.

use anyhow::{Context, Result};
use ipinsights_engine::synth::{generate, SynthConfig};
use std::path::PathBuf;

/// Arguments of `generate`.
#[derive(clap::Args)]
pub struct Args {
    /// Users to simulate (the tutorial uses 10000).
    #[arg(long, default_value_t = 10_000)]
    users: u32,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Normal test events (and as many attacks).
    #[arg(long, default_value_t = 100_000)]
    test_samples: usize,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `generate`.
pub fn run(args: Args) -> Result<()> {
    let data = generate(&SynthConfig { users: args.users, seed: args.seed, test_samples: args.test_samples });
    data.write(&args.out).with_context(|| format!("cannot write the data set to {}", args.out.display()))?;
    println!(
        "{} users, {} events: {} training tuples in {}, {} test tuples ({} normal, {} attacks) in {}",
        args.users,
        data.events,
        data.train.len(),
        args.out.join("train.csv").display(),
        data.test.len(),
        data.test_labels.iter().filter(|&&l| !l).count(),
        data.test_labels.iter().filter(|&&l| l).count(),
        args.out.join("test.csv").display(),
    );
    println!(
        "{:.1} % of normal test events happened while travelling (their addresses drawn like attacks', so the address \
         alone cannot separate them)",
        100.0 * data.travel_share()
    );
    Ok(())
}
