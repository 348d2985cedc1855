//! Bulk scoring speed of a model with the seed notebook's shape (20,000 entities, vector_dim 128, 1 layer).
//!
//! `cargo run --release -p ipinsights-engine --example score_speed [USERS] [uniform]`
//!
//! Every row of every table holds a non-zero value, as after training: a freshly built model leaves the prefix rows
//! of the IP table at zero, untouched pages the OS maps to one shared zero page, which would make every gather a
//! cache hit and the figure meaningless. The pairs are the tutorial's training pairs for `USERS` users (default
//! 10,000), or with `uniform` the same count of pairs of 10,000 users and uniformly random IPv4 addresses (no
//! locality at all, the worst case).

use ipinsights_engine::hash::mix64;
use ipinsights_engine::synth::{generate, SynthConfig};
use ipinsights_engine::{IpInsightsParams, Model};
use std::net::IpAddr;
use std::time::Instant;

fn main() {
    let users: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let uniform = std::env::args().nth(2).is_some_and(|a| a == "uniform");
    let hp = IpInsightsParams::new(20_000, 128).check().expect("valid");
    let mut model = Model::new(&hp, 1, 2);
    let mut x = 0x1234_5678u64;
    for v in &mut model.ip_table {
        x = mix64(x);
        *v = ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2;
    }
    let mut pairs: Vec<(String, IpAddr)> =
        generate(&SynthConfig::new(users, 0)).train.into_iter().map(|t| (t.entity, t.ip)).collect();
    if uniform {
        for (i, pair) in pairs.iter_mut().enumerate() {
            x = mix64(x);
            *pair = (format!("user_{}", i % 10_000), IpAddr::V4((x as u32).into()));
        }
    }
    let n = pairs.len();
    for round in 0..3 {
        let started = Instant::now();
        let scores = model.score_pairs(&pairs);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "round {round}: {:.2} M pairs/s ({n} {} pairs, checksum {:.3})",
            n as f64 / seconds / 1e6,
            if uniform { "uniform" } else { "tutorial" },
            scores.iter().map(|&s| f64::from(s)).sum::<f64>()
        );
    }
}
