//! Rules on small hand-computed cases. Scores are anomaly scores (−dot_product).

use super::choose::shortest_decimal_in;
use super::*;

/// Descending: 5a 4a 3n 2a 2n 1n 0n. ROC (TP, FP): (0,0) (1,0) (2,0) (2,1) (3,2) (3,3) (3,4).
fn case_a() -> ThresholdAnalysis {
    ThresholdAnalysis::from_scores(vec![0.0, 1.0, 2.0, 3.0], vec![2.0, 4.0, 5.0]).unwrap()
}

fn counts(c: &ThresholdChoice) -> (u64, u64, u64, u64) {
    (c.true_positives, c.false_positives, c.true_negatives, c.false_negatives)
}

#[test]
fn roc_and_auc_by_hand() {
    let a = case_a();
    let points: Vec<(u64, u64)> = a.roc().iter().map(|s| (s.true_positives, s.false_positives)).collect();
    assert_eq!(points, [(0, 0), (1, 0), (2, 0), (2, 1), (3, 2), (3, 3), (3, 4)]);
    // 2 beats 0 and 1, ties 2 (½), loses to 3; 4 and 5 beat all four: (2.5 + 4 + 4) / 12.
    assert_eq!(a.auc(), 10.5 / 12.0);
}

#[test]
fn max_fpr_zero_takes_the_anomalies_above_every_normal_event() {
    let c = case_a().choose(ThresholdRule::MaxFalsePositiveRate(0.0)).unwrap();
    assert_eq!(c.threshold, 3.0);
    assert_eq!(counts(&c), (2, 0, 4, 1));
    assert_eq!((c.precision, c.recall, c.false_positive_rate), (1.0, 2.0 / 3.0, 0.0));
    assert_eq!(c.dot_product_threshold(), -3.0);
}

#[test]
fn max_fpr_does_not_spend_false_positives_that_buy_no_recall() {
    // FPR ≤ 0.25 allows (2,1), but it catches no more than (2,0).
    let c = case_a().choose(ThresholdRule::MaxFalsePositiveRate(0.25)).unwrap();
    assert_eq!((c.threshold, counts(&c)), (3.0, (2, 0, 4, 1)));
}

#[test]
fn max_fpr_with_tied_scores_flags_the_whole_tie() {
    // FPR ≤ 0.5 reaches (3,2): the tie at 2 is flagged as a whole (threshold in [1, 2)).
    let c = case_a().choose(ThresholdRule::MaxFalsePositiveRate(0.5)).unwrap();
    assert_eq!((c.threshold, counts(&c)), (1.0, (3, 2, 2, 0)));
    assert_eq!((c.precision, c.recall, c.false_positive_rate), (0.6, 1.0, 0.5));
    // Just below 0.5 the tie cannot be split: back to (2,1)→(2,0).
    let c = case_a().choose(ThresholdRule::MaxFalsePositiveRate(0.49)).unwrap();
    assert_eq!(counts(&c), (2, 0, 4, 1));
}

#[test]
fn min_recall_takes_the_fewest_false_positives_then_the_most_recall() {
    // Recall ≥ 0.3 is first met at (1,0), but (2,0) catches more at the same FPR.
    let c = case_a().choose(ThresholdRule::MinRecall(0.3)).unwrap();
    assert_eq!((c.threshold, counts(&c)), (3.0, (2, 0, 4, 1)));
    let c = case_a().choose(ThresholdRule::MinRecall(2.0 / 3.0)).unwrap();
    assert_eq!(counts(&c), (2, 0, 4, 1));
    let c = case_a().choose(ThresholdRule::MinRecall(1.0)).unwrap();
    assert_eq!((c.threshold, counts(&c)), (1.0, (3, 2, 2, 0)));
}

#[test]
fn empty_classes_and_bad_scores_are_errors() {
    let err = ThresholdAnalysis::from_scores(vec![], vec![1.0]).unwrap_err();
    assert_eq!(err, ThresholdError::EmptyClass { class: "normal" });
    let err = ThresholdAnalysis::from_scores(vec![1.0], vec![]).unwrap_err();
    assert_eq!(err, ThresholdError::EmptyClass { class: "anomalous" });
    assert!(err.to_string().contains("random_ip_anomalies"), "{err}");
    let err = ThresholdAnalysis::from_scores(vec![1.0, f32::NAN], vec![1.0]).unwrap_err();
    assert!(matches!(err, ThresholdError::NotFinite { class: "normal", index: 1, .. }), "{err}");
}

#[test]
fn out_of_range_targets_are_errors() {
    let a = case_a();
    for rule in [
        ThresholdRule::MaxFalsePositiveRate(-0.1),
        ThresholdRule::MaxFalsePositiveRate(1.5),
        ThresholdRule::MaxFalsePositiveRate(f64::NAN),
        ThresholdRule::MinRecall(0.0),
        ThresholdRule::MinRecall(1.01),
        ThresholdRule::MinRecall(f64::NAN),
    ] {
        let err = a.choose(rule).unwrap_err();
        assert!(matches!(err, ThresholdError::InvalidTarget { .. }), "{rule}: {err}");
    }
}

#[test]
fn unreachable_targets_are_errors() {
    // One normal event outscores both anomalies: no anomaly is flagged below FPR 1.
    let a = ThresholdAnalysis::from_scores(vec![10.0], vec![1.0, 2.0]).unwrap();
    let err = a.choose(ThresholdRule::MaxFalsePositiveRate(0.5)).unwrap_err();
    assert!(matches!(err, ThresholdError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("false positive rate of 1.0000"), "{err}");
    // An anomaly below every normal event: full recall flags every normal event.
    let a = ThresholdAnalysis::from_scores(vec![1.0, 2.0], vec![0.0, 3.0]).unwrap();
    let err = a.choose(ThresholdRule::MinRecall(1.0)).unwrap_err();
    assert!(err.to_string().contains("flagging every normal event"), "{err}");
    let c = a.choose(ThresholdRule::MinRecall(0.5)).unwrap();
    assert_eq!((c.threshold, counts(&c)), (2.0, (1, 0, 2, 1)));
}

#[test]
fn display_names_rule_threshold_and_numbers() {
    let c = case_a().choose(ThresholdRule::MaxFalsePositiveRate(0.5)).unwrap();
    assert_eq!(
        c.to_string(),
        "false positive rate ≤ 0.5: threshold 1 (alert when score = −dot_product > 1): precision 0.6000, \
         recall 1.0000, false positive rate 0.5000 (TP 3, FP 2, TN 2, FN 0)"
    );
}

#[test]
fn dot_products_are_negated() {
    let a = ThresholdAnalysis::from_dot_products(&[0.0, -1.0, -2.0, -3.0], &[-2.0, -4.0, -5.0]).unwrap();
    assert_eq!(a.normal_scores(), &[0.0, 1.0, 2.0, 3.0]);
    assert_eq!(a.auc(), case_a().auc());
}

#[test]
fn histograms_share_edges() {
    let (n, a) = case_a().histograms(5);
    assert_eq!(n.edges, a.edges);
    assert_eq!(n.edges, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(n.counts, [1, 1, 1, 1, 0]);
    assert_eq!(a.counts, [0, 0, 1, 0, 2]);
}

#[test]
fn shortest_decimals() {
    assert_eq!(shortest_decimal_in(Some(0.25), Some(0.3)), 0.25);
    assert_eq!(shortest_decimal_in(Some(-0.5), Some(0.7)), 0.0);
    assert!(shortest_decimal_in(Some(-0.5), Some(0.7)).is_sign_positive());
    assert_eq!(shortest_decimal_in(Some(-1.23), Some(-1.2)), -1.23);
    assert_eq!(shortest_decimal_in(None, Some(2.0)), 1.0);
    assert_eq!(shortest_decimal_in(None, Some(2.5)), 2.0);
    assert_eq!(shortest_decimal_in(Some(2.3), None), 3.0);
    // 1.2f32 is 1.2000000477: 1.2 would flag it yet print as equal to it, so 1.11.
    assert_eq!(shortest_decimal_in(Some(1.1), Some(1.2)), 1.11);
    // Adjacent f32 values still get a threshold between them.
    let lo = 1.0f32;
    let hi = f32::from_bits(lo.to_bits() + 1);
    let t = shortest_decimal_in(Some(lo), Some(hi));
    assert!(f64::from(lo) <= t && t < f64::from(hi), "{t}");
}

#[test]
fn chosen_thresholds_realise_their_roc_point_on_random_scores() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
    for _ in 0..200 {
        let mut draw = |n: usize, shift: f32| -> Vec<f32> {
            (0..n).map(|_| (rng.gen_range(-3.0f32..3.0) + shift) * 10.0).map(f32::round).map(|v| v / 10.0).collect()
        };
        let a = ThresholdAnalysis::from_scores(draw(20, 0.0), draw(7, 1.5)).unwrap();
        for rule in [ThresholdRule::MaxFalsePositiveRate(0.1), ThresholdRule::MinRecall(0.8)] {
            let Ok(c) = a.choose(rule) else { continue };
            let s = a.at(c.threshold);
            assert_eq!((s.true_positives, s.false_positives), (c.true_positives, c.false_positives));
            // Exhaustive check of optimality over the ROC points.
            let n = (c.false_positives + c.true_negatives) as f64;
            let p = (c.true_positives + c.false_negatives) as f64;
            for q in a.roc() {
                match rule {
                    ThresholdRule::MaxFalsePositiveRate(x) if q.false_positives as f64 / n <= x => {
                        assert!(q.true_positives <= c.true_positives);
                        assert!(q.true_positives < c.true_positives || q.false_positives >= c.false_positives);
                    }
                    ThresholdRule::MinRecall(y) if q.true_positives as f64 / p >= y => {
                        assert!(q.false_positives >= c.false_positives);
                        assert!(q.false_positives > c.false_positives || q.true_positives <= c.true_positives);
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn choice_json_is_flat() {
    let c = case_a().choose(ThresholdRule::MinRecall(1.0)).unwrap();
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["rule"], "min_recall");
    assert_eq!(json["target"], 1.0);
    assert_eq!(json["threshold"], 1.0);
    assert_eq!(json["false_positives"], 2);
}
