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
//! Note the data's ceiling: a normal event while travelling is drawn exactly like an attack, so no model can tell
//! them apart; [`Dataset::travel_share`] reports that share of the normal test events.

mod asn;
mod events;

pub use asn::AsnTable;
pub use events::{generate_events, Event};

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
    /// Per normal test tuple: was the user travelling (indistinguishable from an attack by construction)?
    pub test_travel: Vec<bool>,
    /// All events simulated.
    pub events: usize,
}

impl Dataset {
    /// Share of normal test events made while travelling.
    pub fn travel_share(&self) -> f64 {
        self.test_travel.iter().filter(|&&t| t).count() as f64 / self.test_travel.len().max(1) as f64
    }

    /// Writes `train.csv` (headerless `entity,ip`) and `test.csv` (`entity,ip,label`) into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), TupleError> {
        std::fs::create_dir_all(dir).map_err(|error| TupleError::Write { path: dir.display().to_string(), error })?;
        write_tuples(&dir.join("train.csv"), &self.train)?;
        write_labelled(&dir.join("test.csv"), &self.test, &self.test_labels)?;
        Ok(())
    }
}

/// The user name of user `id` (as the tutorial's logs).
pub fn user_name(id: u32) -> String {
    format!("user_{id}")
}

/// Generates the data set.
pub fn generate(config: &SynthConfig) -> Dataset {
    let table = AsnTable::synthesize(config.seed);
    let mut events = generate_events(config.users, config.seed, &table);
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
    for e in &candidates {
        test.push(Tuple::new(user_name(e.user), IpAddr::V4(e.ip)));
        test_travel.push(e.travel);
    }
    for _ in 0..candidates.len() {
        let user = known_users[rng.gen_range(0..known_users.len())];
        test.push(Tuple::new(user_name(user), IpAddr::V4(table.random_ip(&mut rng))));
    }
    let mut test_labels = vec![false; candidates.len()];
    test_labels.resize(2 * candidates.len(), true);
    Dataset { train, test, test_labels, test_travel, events: total }
}

#[cfg(test)]
mod tests;
