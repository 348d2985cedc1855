//! Scores as the notebook explains them: the tutorial's anomaly score, and the numbers behind the teaching text
//! (how many training pairs score above zero, how GuardDuty findings compare with normal activity), always
//! computed from the run at hand; the words that interpret them live in the notebook's markdown.

use crate::plot::scale::format_number;
use std::fmt;

/// The tutorial's anomaly score of each `dot_product`: −dot_product (higher = more anomalous).
pub fn anomaly_scores(dot_products: &[f32]) -> Vec<f32> {
    dot_products.iter().map(|d| -d).collect()
}

/// How many positions of `a` and `b` hold scores within `tolerance` of each other (e.g. a batch transform's scores
/// against the endpoint's, in the same order).
pub fn count_equal(a: &[f32], b: &[f32], tolerance: f32) -> usize {
    a.iter().zip(b).filter(|(x, y)| (*x - *y).abs() <= tolerance).count()
}

/// A few numbers about a set of `dot_product`s (non-finite ones are counted apart and left out of the rest).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    /// What was scored (e.g. "Training pairs").
    pub label: String,
    /// How many finite scores.
    pub count: usize,
    /// How many scores were NaN or infinite.
    pub non_finite: usize,
    /// How many are above zero (the model finds the pair more likely real than random).
    pub above_zero: usize,
    /// Mean `dot_product`.
    pub mean: f64,
    /// Median `dot_product`.
    pub median: f64,
    sorted: Vec<f64>,
}

impl ScoreSummary {
    /// Summarises `dot_products` under `label`.
    pub fn of(label: &str, dot_products: &[f32]) -> Self {
        let mut sorted: Vec<f64> = dot_products.iter().filter(|d| d.is_finite()).map(|&d| f64::from(d)).collect();
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        ScoreSummary {
            label: label.to_string(),
            count,
            non_finite: dot_products.len() - count,
            above_zero: sorted.iter().filter(|&&d| d > 0.0).count(),
            mean: if count == 0 { f64::NAN } else { sorted.iter().sum::<f64>() / count as f64 },
            median: percentile(&sorted, 0.5),
            sorted,
        }
    }

    /// Share (0–1) of the scores above zero.
    pub fn share_above_zero(&self) -> f64 {
        self.above_zero as f64 / self.count.max(1) as f64
    }

    /// The `q`-quantile (0–1) of the scores (linear interpolation between ranks, as numpy's default).
    pub fn quantile(&self, q: f64) -> f64 {
        percentile(&self.sorted, q)
    }

    /// How many scores lie below `x`.
    pub fn count_below(&self, x: f64) -> usize {
        self.sorted.partition_point(|&d| d < x)
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}

impl fmt::Display for ScoreSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} scoring > 0: {:.1} % of {} (mean dot_product {:.3}, median {:.3})",
            self.label,
            100.0 * self.share_above_zero(),
            format_number(self.count as f64, 0),
            self.mean,
            self.median
        )?;
        if self.non_finite > 0 {
            write!(f, "; {} non-finite scores left out", self.non_finite)?;
        }
        Ok(())
    }
}

/// How suspicious scores (e.g. GuardDuty findings) compare with normal ones (e.g. training pairs).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The suspicious scores.
    pub suspicious: ScoreSummary,
    /// The normal scores.
    pub normal: ScoreSummary,
}

/// Compares two sets of `dot_product`s: the numbers a notebook prints beside its own words (the notebook's markdown
/// interprets them, not this crate).
pub fn compare(suspicious: &ScoreSummary, normal: &ScoreSummary) -> Comparison {
    Comparison { suspicious: suspicious.clone(), normal: normal.clone() }
}

impl Comparison {
    /// The normal scores' 1st percentile: 99 % of normal pairs score at or above it.
    pub fn normal_p01(&self) -> f64 {
        self.normal.quantile(0.01)
    }

    /// How many suspicious scores fall below the normal scores' 1st percentile.
    pub fn below_normal_p01(&self) -> usize {
        self.suspicious.count_below(self.normal_p01())
    }

    /// How many suspicious scores reach the normal scores' median or above.
    pub fn at_or_above_normal_median(&self) -> usize {
        self.suspicious.count - self.suspicious.count_below(self.normal.median)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_scores_are_counted_by_position() {
        assert_eq!(count_equal(&[1.0, 2.0, 3.0], &[1.00001, 2.5, 3.0, 9.0], 1e-4), 2);
    }

    #[test]
    fn anomaly_scores_negate() {
        assert_eq!(anomaly_scores(&[1.5, -2.0]), vec![-1.5, 2.0]);
    }

    #[test]
    fn summary_counts_what_it_says() {
        let s = ScoreSummary::of("Training pairs", &[3.0, -1.0, 2.0, 5.0, f32::NAN]);
        assert_eq!((s.count, s.non_finite, s.above_zero), (4, 1, 3));
        assert_eq!(s.median, 2.5);
        assert_eq!(s.mean, 2.25);
        assert_eq!(
            s.to_string(),
            "Training pairs scoring > 0: 75.0 % of 4 (mean dot_product 2.250, median 2.500); 1 non-finite scores left out"
        );
    }

    #[test]
    fn comparison_counts_come_from_the_numbers() {
        let normal: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let findings = [-5.0f32, -1.0, 0.5, 60.0];
        let c =
            compare(&ScoreSummary::of("GuardDuty findings", &findings), &ScoreSummary::of("Training pairs", &normal));
        assert!((c.normal_p01() - 0.99).abs() < 1e-12);
        assert_eq!(c.below_normal_p01(), 3);
        assert_eq!(c.at_or_above_normal_median(), 1);
        assert_eq!((c.suspicious.median, c.normal.median), (-0.25, 49.5));
    }
}
