//! The selection rules over ROC points, and a readable threshold that realises a point exactly.

use ipinsights_engine::metrics::ThresholdStats;

use super::{ThresholdError, ThresholdRule};

/// The ROC point `rule` picks (see `ThresholdAnalysis::choose`). `roc` comes from the engine's
/// `roc_curve` on two non-empty classes: it starts at "flag nothing", and TP and FP never decrease.
pub(super) fn operating_point(roc: &[ThresholdStats], rule: ThresholdRule) -> Result<ThresholdStats, ThresholdError> {
    let first = roc.first().copied().ok_or(ThresholdError::EmptyClass { class: "normal" })?;
    let normal = first.false_positives + first.true_negatives;
    let anomalous = first.true_positives + first.false_negatives;
    let fpr = |s: &ThresholdStats| s.false_positives as f64 / normal as f64;
    let recall = |s: &ThresholdStats| s.true_positives as f64 / anomalous as f64;
    let invalid = |expected| Err(ThresholdError::InvalidTarget { rule, expected });
    match rule {
        ThresholdRule::MaxFalsePositiveRate(x) => {
            if !(0.0..=1.0).contains(&x) {
                return invalid("0 ≤ rate ≤ 1");
            }
            // Highest TP among feasible points; the first such point has the fewest FP.
            let mut best = first;
            for s in roc.iter().filter(|s| fpr(s) <= x) {
                if s.true_positives > best.true_positives {
                    best = *s;
                }
            }
            if best.true_positives == 0 {
                let needed = roc.iter().find(|s| s.true_positives > 0).map_or(1.0, fpr);
                return Err(ThresholdError::Unreachable {
                    rule,
                    detail: format!(
                        "no threshold flags any anomaly while flagging at most {x} of normal events; \
                         the first anomaly is flagged only at a false positive rate of {needed:.4}"
                    ),
                });
            }
            Ok(best)
        }
        ThresholdRule::MinRecall(y) => {
            if !(y > 0.0 && y <= 1.0) {
                return invalid("0 < recall ≤ 1");
            }
            let start = roc.iter().position(|s| recall(s) >= y).expect("the last ROC point flags every anomaly");
            // Fewest FP among feasible points; the last point with that FP has the most TP.
            let fp = roc[start].false_positives;
            let best =
                roc[start..].iter().take_while(|s| s.false_positives == fp).last().copied().unwrap_or(roc[start]);
            if fp == normal {
                return Err(ThresholdError::Unreachable {
                    rule,
                    detail: format!(
                        "catching {y} of anomalies means flagging every normal event \
                         (some anomalies score at or below the lowest normal score)"
                    ),
                });
            }
            Ok(best)
        }
    }
}

/// A threshold flagging exactly the events `point` flags: the number with the fewest decimal places
/// between the highest unflagged score (inclusive) and the lowest flagged score (exclusive).
pub(super) fn threshold_for(normal: &[f32], anomalous: &[f32], point: ThresholdStats) -> f64 {
    let mut all: Vec<f32> = normal.iter().chain(anomalous).copied().collect();
    all.sort_unstable_by(|a, b| b.total_cmp(a));
    let flagged = (point.true_positives + point.false_positives) as usize;
    let hi = flagged.checked_sub(1).map(|i| all[i]);
    shortest_decimal_in(all.get(flagged).copied(), hi)
}

/// The number with the fewest decimal places `t` such that `lo ≤ t < hi` (`lo < hi`; `None` is
/// unbounded, not both). Also `t` is not below the printed (shortest) form of `lo` and is below the
/// printed form of `hi`, so a flagged score never *prints* as equal to the threshold.
pub(super) fn shortest_decimal_in(lo: Option<f32>, hi: Option<f32>) -> f64 {
    let printed = |v: f32| v.to_string().parse::<f64>().unwrap_or(f64::from(v));
    let lo = lo.map(|v| f64::from(v).max(printed(v)));
    let hi = hi.map(|v| f64::from(v).min(printed(v)));
    let t = match (lo, hi) {
        (None, None) => 0.0,
        (None, Some(hi)) => {
            let t = hi.floor();
            if t < hi {
                t
            } else {
                t - 1.0
            }
        }
        (Some(lo), None) => lo.ceil(),
        (Some(lo), Some(hi)) => (0..=17)
            .map(|places| {
                let scale = 10f64.powi(places);
                (lo * scale).ceil() / scale
            })
            .find(|&t| lo <= t && t < hi)
            .unwrap_or(lo),
    };
    t + 0.0 // never -0
}
