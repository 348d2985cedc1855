//! `ipinsights`: the local IP Insights toolbox (generate data, train, predict, evaluate, benchmark).
//!
//! Exit codes: 0 success, 2 usage errors (from clap), 1 every other error.

mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// IP Insights, locally: train and score ⟨entity, IP⟩ pairs like Amazon SageMaker's algorithm.
#[derive(Parser)]
#[command(name = "ipinsights", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the tutorial's synthetic login data: DIR/train.csv and DIR/test.csv.
    Generate(commands::generate::Args),
    /// Run a training job: tuples in, model artifact out.
    Train(commands::train::Args),
    /// Score tuples with a model: CSV `entity,ip,dot_product` out.
    Predict(commands::predict::Args),
    /// Run a batch transform job: score every record of input files, `{file}.out` (JSON lines) out.
    Transform(commands::transform::Args),
    /// Evaluate a model on a labelled test set: AUC and precision/recall/FPR at a threshold.
    Evaluate(commands::evaluate::Args),
    /// Benchmark training throughput, detection quality, bulk scoring and memory on tutorial-size data.
    Bench(commands::bench::Args),
    /// Serve a model as an endpoint speaking SageMaker's inference protocol (127.0.0.1 by default).
    Serve(commands::serve::Args),
    /// Extract `entity,ip` tuples from CloudTrail logs or GuardDuty findings.
    Ingest(commands::ingest::Args),
    /// Write a simulated AWS account: CloudTrail logs (S3 layout), GuardDuty findings and ground truth.
    Simulate(commands::simulate::Args),
    /// Choose alert thresholds (max false positive rate, min recall) from normal and anomalous pairs.
    Threshold(commands::threshold::Args),
    /// Score GuardDuty findings against a threshold: NDJSON alert/pass/skipped records on stdout.
    Detect(commands::detect::Args),
    /// Print the version of the process contract this binary speaks (JSON), for the notebook facade.
    #[command(hide = true)]
    Contract,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => commands::generate::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Transform(args) => commands::transform::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Ingest(args) => commands::ingest::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Threshold(args) => commands::threshold::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Contract => commands::contract::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
