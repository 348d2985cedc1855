//! `ipinsights threshold`: choose alert thresholds from normal and anomalous pairs (workshop step 5).

use crate::commands::detect::ScorerArgs;
use crate::output::read_reporting;
use anyhow::{Context, Result};
use ipinsights_detect::scorer::Pair;
use ipinsights_detect::{
    random_ip_anomaly_pairs, ThresholdAnalysis, ThresholdChoice, ThresholdError, ThresholdRule, MAX_RANDOM_ANOMALIES,
};
use ipinsights_engine::tuples::{ReadOptions, Tuple};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `threshold`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scorer: ScorerArgs,
    /// Normal pairs (`entity,ip` CSV), e.g. the training tuples or held-out CloudTrail tuples.
    #[arg(long)]
    normal: PathBuf,
    /// Anomalous pairs (`entity,ip` CSV); without it, anomalies are simulated: known principals from random IPv4 addresses.
    #[arg(long)]
    anomalous: Option<PathBuf>,
    /// How many anomalies to simulate when --anomalous is not given: 1 to 1000000.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=MAX_RANDOM_ANOMALIES as u64))]
    random_anomalies: u64,
    /// Seed of the simulated anomalies.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rule: flag at most this share of normal events, 0 to 1 (repeatable; for costly analyst review).
    #[arg(long = "max-fpr", value_name = "RATE", value_parser = rate_from_0)]
    max_fpr: Vec<f64>,
    /// Rule: catch at least this share of anomalies, above 0 up to 1 (repeatable; for cheap steps such as asking
    /// for MFA).
    #[arg(long = "min-recall", value_name = "RECALL", value_parser = rate_above_0)]
    min_recall: Vec<f64>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the ROC curve as CSV (anomaly-score thresholds, counts and rates).
    #[arg(long)]
    roc: Option<PathBuf>,
}

fn pairs(tuples: &[Tuple]) -> Vec<Pair<'_>> {
    tuples.iter().map(|t| (Cow::Borrowed(t.entity.as_str()), t.ip)).collect()
}

/// A share from 0 to 1 (`--max-fpr`).
fn rate_from_0(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("give a share of normal events from 0 to 1, e.g. 0.01".into()),
    }
}

/// A share above 0 up to 1 (`--min-recall`).
fn rate_above_0(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(recall) if recall > 0.0 && recall <= 1.0 => Ok(recall),
        _ => Err("give a share of anomalies above 0 and at most 1, e.g. 0.95".into()),
    }
}

/// Runs `threshold`. Scores are anomaly scores (score = −dot_product); each rule prints its threshold.
pub fn run(args: Args) -> Result<()> {
    let scorer = args.scorer.scorer()?;
    let options = ReadOptions::default();
    let normal = read_reporting(&args.normal, options)?.tuples;
    let labelled = match &args.anomalous {
        Some(path) => Some(read_reporting(path, options)?.tuples),
        None => None,
    };
    let (anomalous, simulated) = match &labelled {
        Some(tuples) => (pairs(tuples), false),
        None => {
            // The flag's range is checked by its parser; this names the flag for anything the simulation refuses.
            let count = usize::try_from(args.random_anomalies).unwrap_or(usize::MAX);
            let simulated = random_ip_anomaly_pairs(&normal, count, args.seed).with_context(|| {
                format!("--random-anomalies {} from --normal {}", args.random_anomalies, args.normal.display())
            })?;
            (simulated, true)
        }
    };
    let analysis = ThresholdAnalysis::from_dot_products(
        &scorer.dot_products(&pairs(&normal))?,
        &scorer.dot_products(&anomalous)?,
    )?;
    let mut rules: Vec<ThresholdRule> = args.max_fpr.iter().map(|&x| ThresholdRule::MaxFalsePositiveRate(x)).collect();
    rules.extend(args.min_recall.iter().map(|&y| ThresholdRule::MinRecall(y)));
    if rules.is_empty() {
        rules = vec![ThresholdRule::MaxFalsePositiveRate(0.01), ThresholdRule::MinRecall(0.95)];
    }
    let choices: Vec<_> = rules.iter().map(|&rule| (rule, analysis.choose(rule))).collect();
    if let Some(path) = &args.roc {
        crate::output::write_text(Some(path), &roc_csv(&analysis))?;
    }
    let counts = (normal.len(), anomalous.len());
    if args.json {
        print_json(&analysis, &choices, counts, simulated)?;
    } else {
        let source = if simulated { " (simulated: known principals from random IPv4 addresses)" } else { "" };
        println!("{} normal and {} anomalous pairs{source}, scored with {}", counts.0, counts.1, scorer.describe());
        println!("AUC: {:.4}", analysis.auc());
        for (_, choice) in &choices {
            match choice {
                Ok(c) => println!("{c}"),
                Err(e) => println!("{e}"),
            }
        }
    }
    let failed = choices.iter().filter(|(_, c)| c.is_err()).count();
    anyhow::ensure!(failed == 0, "{failed} of {} rules could not be met", choices.len());
    Ok(())
}

/// Prints the `--json` report: the score convention, the pair counts (normal, anomalous), whether the anomalies were
/// simulated, the AUC and each rule's choice or error.
fn print_json(
    analysis: &ThresholdAnalysis,
    choices: &[(ThresholdRule, Result<ThresholdChoice, ThresholdError>)],
    (normal, anomalous): (usize, usize),
    simulated: bool,
) -> Result<()> {
    let choices: Vec<serde_json::Value> = choices
        .iter()
        .map(|(rule, choice)| match choice {
            Ok(c) => serde_json::to_value(c).unwrap_or_default(),
            Err(e) => serde_json::json!({ "rule": rule, "error": e.to_string() }),
        })
        .collect();
    let report = serde_json::json!({
        "score": "anomaly score = -dot_product; alert when score > threshold",
        "normal": normal,
        "anomalous": anomalous,
        "simulated_anomalies": simulated,
        "auc": analysis.auc(),
        "choices": choices,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `threshold,true_positives,false_positives,true_negatives,false_negatives,precision,recall,false_positive_rate`.
fn roc_csv(analysis: &ThresholdAnalysis) -> String {
    let mut out =
        String::from("threshold,true_positives,false_positives,true_negatives,false_negatives,precision,recall,false_positive_rate\n");
    for s in analysis.roc() {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            s.threshold,
            s.true_positives,
            s.false_positives,
            s.true_negatives,
            s.false_negatives,
            s.precision,
            s.recall,
            s.false_positive_rate
        );
    }
    out
}
