//! Fingerprints of trained models: proves that a change to the training code keeps its arithmetic bit for bit.
//!
//! `cargo run --release -p ipinsights-engine --example train_fingerprint`
//!
//! Trains a few small models (0, 1, 2 and 3 encoder layers, one and two threads, random and shuffled negatives, a
//! short last batch, IPv6 pairs) and prints, per configuration, the CRC-32 of the saved model file (without its checksum trailer) and of the bits of
//! every epoch's accuracy, cross-entropy and validation AUC. Run it before and after a change: equal lines mean
//! bit-identical models and metrics. The figures depend on the CPU (the matrix kernels use FMA where the CPU has
//! it), so compare runs on one machine.

use ipinsights_engine::synth::{generate, SynthConfig};
use ipinsights_engine::{train, IpInsightsParams, TrainOptions, Tuple};

fn main() {
    let data = generate(&SynthConfig { users: 300, seed: 3, test_samples: 500 });
    let mut tuples: Vec<Tuple> = data.train.iter().take(20_000).cloned().collect();
    for (i, t) in tuples.iter_mut().enumerate().step_by(97) {
        t.ip = format!("2001:db8:{:x}::{:x}", i % 7, i).parse().expect("valid IPv6");
    }
    let validation = &data.test[..400];
    // (layers, R, S, mini_batch_size, threads)
    let configs = [(0, 2, 1, 64, 1), (1, 3, 2, 200, 2), (3, 1, 1, 333, 2), (2, 2, 0, 128, 2), (1, 5, 1, 1000, 2)];
    for (layers, r, s, batch, threads) in configs {
        let hp = IpInsightsParams::new(500, 16)
            .num_ip_encoder_layers(layers)
            .random_negative_sampling_rate(r)
            .shuffled_negative_sampling_rate(s)
            .mini_batch_size(batch)
            .epochs(2)
            .learning_rate(0.01)
            .check()
            .expect("valid hyperparameters");
        let options = TrainOptions { seed: 11, threads, ..Default::default() };
        let outcome = train(&hp, &tuples, Some(validation), &options, &mut |_| {}).expect("trains");
        let mut bytes = Vec::new();
        outcome.model.write_to(&mut bytes).expect("serialises");
        let mut metrics = crc32fast::Hasher::new();
        for e in &outcome.history {
            metrics.update(&e.accuracy.to_le_bytes());
            metrics.update(&e.cross_entropy.to_le_bytes());
            metrics.update(&e.validation_auc.unwrap_or(f64::NAN).to_le_bytes());
        }
        println!(
            "layers={layers} R={r} S={s} batch={batch} threads={threads}: model {:08x}, metrics {:08x}, last \
             cross-entropy {:.6}",
            crc32fast::hash(&bytes[..bytes.len() - 4]), // the file's own CRC-32 trailer would make every CRC equal
            metrics.finalize(),
            outcome.history.last().expect("two epochs").cross_entropy
        );
    }
}
