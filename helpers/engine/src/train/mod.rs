//! The training job: epochs of shuffled mini-batches, SageMaker-format logs, optional validation AUC.

mod batch;
mod data;
mod grads;
pub mod log;
pub mod memory;

use crate::hash::DEFAULT_HASH_SEED;
use crate::hyperparams::HyperParameters;
use crate::metrics::auc;
use crate::model::Model;
use crate::tuples::Tuple;
use batch::{BatchStats, BatchWork, Negatives};
use grads::Optimiser;
use rand::seq::SliceRandom;
use std::time::Instant;

/// How to run a training job (everything but the hyperparameters).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Seed of initial weights, shuffling and negative sampling.
    pub seed: u64,
    /// Worker threads (results are deterministic for a fixed seed and thread count).
    pub threads: usize,
    /// The `host=` name in log lines.
    pub host: String,
    /// Seed of the entity and prefix hashes (stored in the model).
    pub hash_seed: u64,
    /// The most memory the job may plan to use (checked before anything is allocated).
    pub memory_budget: memory::MemoryBudget,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            seed: 0,
            threads: crate::parallel::default_threads(),
            host: "local".into(),
            hash_seed: DEFAULT_HASH_SEED,
            memory_budget: memory::MemoryBudget::for_this_machine(),
        }
    }
}

/// What the training job reports as it runs.
#[derive(Debug, Clone)]
pub enum TrainEvent {
    /// A log line in SageMaker's format.
    Log(String),
    /// Progress after a batch.
    Progress {
        /// Batches done over all epochs.
        done: u64,
        /// Batches over all epochs.
        total: u64,
    },
}

/// Metrics of one epoch.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EpochMetrics {
    /// 0-based epoch.
    pub epoch: u32,
    /// Training accuracy over the epoch's records.
    pub accuracy: f64,
    /// Mean binary cross-entropy over the epoch's records.
    pub cross_entropy: f64,
    /// Validation discriminator AUC, when a validation set was given.
    pub validation_auc: Option<f64>,
    /// Records (positives + negatives) per second.
    pub records_per_second: f64,
    /// Wall-clock seconds of the epoch (validation excluded).
    pub seconds: f64,
    /// Shuffled negatives left out because their mini-batch held a single entity row (no other entity's address to
    /// pair with; labelling one of the entity's own addresses 0 would teach the model a real pair is anomalous).
    pub shuffled_negatives_skipped: u64,
}

/// A trained model and its history.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The model after the last epoch.
    pub model: Model,
    /// One entry per epoch.
    pub history: Vec<EpochMetrics>,
}

/// Errors that stop a training job before it starts.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// No training data.
    #[error("the train channel holds no tuples")]
    EmptyTrain,
    /// More training tuples than one job can index.
    #[error("the train channel holds {count} tuples, more than the {max} one training job can take: split the data")]
    TooManyTuples {
        /// Tuples given.
        count: usize,
        /// The most a job takes (`u32::MAX`).
        max: u32,
    },
    /// A model too large to build.
    #[error(transparent)]
    ModelSize(#[from] crate::model::ModelSizeError),
    /// A job whose model, optimiser state and mini-batches exceed the memory budget.
    #[error(transparent)]
    Memory(#[from] memory::MemoryError),
    /// Training ended with weights whose scores could overflow (it diverged): no model is written.
    #[error("training diverged: {0}")]
    Diverged(#[from] crate::model::ScoreBoundError),
}

/// The number of training positives as the trainer indexes them (`u32`), or an error past `u32::MAX`.
fn positive_count(count: usize) -> Result<u32, TrainError> {
    u32::try_from(count).map_err(|_| TrainError::TooManyTuples { count, max: u32::MAX })
}

/// Percent of the job done after `epochs_done` of `epochs` epochs (no overflow for any epoch count).
fn percent_done(epochs_done: u32, epochs: u32) -> u32 {
    (u64::from(epochs_done) * 100 / u64::from(epochs.max(1))).min(100) as u32
}

/// Runs a training job, reporting log lines and progress to `on_event`. The hyperparameters are checked by their
/// type ([`HyperParameters`] only exists valid), so training never validates them again.
pub fn train(
    hp: &HyperParameters,
    train_set: &[Tuple],
    validation: Option<&[Tuple]>,
    options: &TrainOptions,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<TrainOutcome, TrainError> {
    if train_set.is_empty() {
        return Err(TrainError::EmptyTrain);
    }
    let count = positive_count(train_set.len())?;
    let layout = crate::ip::IpLayout::new(options.hash_seed);
    crate::model::check_size(hp, &layout)?;
    memory::check_memory(hp, &layout, train_set.len(), &options.memory_budget)?;
    let mut model = Model::try_new(hp, options.hash_seed, options.seed)?;
    let workers = crate::parallel::Workers::new(options.threads);
    let host = options.host.as_str();
    let positives = data::encode(&model, train_set);
    let validation = validation.filter(|v| !v.is_empty()).map(|v| Validation::new(v, options.seed));
    let mut optimiser = Optimiser::new(&model);
    let mut work = BatchWork::default();
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(options.seed) << 64 | 0x5eed);
    let mut order: Vec<u32> = (0..count).collect();
    let batch_size = hp.mini_batch_size as usize;
    let batches = positives.len().div_ceil(batch_size) as u64;
    let total_batches = batches * u64::from(hp.epochs);
    let negatives = Negatives {
        random: hp.random_negative_sampling_rate as usize,
        shuffled: hp.shuffled_negative_sampling_rate as usize,
    };
    let interval = u64::from(hp.batch_metrics_publish_interval);
    let mut history = Vec::new();
    let mut batch_refs = Vec::with_capacity(batch_size);
    for epoch in 0..hp.epochs {
        order.shuffle(&mut rng);
        let started = Instant::now();
        let (mut epoch_stats, mut window, mut window_start) =
            (BatchStats::default(), BatchStats::default(), Instant::now());
        for (batch, chunk) in order.chunks(batch_size).enumerate() {
            let batch = batch as u64;
            batch_refs.clear();
            batch_refs.extend(chunk.iter().map(|&i| &positives[i as usize]));
            work.prepare(&model, &batch_refs, negatives, &mut rng);
            let stats = work.step(&mut model, &mut optimiser, &workers);
            epoch_stats.add(&stats);
            window.add(&stats);
            if batch.is_multiple_of(interval) {
                let speed = window.records as f64 / window_start.elapsed().as_secs_f64().max(1e-9);
                let (acc, ce) = rates(&window);
                for line in log::batch_lines(host, epoch, batch, speed, acc, ce) {
                    on_event(TrainEvent::Log(line));
                }
                (window, window_start) = (BatchStats::default(), Instant::now());
            }
            on_event(TrainEvent::Progress { done: u64::from(epoch) * batches + batch + 1, total: total_batches });
        }
        let seconds = started.elapsed().as_secs_f64();
        let validation_auc = validation.as_ref().map(|v| v.auc(&model));
        history.push(end_epoch(host, (epoch, hp.epochs), &epoch_stats, seconds, validation_auc, on_event));
    }
    crate::model::check_score_bound(&model)?;
    Ok(TrainOutcome { model, history })
}

/// Logs the end of epoch `epoch` of `epochs` as SageMaker's algorithm does (metrics, validation AUC, shuffled
/// negatives left out, throughput, progress) and returns its metrics.
fn end_epoch(
    host: &str,
    (epoch, epochs): (u32, u32),
    stats: &BatchStats,
    seconds: f64,
    validation_auc: Option<f64>,
    on_event: &mut dyn FnMut(TrainEvent),
) -> EpochMetrics {
    let (accuracy, cross_entropy) = rates(stats);
    for line in log::epoch_lines(host, epoch, accuracy, cross_entropy) {
        on_event(TrainEvent::Log(line));
    }
    if let Some(value) = validation_auc {
        on_event(TrainEvent::Log(log::validation_line(host, epoch, value)));
    }
    let skipped = stats.shuffled_skipped;
    if skipped > 0 {
        on_event(TrainEvent::Log(log::skipped_shuffled_line(host, epoch, skipped)));
    }
    let records_per_second = stats.records as f64 / seconds.max(1e-9);
    on_event(TrainEvent::Log(log::throughput_line(host, records_per_second)));
    on_event(TrainEvent::Log(log::progress_line(host, percent_done(epoch + 1, epochs))));
    EpochMetrics {
        epoch,
        accuracy,
        cross_entropy,
        validation_auc,
        records_per_second,
        seconds,
        shuffled_negatives_skipped: skipped,
    }
}

fn rates(stats: &BatchStats) -> (f64, f64) {
    let n = stats.records.max(1) as f64;
    (stats.correct as f64 / n, stats.loss_sum / n)
}

/// The validation channel with its fixed negatives (one random address per pair, as SageMaker's R=1, S=0).
struct Validation {
    pairs: Vec<(String, std::net::IpAddr)>,
    positives: usize,
}

impl Validation {
    fn new(tuples: &[Tuple], seed: u64) -> Self {
        let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) << 64 | 0xa1d);
        let mut pairs: Vec<_> = tuples.iter().map(|t| (t.entity.clone(), t.ip)).collect();
        for t in tuples {
            let ip = match crate::ip::canonical(t.ip) {
                std::net::IpAddr::V6(_) => crate::ip::random_v6(&mut rng),
                _ => crate::ip::random_v4(&mut rng),
            };
            pairs.push((t.entity.clone(), ip));
        }
        Validation { pairs, positives: tuples.len() }
    }

    fn auc(&self, model: &Model) -> f64 {
        let scores = model.score_pairs(&self.pairs);
        auc(&scores[..self.positives], &scores[self.positives..])
    }
}

#[cfg(test)]
mod tests;
