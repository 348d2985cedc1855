//! Detection metrics: ROC AUC, ROC curves, precision/recall/FPR at a threshold, histograms.
//!
//! Conventions: functions taking *anomaly scores* treat higher as more anomalous (the tutorial's
//! `score = −dot_product`); [`auc`] takes the scores of two classes and gives the probability that a random member
//! of the first outscores a random member of the second (ties count one half).

/// Probability that a random `high` score exceeds a random `low` score (Mann–Whitney U / ROC AUC), ties ½.
/// Returns 0.5 when either class is empty.
pub fn auc(high: &[f32], low: &[f32]) -> f64 {
    rank_auc(high, low, f32::total_cmp)
}

/// [`auc`] of `f64` scores.
pub fn auc_f64(high: &[f64], low: &[f64]) -> f64 {
    rank_auc(high, low, f64::total_cmp)
}

/// The rank-sum AUC, with scores ordered by `cmp` (a total order, so even NaN scores are ranked, never looped on).
fn rank_auc<T: Copy + PartialEq>(high: &[T], low: &[T], cmp: fn(&T, &T) -> std::cmp::Ordering) -> f64 {
    if high.is_empty() || low.is_empty() {
        return 0.5;
    }
    let mut all: Vec<(T, bool)> = high.iter().map(|&s| (s, true)).chain(low.iter().map(|&s| (s, false))).collect();
    all.sort_unstable_by(|a, b| cmp(&a.0, &b.0));
    // Sum of (average, 1-based) ranks of the `high` class, with ties sharing their mean rank.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && (all[j].0 == all[i].0 || cmp(&all[j].0, &all[i].0).is_eq()) {
            j += 1;
        }
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mean_rank * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (n1, n0) = (high.len() as f64, low.len() as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// Confusion counts and rates when `anomaly_score > threshold` flags an anomaly.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ThresholdStats {
    /// The threshold.
    pub threshold: f64,
    /// Anomalies flagged.
    pub true_positives: u64,
    /// Normal events flagged.
    pub false_positives: u64,
    /// Normal events passed.
    pub true_negatives: u64,
    /// Anomalies missed.
    pub false_negatives: u64,
    /// TP / (TP + FP); 1 when nothing is flagged.
    pub precision: f64,
    /// TP / (TP + FN) (the true-positive rate).
    pub recall: f64,
    /// FP / (FP + TN).
    pub false_positive_rate: f64,
}

impl ThresholdStats {
    fn from_counts(threshold: f64, tp: u64, fp: u64, tn: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64, empty: f64| {
            if a + b == 0 {
                empty
            } else {
                a as f64 / (a + b) as f64
            }
        };
        ThresholdStats {
            threshold,
            true_positives: tp,
            false_positives: fp,
            true_negatives: tn,
            false_negatives: fn_,
            precision: ratio(tp, fp, 1.0),
            recall: ratio(tp, fn_, 0.0),
            false_positive_rate: ratio(fp, tn, 0.0),
        }
    }
}

/// Confusion at `threshold` for anomaly scores of normal and anomalous events.
pub fn at_threshold(normal: &[f32], anomalous: &[f32], threshold: f64) -> ThresholdStats {
    let flagged = |s: &&f32| f64::from(**s) > threshold;
    let tp = anomalous.iter().filter(flagged).count() as u64;
    let fp = normal.iter().filter(flagged).count() as u64;
    ThresholdStats::from_counts(threshold, tp, fp, normal.len() as u64 - fp, anomalous.len() as u64 - tp)
}

/// The ROC curve of anomaly scores: one point per distinct threshold, from flagging nothing to flagging all,
/// in order of decreasing threshold (increasing FPR).
pub fn roc_curve(normal: &[f32], anomalous: &[f32]) -> Vec<ThresholdStats> {
    let mut all: Vec<(f32, bool)> =
        anomalous.iter().map(|&s| (s, true)).chain(normal.iter().map(|&s| (s, false))).collect();
    all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let (p, n) = (anomalous.len() as u64, normal.len() as u64);
    let top = all.first().map_or(0.0, |x| f64::from(x.0));
    let mut points = vec![ThresholdStats::from_counts(top, 0, 0, n, p)];
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut i = 0;
    while i < all.len() {
        let score = all[i].0;
        while i < all.len() && all[i].0 == score {
            if all[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        // Everything at or above `score` is flagged: the threshold just below it.
        let next = all.get(i).map_or(f64::NEG_INFINITY, |x| f64::from(x.0));
        let threshold = if next.is_finite() { (f64::from(score) + next) / 2.0 } else { f64::from(score) - 1.0 };
        points.push(ThresholdStats::from_counts(threshold, tp, fp, n - fp, p - tp));
    }
    points
}

/// An equal-width histogram as data (numpy's convention: the last bin includes its right edge).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Histogram {
    /// `bins + 1` bin edges.
    pub edges: Vec<f64>,
    /// Counts per bin.
    pub counts: Vec<u64>,
}

/// Histogram of `values` with `bins` equal-width bins over `range` (default: min..max of the values).
pub fn histogram(values: &[f32], bins: usize, range: Option<(f64, f64)>) -> Histogram {
    let bins = bins.max(1);
    let finite = values.iter().filter(|v| v.is_finite()).map(|&v| f64::from(v));
    let (lo, hi) = range
        .unwrap_or_else(|| finite.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v))));
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let width = (hi - lo) / bins as f64;
    let edges = (0..=bins).map(|i| if i == bins { hi } else { lo + width * i as f64 }).collect();
    let mut counts = vec![0u64; bins];
    for v in finite.filter(|v| (lo..=hi).contains(v)) {
        let bin = (((v - lo) / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    Histogram { edges, counts }
}

#[cfg(test)]
mod tests;
