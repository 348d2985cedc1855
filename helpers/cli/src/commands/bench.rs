//! `ipinsights bench`: the engine's benchmark on the tutorial-size data set.
//!
//! Prints training throughput (records = positives + negatives, as SageMaker counts), detection quality on the
//! labelled test set (AUC, precision/recall at threshold 0) next to the Bayes-optimal AUC of the data's own
//! generator (the best any model can expect), bulk scoring speed and peak memory against the size of parameters +
//! optimiser state + input.

use super::evaluate::{describe, evaluate};
use crate::output::peak_rss_bytes;
use anyhow::Result;
use ipinsights_engine::synth::{generate, Dataset, SynthConfig};
use ipinsights_engine::{train, IpInsightsParams, Model, TrainEvent, TrainOptions};
use std::time::Instant;

/// Arguments of `bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Users to simulate (10000 = the tutorial's ~3M events).
    #[arg(long, default_value_t = 10_000)]
    users: u32,
    /// Epochs (the seed notebook uses 5).
    #[arg(long, default_value_t = 5)]
    epochs: u32,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the training log lines too.
    #[arg(long)]
    verbose: bool,
}

/// Runs `bench`.
pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let data = generate(&SynthConfig::new(args.users, args.seed));
    println!(
        "data: {} users, {} events, {} training tuples, {} test tuples (generated in {:.1} s)",
        args.users,
        data.events,
        data.train.len(),
        data.test.len(),
        started.elapsed().as_secs_f64()
    );
    let hp = IpInsightsParams::new(20_000, 128)
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(args.epochs)
        .learning_rate(0.01)
        .check()?;
    println!("hyperparameters: {hp}");
    let threads = args.threads.unwrap_or_else(ipinsights_engine::parallel::default_threads);
    let options = TrainOptions { seed: args.seed, threads, ..Default::default() };
    let train_started = Instant::now();
    let outcome = train(&hp, &data.train, None, &options, &mut |event| {
        if let (true, TrainEvent::Log(line)) = (args.verbose, &event) {
            println!("{line}");
        }
    })?;
    let train_seconds = train_started.elapsed().as_secs_f64();
    for e in &outcome.history {
        let skipped = match e.shuffled_negatives_skipped {
            0 => String::new(),
            n => format!(", {n} shuffled negatives left out (single-entity batches)"),
        };
        println!(
            "epoch {}: {:.0} records/s, {:.1} s, accuracy {:.4}, cross-entropy {:.4}{skipped}",
            e.epoch, e.records_per_second, e.seconds, e.accuracy, e.cross_entropy
        );
    }
    let records = data.train.len() as f64 * hp.records_per_positive() as f64 * f64::from(hp.epochs);
    println!(
        "training: {:.0} records/s over {} threads ({:.1} s in all)",
        records / train_seconds,
        threads,
        train_seconds
    );

    let model = &outcome.model;
    print_quality(model, &data);
    print_scoring(model, &data);
    print_memory(model, &data);
    Ok(())
}

/// Detection quality on the labelled test set, without travel events, and next to the Bayes-optimal AUC.
fn print_quality(model: &Model, data: &Dataset) {
    let evaluation = evaluate(model, &data.test, &data.test_labels, 0.0);
    println!("{}", describe(&evaluation));
    let normal_home: Vec<usize> = (0..data.test_travel.len()).filter(|&i| !data.test_travel[i]).collect();
    let anomalous: Vec<usize> = (0..data.test.len()).filter(|&i| data.test_labels[i]).collect();
    let subset: Vec<usize> = normal_home.iter().chain(&anomalous).copied().collect();
    let tuples: Vec<_> = subset.iter().map(|&i| data.test[i].clone()).collect();
    let labels: Vec<bool> = subset.iter().map(|&i| data.test_labels[i]).collect();
    println!("without travel events: {}", describe(&evaluate(model, &tuples, &labels, 0.0)).replace('\n', "; "));
    let travelling = |i: usize| data.test_travel.get(i).copied().unwrap_or(false);
    println!(
        "Bayes-optimal AUC (the generator's own likelihood ratio, the best any model can expect on this test set): \
         {:.4}, {:.4} without travel events ({:.1} % of normal test events were made while travelling); ours: {:.4}",
        data.bayes_optimal_auc(|_| true),
        data.bayes_optimal_auc(|i| !travelling(i)),
        100.0 * data.travel_share(),
        evaluation.auc
    );
}

/// Bulk scoring speed over the training pairs, in process.
fn print_scoring(model: &Model, data: &Dataset) {
    let pairs: Vec<(&str, std::net::IpAddr)> = data.train.iter().map(|t| (t.entity.as_str(), t.ip)).collect();
    let scoring = Instant::now();
    let scores = model.score_pairs(&pairs);
    let rate = pairs.len() as f64 / scoring.elapsed().as_secs_f64();
    let positive = scores.iter().filter(|&&s| s > 0.0).count() as f64 / scores.len() as f64;
    println!(
        "bulk scoring: {:.2} M pairs/s in-process ({:.1} % of training pairs score > 0)",
        rate / 1e6,
        100.0 * positive
    );
}

/// Peak memory against the size of parameters, optimiser state and input.
fn print_memory(model: &Model, data: &Dataset) {
    let params = (model.entity.len()
        + model.ip_table.len()
        + model.layers.iter().map(|l| l.w.len() + l.b.len()).sum::<usize>()) as f64
        * 4.0;
    let input: f64 = data.train.iter().map(|t| t.entity.capacity() as f64 + 48.0).sum();
    let budget = 1.5 * (3.0 * params) + input;
    if let Some(peak) = peak_rss_bytes() {
        println!(
            "memory: peak RSS {:.0} MiB; parameters {:.0} MiB + optimiser state {:.0} MiB, input ~{:.0} MiB; budget 1.5×(params+state)+input = {:.0} MiB (includes the generated data set held by this benchmark)",
            peak as f64 / 1048576.0,
            params / 1048576.0,
            2.0 * params / 1048576.0,
            input / 1048576.0,
            budget / 1048576.0
        );
    }
}
