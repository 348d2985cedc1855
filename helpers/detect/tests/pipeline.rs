//! The workshop's steps 5–6 on a simulated account: CloudTrail → model → threshold → live detection,
//! checked against the simulation's ground truth.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

use std::collections::HashMap;
use std::net::IpAddr;

use ipinsights_detect::{
    random_ip_anomalies, DetectSummary, Detector, Familiarity, ThresholdAnalysis, ThresholdRule, Verdict,
};
use ipinsights_engine::tuples::Tuple;
use ipinsights_engine::{train, HyperParameters, Model, TrainOptions};
use ipinsights_security_logs::{read_cloudtrail, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};

fn trained(tuples: &[Tuple]) -> Model {
    let hp = HyperParameters::from_map([
        ("num_entity_vectors", "200"),
        ("vector_dim", "32"),
        ("epochs", "6"),
        ("mini_batch_size", "500"),
        ("learning_rate", "0.01"),
        ("random_negative_sampling_rate", "5"),
    ])
    .unwrap();
    let options = TrainOptions { seed: 1, threads: 2, ..Default::default() };
    train(&hp, tuples, None, &options, &mut |_| {}).unwrap().model
}

#[test]
fn simulated_account_threshold_and_detection_match_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig { events: 15_000, findings: 80, ..SimConfig::default() };
    let sim = simulate_account(&config, dir.path()).unwrap();
    let extract = read_cloudtrail(&sim.cloudtrail_dir, TupleMode::AllEvents).unwrap();
    let tuples: Vec<Tuple> = extract.pairs().cloned().collect();
    let model = trained(&tuples);

    // Step 5: normal = the training pairs, anomalous = known principals from random addresses.
    let pairs = |ts: &[Tuple]| -> Vec<(String, IpAddr)> { ts.iter().map(|t| (t.entity.clone(), t.ip)).collect() };
    let anomalies = random_ip_anomalies(&tuples, 5_000, 7);
    let analysis = ThresholdAnalysis::from_dot_products(
        &model.score_pairs(&pairs(&tuples)),
        &model.score_pairs(&pairs(&anomalies)),
    )
    .unwrap();
    assert!(analysis.auc() > 0.95, "AUC {}", analysis.auc());
    let strict = analysis.choose(ThresholdRule::MaxFalsePositiveRate(0.01)).unwrap();
    let lenient = analysis.choose(ThresholdRule::MinRecall(0.99)).unwrap();
    assert!(strict.false_positive_rate <= 0.01 && lenient.recall >= 0.99, "{strict}\n{lenient}");
    // Which rule gives the higher threshold depends on how well the data separates; a lower threshold always
    // flags at least as much of both classes.
    let (low, high) = if strict.threshold <= lenient.threshold { (&strict, &lenient) } else { (&lenient, &strict) };
    assert!(low.recall >= high.recall && low.false_positive_rate >= high.false_positive_rate, "{strict}\n{lenient}");

    // Step 6: every finding of the simulation through the detector, against the ground truth.
    let detector = Detector::new(model, strict.threshold).unwrap().with_familiarity(Familiarity::from_tuples(&tuples));
    let mut summary = DetectSummary::default();
    let mut records = Vec::new();
    let file = std::fs::File::open(&sim.findings_path).unwrap();
    detector
        .detect_reader(file, "findings.jsonl", &mut summary, |r| {
            records.push(r.clone());
            Ok(())
        })
        .unwrap();
    assert_eq!(summary.findings, sim.findings);
    assert_eq!(summary.records(), records.len());

    let truth = std::fs::read_to_string(&sim.truth_path).unwrap();
    let labels: HashMap<(String, String), String> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[0].to_string(), f[3].to_string()), f[1].to_string())
        })
        .collect();
    let mut by_label: HashMap<&str, (usize, usize)> = HashMap::new(); // label → (alerts, scored)
    for r in &records {
        if r.verdict == Verdict::Skipped {
            assert!(r.skip_reason.is_some());
            continue;
        }
        let key = (r.finding_id.clone().unwrap(), r.ip.unwrap().to_string());
        let label = labels.get(&key).unwrap_or_else(|| panic!("{key:?} not in the ground truth"));
        let entry = by_label.entry(label.as_str()).or_default();
        entry.0 += usize::from(r.verdict == Verdict::Alert);
        entry.1 += 1;
        let e = r.explanation.as_ref().unwrap();
        assert!(e.familiarity.as_ref().unwrap().known_principal(), "{}", e.summary);
    }
    eprintln!("AUC {:.4}\n{strict}\n{lenient}\n{summary}\n{by_label:?}", analysis.auc());
    let (caught, anomalous) = by_label["anomalous"];
    let (false_alerts, benign) = by_label["benign"];
    assert!(anomalous > 20 && benign > 5, "{by_label:?}");
    assert!(caught as f64 >= 0.9 * anomalous as f64, "{by_label:?}");
    assert!(false_alerts as f64 <= 0.2 * benign as f64, "{by_label:?}");
    assert_eq!(summary.skipped.get("no access key details").copied().unwrap_or(0), sim.not_scorable, "{summary}");
}
