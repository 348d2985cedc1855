//! `ipinsights train`: a local training job.
//!
//! Stdout is the job's log for humans, in SageMaker's format (what the algorithm's CloudWatch log holds); stderr
//! carries skipped-row reports and errors. Programs read `--events FILE` instead: JSON lines of the process
//! contract (`ipinsights-contract`), `started` once the channels are read, then `completed` or `failed`.

use crate::commands::events::run_reporting;
use crate::output::read_reporting;
use anyhow::{Context, Result};
use ipinsights_contract::{ChannelSummary, TrainingEvent};
use ipinsights_engine::train::memory::MemoryBudget;
use ipinsights_engine::tuples::{ReadOptions, TupleFile};
use ipinsights_engine::{train, HyperParameters, TrainEvent, TrainOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `train`.
#[derive(clap::Args)]
pub struct Args {
    /// Training tuples: headerless `entity,ip` CSV.
    #[arg(long)]
    train: PathBuf,
    /// Validation tuples (same format): reports `validation discriminator_auc` per epoch.
    #[arg(long)]
    validation: Option<PathBuf>,
    /// Where to write the model artifact.
    #[arg(long)]
    model_dir: PathBuf,
    /// A hyperparameter, SageMaker name and value (repeatable), e.g. `--hp vector_dim=128`.
    #[arg(long = "hp", value_name = "NAME=VALUE", value_parser = parse_hp)]
    hyperparameters: Vec<(String, String)>,
    /// Random seed (initial weights, shuffling, negatives).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip malformed rows (and report how many) instead of failing.
    #[arg(long)]
    skip_invalid: bool,
    /// Read the channels as SageMaker's IP Insights does: an IPv6 address is a bad row (the emulated AWS
    /// account's algorithm runs with this).
    #[arg(long)]
    ipv4_only: bool,
    /// Write the model packed as `model.tar.gz`, SageMaker's training output, instead of `model.ipinsights`.
    #[arg(long)]
    pack: bool,
    /// Report the job's events for programs to this file, as JSON lines of the process contract: `started`,
    /// then `completed` or `failed`.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// The most memory the job may plan to use, in MiB: the model, Adam's state and one mini-batch are counted
    /// before anything is allocated, and a job needing more is refused (default: 3/4 of the smaller of physical
    /// memory and the address-space limit).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
    memory_budget_mib: Option<u64>,
}

fn parse_hp(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))?;
    Ok((name.trim().to_string(), value.trim().to_string()))
}

/// Runs `train`; with `--events`, a failure is reported there too.
pub fn run(args: Args) -> Result<()> {
    run_reporting(args.events.as_deref(), |reason| TrainingEvent::Failed { reason }, |emit| run_job(&args, emit))
}

/// The job itself: read the channels, train, write (and pack) the model.
fn run_job(args: &Args, emit: &mut dyn FnMut(TrainingEvent) -> Result<()>) -> Result<()> {
    let hp = HyperParameters::from_map(args.hyperparameters.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let options = ReadOptions { skip_invalid: args.skip_invalid, ipv4_only: args.ipv4_only, ..Default::default() };
    let train_set = read_reporting(&args.train, options)?;
    let validation = args.validation.as_ref().map(|p| read_reporting(p, options)).transpose()?;
    emit(TrainingEvent::Started {
        train: channel(&args.train, &train_set),
        validation: args.validation.as_deref().zip(validation.as_ref()).map(|(p, v)| channel(p, v)),
        hyperparameters: hp.to_map(),
    })?;
    let train_options = TrainOptions {
        seed: args.seed,
        threads: args.threads.unwrap_or_else(ipinsights_engine::parallel::default_threads),
        memory_budget: match args.memory_budget_mib {
            Some(mib) => MemoryBudget::mib(mib, "--memory-budget-mib"),
            None => {
                let budget = MemoryBudget::for_this_machine();
                MemoryBudget { source: format!("{}; --memory-budget-mib sets another", budget.source), ..budget }
            }
        },
        ..Default::default()
    };
    println!("Training on {} tuples with {hp}", train_set.tuples.len());
    let bar = progress_bar();
    let started = Instant::now();
    let outcome = train(
        &hp,
        &train_set.tuples,
        validation.as_ref().map(|v| v.tuples.as_slice()),
        &train_options,
        &mut |event| match event {
            TrainEvent::Log(line) => match &bar {
                Some(bar) => bar.suspend(|| println!("{line}")),
                None => println!("{line}"),
            },
            TrainEvent::Progress { done, total } => {
                if let Some(bar) = &bar {
                    bar.set_length(total);
                    bar.set_position(done);
                }
            }
        },
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let training_seconds = started.elapsed().as_secs_f64();
    let model = if args.pack {
        outcome.model.save_artifact(&args.model_dir).context("cannot pack the model")?
    } else {
        outcome.model.save_dir(&args.model_dir)?
    };
    println!("Model written to {} ({training_seconds:.1} s of training)", model.display());
    emit(TrainingEvent::Completed { model, training_seconds })
}

/// What the job read from a channel.
fn channel(path: &Path, file: &TupleFile) -> ChannelSummary {
    ChannelSummary { path: path.to_path_buf(), tuples: file.tuples.len() as u64, skipped_rows: file.skipped.count }
}

/// A progress bar on stderr when it is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} batches, {elapsed} elapsed, ETA {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
