//! Bulk scoring speed of a model with the seed notebook's shape (20,000 entities, vector_dim 128, 1 layer).
//!
//! `cargo run --release -p ipinsights-engine --example score_speed [PAIRS]`

use ipinsights_engine::{HyperParameters, Model};
use std::net::IpAddr;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let hp = HyperParameters::builder(20_000, 128).build().expect("valid");
    let model = Model::new(&hp, 1, 2);
    let mut x = 0x1234_5678u64;
    let pairs: Vec<(String, IpAddr)> = (0..n)
        .map(|i| {
            x = ipinsights_engine::hash::mix64(x);
            (format!("user_{}", i % 10_000), IpAddr::V4((x as u32).into()))
        })
        .collect();
    for round in 0..3 {
        let started = Instant::now();
        let scores = model.score_pairs(&pairs);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "round {round}: {:.2} M pairs/s ({} pairs, checksum {:.3})",
            n as f64 / seconds / 1e6,
            n,
            scores.iter().sum::<f32>()
        );
    }
}
