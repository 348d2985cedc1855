//! `ipinsights evaluate`: AUC and precision/recall/FPR of a model on a labelled test set.

use crate::output::read_reporting;
use anyhow::{Context, Result};
use ipinsights_engine::metrics::{at_threshold, auc, ThresholdStats};
use ipinsights_engine::tuples::{ReadOptions, Tuple};
use ipinsights_engine::Model;
use std::path::PathBuf;

/// Arguments of `evaluate`.
#[derive(clap::Args)]
pub struct Args {
    /// Model directory.
    #[arg(long)]
    model_dir: PathBuf,
    /// Labelled test set: `entity,ip,label` with label 1 = anomalous.
    #[arg(long)]
    test: PathBuf,
    /// Anomaly-score threshold (score = −dot_product; score > threshold flags an anomaly).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    threshold: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Skip malformed rows (and report how many) instead of failing.
    #[arg(long)]
    skip_invalid: bool,
}

/// Evaluation results.
#[derive(Debug, serde::Serialize)]
pub struct Evaluation {
    /// Normal pairs in the test set.
    pub normal: usize,
    /// Anomalous pairs in the test set.
    pub anomalous: usize,
    /// ROC AUC of the anomaly score.
    pub auc: f64,
    /// Confusion at the threshold.
    pub at_threshold: ThresholdStats,
}

/// Scores a labelled set and computes the evaluation (anomaly score = −dot_product).
pub fn evaluate(model: &Model, tuples: &[Tuple], labels: &[bool], threshold: f64) -> Evaluation {
    let pairs: Vec<(&str, std::net::IpAddr)> = tuples.iter().map(|t| (t.entity.as_str(), t.ip)).collect();
    let scores = model.score_pairs(&pairs);
    let (mut normal, mut anomalous) = (Vec::new(), Vec::new());
    for (&s, &label) in scores.iter().zip(labels) {
        if label {
            anomalous.push(-s)
        } else {
            normal.push(-s)
        }
    }
    Evaluation {
        normal: normal.len(),
        anomalous: anomalous.len(),
        auc: auc(&anomalous, &normal),
        at_threshold: at_threshold(&normal, &anomalous, threshold),
    }
}

/// Human-readable lines of an evaluation.
pub fn describe(e: &Evaluation) -> String {
    let t = &e.at_threshold;
    format!(
        "{} normal and {} anomalous pairs\nAUC: {:.4}\nat threshold {} (score = -dot_product): precision {:.4}, recall {:.4}, false positive rate {:.4} (TP {}, FP {}, TN {}, FN {})",
        e.normal, e.anomalous, e.auc, t.threshold, t.precision, t.recall, t.false_positive_rate,
        t.true_positives, t.false_positives, t.true_negatives, t.false_negatives
    )
}

/// Runs `evaluate`.
pub fn run(args: Args) -> Result<()> {
    let model = Model::load_dir(&args.model_dir)?;
    let file = read_reporting(
        &args.test,
        ReadOptions { skip_invalid: args.skip_invalid, labelled: true, ..Default::default() },
    )?;
    let labels = file.labels.context("the test set has no labels")?;
    anyhow::ensure!(
        labels.iter().any(|&l| l) && labels.iter().any(|&l| !l),
        "{}: the test set needs both normal (label 0) and anomalous (label 1) rows",
        args.test.display()
    );
    let evaluation = evaluate(&model, &file.tuples, &labels, args.threshold);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&evaluation)?);
    } else {
        println!("{}", describe(&evaluation));
    }
    Ok(())
}
