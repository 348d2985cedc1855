//! `ipinsights predict`: score a tuple file with a model.

use crate::output::{read_reporting, write_text};
use anyhow::Result;
use ipinsights_engine::tuples::ReadOptions;
use ipinsights_engine::Model;
use ipinsights_protocol::{borrow_pairs, Scorer};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `predict`.
#[derive(clap::Args)]
pub struct Args {
    /// Model directory (holding model.ipinsights or model.tar.gz).
    #[arg(long, required_unless_present = "endpoint", conflicts_with = "endpoint")]
    model_dir: Option<PathBuf>,
    /// Score through an endpoint instead: its URL (`http://HOST:PORT`, `.../endpoints/NAME` or `.../invocations`).
    #[arg(long)]
    endpoint: Option<String>,
    /// Tuples to score: `entity,ip` CSV (extra columns ignored, an `entity,ip,...` header tolerated).
    #[arg(long)]
    input: PathBuf,
    /// Output CSV (default: stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Skip malformed rows (and report how many) instead of failing.
    #[arg(long)]
    skip_invalid: bool,
}

/// Runs `predict`.
pub fn run(args: Args) -> Result<()> {
    let file = read_reporting(&args.input, ReadOptions { skip_invalid: args.skip_invalid, ..Default::default() })?;
    let pairs: Vec<(&str, std::net::IpAddr)> = file.tuples.iter().map(|t| (t.entity.as_str(), t.ip)).collect();
    let scorer: Box<dyn Scorer> = match (&args.endpoint, &args.model_dir) {
        (Some(url), _) => Box::new(ipinsights_client::EndpointClient::new(url)),
        (None, Some(dir)) => Box::new(Model::load_dir(dir)?),
        (None, None) => anyhow::bail!("give --model-dir or --endpoint"),
    };
    let scores = scorer.dot_products(&borrow_pairs(&pairs))?;
    write_text(args.output.as_deref(), &scores_csv(&pairs, &scores))
}

/// The `entity,ip,dot_product` CSV of scored pairs.
pub fn scores_csv(pairs: &[(&str, std::net::IpAddr)], scores: &[f32]) -> String {
    let mut out = String::with_capacity(pairs.len() * 32 + 32);
    out.push_str("entity,ip,dot_product\n");
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for ((entity, ip), score) in pairs.iter().zip(scores) {
        // Entities may hold commas or quotes: let the CSV writer quote them.
        let _ = csv.write_record([*entity, &ip.to_string(), &score.to_string()]);
    }
    let bytes = csv.into_inner().unwrap_or_default();
    let _ = write!(out, "{}", String::from_utf8_lossy(&bytes));
    out
}
