use super::*;

#[test]
fn auc_hand_computed() {
    // high = {3, 1}, low = {2, 0}: pairs (3>2) (3>0) (1<2) (1>0) → 3/4.
    assert_eq!(auc(&[3.0, 1.0], &[2.0, 0.0]), 0.75);
    // Ties count one half: (1 vs 1) = ½, (1 vs 0) = 1 → 0.75.
    assert_eq!(auc(&[1.0], &[1.0, 0.0]), 0.75);
    assert_eq!(auc(&[5.0, 6.0], &[1.0, 2.0, 3.0]), 1.0);
    assert_eq!(auc(&[1.0], &[2.0]), 0.0);
    assert_eq!(auc(&[], &[1.0]), 0.5);
}

#[test]
fn auc_ranks_nan_scores_instead_of_looping_and_f64_agrees() {
    // NaN sorts above +∞ in the total order: a NaN anomaly score outranks every normal score.
    assert_eq!(auc(&[f32::NAN, 0.0], &[1.0, f32::NAN]), 0.375);
    assert_eq!(auc(&[f32::NAN], &[1.0]), 1.0);
    assert_eq!(auc(&[-0.0], &[0.0]), 0.5, "-0 and +0 tie");
    assert_eq!(auc_f64(&[3.0, 1.0], &[2.0, 0.0]), 0.75);
    assert_eq!(auc_f64(&[f64::INFINITY], &[f64::INFINITY, 1.0]), 0.75);
}

#[test]
fn auc_matches_brute_force_on_ties() {
    let high = [0.5f32, 0.5, 0.2, 0.9, 0.1, 0.5];
    let low = [0.5f32, 0.1, 0.3, 0.0, 0.5];
    let mut wins = 0.0;
    for h in high {
        for l in low {
            wins += if h > l {
                1.0
            } else if h == l {
                0.5
            } else {
                0.0
            };
        }
    }
    assert!((auc(&high, &low) - wins / 30.0).abs() < 1e-12);
}

#[test]
fn threshold_counts_hand_computed() {
    // Anomaly scores; flagged when > 0.
    let normal = [-3.0f32, -1.0, 0.0, 2.0];
    let anomalous = [5.0f32, 1.0, -0.5];
    let s = at_threshold(&normal, &anomalous, 0.0);
    assert_eq!((s.true_positives, s.false_positives, s.true_negatives, s.false_negatives), (2, 1, 3, 1));
    assert!((s.precision - 2.0 / 3.0).abs() < 1e-12);
    assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(s.false_positive_rate, 0.25);
    let none = at_threshold(&normal, &anomalous, 100.0);
    assert_eq!((none.precision, none.recall), (1.0, 0.0));
}

#[test]
fn roc_curve_walks_from_nothing_to_everything() {
    let normal = [0.0f32, 1.0];
    let anomalous = [2.0f32, 1.0];
    let roc = roc_curve(&normal, &anomalous);
    let points: Vec<(f64, f64)> = roc.iter().map(|p| (p.false_positive_rate, p.recall)).collect();
    assert_eq!(points, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
    // Each point's threshold reproduces its counts.
    for p in &roc[1..] {
        assert_eq!(at_threshold(&normal, &anomalous, p.threshold), *p);
    }
}

#[test]
fn histogram_like_numpy() {
    let h = histogram(&[0.0, 1.0, 2.0, 3.0, 4.0], 4, None);
    assert_eq!(h.edges, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(h.counts, vec![1, 1, 1, 2]);
    let h = histogram(&[1.0, 1.0], 2, None);
    assert_eq!(h.counts.iter().sum::<u64>(), 2);
    let h = histogram(&[-10.0, 0.5, f32::NAN], 2, Some((0.0, 1.0)));
    assert_eq!(h.counts, vec![0, 1]);
}
