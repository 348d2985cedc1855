//! Grading a threshold against simulated attacks of several kinds (see `ipinsights_detect::attacks`): each kind
//! against the same held-out normal pairs, with its AUC and what each threshold catches.

use crate::error::{Result, WorkshopError};
use crate::predictor::Predictor;
use crate::table::Table;
use ipinsights_detect::{AttackKind, Attacks, ThresholdAnalysis, ThresholdRule};
use ipinsights_engine::tuples::Tuple;

/// As many attacks of each kind as there are held-out pairs, for the principals of `held_out` and with their usual
/// networks taken from `train`; the same `seed` draws the same attacks on every run.
pub fn simulate_attacks(train: &[Tuple], held_out: &[Tuple], seed: u64) -> Vec<Attacks> {
    ipinsights_detect::simulate_attacks(train, held_out, held_out.len(), seed)
}

/// The recall a per-kind threshold must reach in [`AttackGrades::table`]'s last columns.
pub const PER_KIND_RECALL: f64 = 0.99;

/// Held-out normal scores beside the scores of each attack kind.
#[derive(Debug, Clone)]
pub struct AttackGrades {
    kinds: Vec<(AttackKind, ThresholdAnalysis)>,
    all: ThresholdAnalysis,
}

impl AttackGrades {
    /// Scores every kind of `attacks` on `predictor` and sets each beside `normal_dots` (the held-out pairs'
    /// dot_products); a kind without attacks, or no normal scores, is an error.
    pub fn score(predictor: &Predictor, normal_dots: &[f32], attacks: &[Attacks]) -> Result<AttackGrades> {
        let mut scored = Vec::with_capacity(attacks.len());
        for a in attacks {
            scored.push((a.kind, predictor.predict(&a.tuples)?.dot_products()));
        }
        AttackGrades::from_dot_products(normal_dots, &scored)
    }

    /// Grades already scored attacks: each kind's `dot_product`s beside `normal_dots`.
    pub fn from_dot_products(normal_dots: &[f32], attacks: &[(AttackKind, Vec<f32>)]) -> Result<AttackGrades> {
        let analysis = |attack_dots: &[f32], what: &str| {
            ThresholdAnalysis::from_dot_products(normal_dots, attack_dots)
                .map_err(|e| WorkshopError::new(format!("grading against {what}: {e}")))
        };
        let mut kinds = Vec::with_capacity(attacks.len());
        let mut every = Vec::new();
        for (kind, dots) in attacks {
            kinds.push((*kind, analysis(dots, &kind.to_string())?));
            every.extend_from_slice(dots);
        }
        let all = analysis(&every, "every kind")?;
        Ok(AttackGrades { kinds, all })
    }

    /// Normal pairs against every kind of attack together (for choosing the thresholds).
    pub fn all_kinds(&self) -> ThresholdAnalysis {
        self.all.clone()
    }

    /// The AUC of one kind (`None` if it was not simulated).
    pub fn auc(&self, kind: AttackKind) -> Option<f64> {
        self.kinds.iter().find(|(k, _)| *k == kind).map(|(_, a)| a.auc())
    }

    /// One row per kind: its AUC, the share of its attacks each named threshold flags (on the anomaly score), and
    /// the threshold a recall rule would choose from that kind alone ([`PER_KIND_RECALL`]) with the share of normal
    /// pairs it flags.
    pub fn table(&self, thresholds: &[(&str, f64)]) -> Table {
        let mut columns = vec!["attack kind".to_string(), "attacks".to_string(), "AUC".to_string()];
        for (name, threshold) in thresholds {
            columns.push(format!("caught at {name} ({threshold:.3})"));
        }
        let recall = ThresholdRule::MinRecall(PER_KIND_RECALL);
        columns.push(format!("threshold for {:.0} % caught", 100.0 * PER_KIND_RECALL));
        columns.push("normal pairs flagged at it".to_string());
        let mut table = Table::new(columns);
        let percent = |share: f64| format!("{:.1} %", 100.0 * share);
        for (kind, analysis) in &self.kinds {
            let mut row =
                vec![kind.to_string(), analysis.anomalous_scores().len().to_string(), format!("{:.4}", analysis.auc())];
            for (_, threshold) in thresholds {
                row.push(percent(analysis.at(*threshold).recall));
            }
            match analysis.choose(recall) {
                Ok(choice) => row.extend([format!("{:.3}", choice.threshold), percent(choice.false_positive_rate)]),
                Err(e) => row.extend([e.to_string(), String::new()]),
            }
            table.push(row);
        }
        table.note =
            Some(format!("{} held-out normal pairs; anomaly score = −dot_product", self.all.normal_scores().len()));
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_graded_against_the_same_normal_pairs() {
        // Normal dot_products 1..=100; easy attacks far below them, hard ones among them.
        let normal: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        let easy: Vec<f32> = (0..100).map(|i| -10.0 - i as f32).collect();
        let hard: Vec<f32> = (0..100).map(|i| 0.5 + i as f32).collect();
        let grades = AttackGrades::from_dot_products(
            &normal,
            &[(AttackKind::RandomIp, easy), (AttackKind::NearbyNetwork, hard)],
        )
        .unwrap();
        assert_eq!(grades.auc(AttackKind::RandomIp), Some(1.0));
        let hard_auc = grades.auc(AttackKind::NearbyNetwork).unwrap();
        assert!((0.4..0.6).contains(&hard_auc), "{hard_auc}");
        assert_eq!(grades.auc(AttackKind::CloudOrVpn), None);
        assert_eq!(grades.all_kinds().anomalous_scores().len(), 200);
        // At anomaly-score threshold −5 (dot_product below 5): every easy attack, 5 hard ones (0.5 … 4.5).
        let table = grades.table(&[("review", -5.0)]);
        assert_eq!(table.columns[3], "caught at review (-5.000)");
        assert_eq!(table.rows[0][..4], ["random IPv4 address", "100", "1.0000", "100.0 %"]);
        assert_eq!(table.rows[1][3], "5.0 %");
        // 99 % of the easy kind is caught before any normal pair is flagged; not so for the hard kind.
        assert_eq!(table.rows[0][5], "0.0 %");
        assert_ne!(table.rows[1][5], "0.0 %");
        assert!(AttackGrades::from_dot_products(&normal, &[(AttackKind::RandomIp, Vec::new())]).is_err());
    }
}
