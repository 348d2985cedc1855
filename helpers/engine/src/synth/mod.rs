//! The tutorial's synthetic login data set, reproducibly: users with home and work networks, travel, Pareto
//! activity, ten days of events, an out-of-time train/test split and a labelled test set.
//!
//! Shaped like `generate_data.py` of the IP Insights tutorial: per user a home range and a work range within
//! ±50,000 rows of it; `num_events = min(10,000, ⌊50·Pareto(1)⌋)`; `p_travel ~ Beta(1, 30)`, `p_home ~ Beta(3, 5)`;
//! per event: travelling → a uniformly random range, else home or work, then a range `~ Normal(chosen, σ = 10)`;
//! the address uniform in that range; the time uniform over the ten days. Events of the first seven days train; the
//! test set is `test_samples` events of the last three days by users seen in training (label 0) plus as many
//! attacks (label 1): known users paired with an address from a uniformly random range.
//!
//! The best any model can do on this data is the generator's own likelihood ratio ([`bayes`]):
//! [`Dataset::bayes_optimal_auc`] computes its AUC on the test set. A normal event made while travelling is drawn
//! like an attack's address ([`Dataset::travel_share`] reports their share), but user identity still separates
//! some of them, so that share alone bounds nothing.

mod asn;
pub mod bayes;
mod events;

pub use asn::AsnTable;
pub use bayes::GeneratorTruth;
pub use events::{generate_events, simulate, Event, UserProfile};

use crate::tuples::{write_labelled, write_tuples, Tuple, TupleError};
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;

/// Settings of the synthetic data set.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// Users to simulate (the tutorial uses 10,000).
    pub users: u32,
    /// Seed of everything.
    pub seed: u64,
    /// Normal test events (and as many attacks); fewer when the test period has fewer.
    pub test_samples: usize,
}

impl SynthConfig {
    /// The tutorial's settings for `users` users.
    pub fn new(users: u32, seed: u64) -> Self {
        SynthConfig { users, seed, test_samples: 100_000 }
    }
}

/// A generated data set.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training tuples (first seven days, in time order).
    pub train: Vec<Tuple>,
    /// Test tuples: normal events, then attacks.
    pub test: Vec<Tuple>,
    /// Per test tuple: anomalous?
    pub test_labels: Vec<bool>,
    /// Per normal test tuple: was the user travelling (its address drawn like an attack's)?
    pub test_travel: Vec<bool>,
    /// Per test tuple: the user's id.
    pub test_users: Vec<u32>,
    /// All events simulated.
    pub events: usize,
    /// What the generator drew: the ASN table and every user's parameters.
    pub truth: GeneratorTruth,
}

impl Dataset {
    /// Share of normal test events made while travelling.
    pub fn travel_share(&self) -> f64 {
        self.test_travel.iter().filter(|&&t| t).count() as f64 / self.test_travel.len().max(1) as f64
    }

    /// The Bayes-optimal anomaly score of every test tuple (see [`bayes`]).
    pub fn bayes_scores(&self) -> Vec<f64> {
        self.test
            .iter()
            .zip(&self.test_users)
            .map(|(t, &user)| match t.ip {
                IpAddr::V4(ip) => self.truth.anomaly_score(user, ip),
                IpAddr::V6(_) => f64::INFINITY,
            })
            .collect()
    }

    /// The AUC of the Bayes-optimal anomaly score on the test set (of the tuples `keep` selects): the best AUC a
    /// model can expect on this data.
    pub fn bayes_optimal_auc(&self, keep: impl Fn(usize) -> bool) -> f64 {
        let scores = self.bayes_scores();
        let (mut normal, mut anomalous) = (Vec::new(), Vec::new());
        for (i, (&score, &label)) in scores.iter().zip(&self.test_labels).enumerate() {
            if !keep(i) {
                continue;
            }
            if label {
                anomalous.push(score);
            } else {
                normal.push(score);
            }
        }
        crate::metrics::auc_f64(&anomalous, &normal)
    }

    /// How many test tuples are normal logins.
    pub fn normal_count(&self) -> usize {
        self.test_labels.iter().filter(|&&anomalous| !anomalous).count()
    }

    /// How many test tuples are attacks.
    pub fn attack_count(&self) -> usize {
        self.test_labels.iter().filter(|&&anomalous| anomalous).count()
    }

    /// The first normal login and the first attack of the test set (fewer if the test set lacks one).
    pub fn test_examples(&self) -> Vec<Tuple> {
        let first = |anomalous: bool| self.test_labels.iter().position(|&a| a == anomalous);
        [first(false), first(true)].into_iter().flatten().map(|i| self.test[i].clone()).collect()
    }

    /// Per-test-tuple `scores` (in test order) split by label: normal logins, attacks, and the normal logins made
    /// at home or work (not travelling). Scores beyond the test set are ignored.
    pub fn by_label(&self, scores: &[f32]) -> ByLabel {
        let mut split = ByLabel::default();
        let mut normal_index = 0;
        for (&score, &anomalous) in scores.iter().zip(&self.test_labels) {
            if anomalous {
                split.attacks.push(score);
                continue;
            }
            split.normal.push(score);
            if !self.test_travel.get(normal_index).copied().unwrap_or(false) {
                split.normal_not_travelling.push(score);
            }
            normal_index += 1;
        }
        split
    }

    /// Writes `train.csv` (headerless `entity,ip`) and `test.csv` (`entity,ip,label`) into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), TupleError> {
        std::fs::create_dir_all(dir).map_err(|error| TupleError::Write { path: dir.display().to_string(), error })?;
        write_tuples(&dir.join("train.csv"), &self.train)?;
        write_labelled(&dir.join("test.csv"), &self.test, &self.test_labels)?;
        Ok(())
    }
}

/// Test-set scores split by label ([`Dataset::by_label`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByLabel {
    /// Scores of the normal logins.
    pub normal: Vec<f32>,
    /// Scores of the attacks.
    pub attacks: Vec<f32>,
    /// Scores of the normal logins made at home or work (not travelling).
    pub normal_not_travelling: Vec<f32>,
}

/// The user name of user `id` (as the tutorial's logs).
pub fn user_name(id: u32) -> String {
    format!("user_{id}")
}

/// Generates the data set.
pub fn generate(config: &SynthConfig) -> Dataset {
    let table = AsnTable::synthesize(config.seed);
    let (profiles, mut events) = simulate(config.users, config.seed, &table);
    let total = events.len();
    events.sort_by_key(|e| (e.second, e.user));
    let split = events.partition_point(|e| e.second < events::TRAIN_SECONDS);
    let (train_events, test_events) = events.split_at(split);
    let train: Vec<Tuple> = train_events.iter().map(|e| Tuple::new(user_name(e.user), IpAddr::V4(e.ip))).collect();
    let known: HashSet<u32> = train_events.iter().map(|e| e.user).collect();
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(config.seed) << 64 | 0x7e57);
    let mut candidates: Vec<&Event> = test_events.iter().filter(|e| known.contains(&e.user)).collect();
    candidates.shuffle(&mut rng);
    candidates.truncate(config.test_samples);
    let mut known_users: Vec<u32> = known.into_iter().collect();
    known_users.sort_unstable();
    let mut test = Vec::with_capacity(2 * candidates.len());
    let mut test_travel = Vec::with_capacity(candidates.len());
    let mut test_users = Vec::with_capacity(2 * candidates.len());
    for e in &candidates {
        test.push(Tuple::new(user_name(e.user), IpAddr::V4(e.ip)));
        test_travel.push(e.travel);
        test_users.push(e.user);
    }
    for _ in 0..candidates.len() {
        let user = known_users[rng.gen_range(0..known_users.len())];
        test.push(Tuple::new(user_name(user), IpAddr::V4(table.random_ip(&mut rng))));
        test_users.push(user);
    }
    let mut test_labels = vec![false; candidates.len()];
    test_labels.resize(2 * candidates.len(), true);
    let truth = GeneratorTruth { table, profiles };
    Dataset { train, test, test_labels, test_travel, test_users, events: total, truth }
}

#[cfg(test)]
mod tests;
