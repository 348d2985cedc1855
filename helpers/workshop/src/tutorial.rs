//! What the tutorial notebook's cells need beyond the SDK's names: its synthetic logins, a stopwatch for the bulk
//! scoring rate, and the dot product of two embeddings.

use std::fmt;
use std::time::Instant;

use ipinsights_engine::synth::{generate, Dataset, SynthConfig};

/// The tutorial's synthetic login data for `users` users, drawn from `seed` (the same seed, the same data).
pub fn synthetic_logins(users: u32, seed: u64) -> Dataset {
    generate(&SynthConfig::new(users, seed))
}

/// The dot product of two vectors (of their common length).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Wall-clock time since a start, for rates a cell prints.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Stopwatch {
        Stopwatch { started: Instant::now() }
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// `count` things done since the start, read once: `Rate`'s text is "N pairs in S s (R pairs/s)".
    pub fn rate(&self, count: usize, unit: &str) -> Rate {
        Rate { count, seconds: self.seconds(), unit: unit.to_string() }
    }
}

/// How many things were done in how long ([`Stopwatch::rate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// How many.
    pub count: usize,
    /// In how many seconds.
    pub seconds: f64,
    /// What was counted ("pairs").
    pub unit: String,
}

impl Rate {
    /// Things per second.
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = &self.unit;
        write!(f, "{} {unit} in {:.2} s ({:.0} {unit}/s)", self.count, self.seconds, self.per_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_products_and_rates() {
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
        assert_eq!(dot(&[1.0, 2.0], &[]), 0.0);
        let rate = Rate { count: 3000, seconds: 1.5, unit: "pairs".into() };
        assert_eq!(rate.to_string(), "3000 pairs in 1.50 s (2000 pairs/s)");
        let watch = Stopwatch::start();
        assert!(watch.rate(10, "pairs").seconds >= 0.0);
    }
}
