//! Draws every kind of figure the notebooks show, from workshop-shaped synthetic scores, to `DIR` (default
//! `out/figures`): SVG always, PNG too with the `png` feature. For looking at the figures without a notebook run:
//!
//! ```sh
//! cargo run -p ipinsights-workshop --features png --example figures -- out/figures
//! ```

use ipinsights_workshop::prelude::*;
use std::path::PathBuf;

/// A deterministic bell-ish sample: the mean of four hashed uniforms, scaled to `centre ± spread`.
fn sample(n: usize, centre: f32, spread: f32, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let mut x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
            let mut total = 0.0;
            for _ in 0..4 {
                x ^= x >> 31;
                x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x ^= x >> 29;
                total += (x >> 11) as f32 / (1u64 << 53) as f32;
            }
            centre + spread * (total / 2.0 - 1.0) * 2.0
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out/figures".into()));
    std::fs::create_dir_all(&dir)?;
    let train = sample(20_338, 7.5, 7.0, 1);
    let findings = sample(56, -2.0, 5.0, 2);
    let held_out = sample(5_000, -7.0, 6.0, 3);
    let attacks = sample(5_000, 4.0, 6.0, 4);
    let analysis = ThresholdAnalysis::from_dot_products(&anomaly_scores(&held_out), &anomaly_scores(&attacks))?;
    let review = analysis.choose(ThresholdRule::MaxFalsePositiveRate(0.01))?;
    let mfa = analysis.choose(ThresholdRule::MinRecall(0.99))?;
    let figures = [
        (
            "training-histogram",
            histogram_figure(&train, 10, "IP Insights Score Histogram (training pairs)", "IP Insights Score"),
        ),
        (
            "guardduty-overlay",
            overlaid_histograms(
                &[
                    Series { label: "GuardDuty", values: &findings, color: RED },
                    Series { label: "Training", values: &train, color: BLUE },
                ],
                10,
                "IP Insights Score Histogram",
                "IP Insights Score",
                &[],
            ),
        ),
        (
            "thresholds",
            overlaid_histograms(
                &[
                    Series { label: "Simulated attacks", values: analysis.anomalous_scores(), color: RED },
                    Series { label: "Normal (held out)", values: analysis.normal_scores(), color: BLUE },
                ],
                30,
                "Anomaly scores and the chosen thresholds",
                "Anomaly score (−dot_product)",
                &[
                    Marker { x: review.threshold, label: "analyst review" },
                    Marker { x: mfa.threshold, label: "ask for MFA" },
                ],
            ),
        ),
        (
            "roc",
            roc_figure(
                analysis.roc(),
                analysis.auc(),
                &[("analyst review", analysis.at(review.threshold)), ("ask for MFA", analysis.at(mfa.threshold))],
            ),
        ),
    ];
    for (name, figure) in &figures {
        figure.save_svg(dir.join(format!("{name}.svg")))?;
        if cfg!(feature = "png") {
            figure.save_png(dir.join(format!("{name}.png")), 2.0)?;
        }
        println!("{}", dir.join(name).display());
    }
    Ok(())
}
