use super::*;
use crate::hyperparams::IpInsightsParams;
use crate::linalg::dot;
use rand::Rng;

fn model_with_layers(layers: u32) -> Model {
    let hp = IpInsightsParams::new(50, 8).num_ip_encoder_layers(layers).check().unwrap();
    let mut model = Model::new(&hp, 5, 6);
    // Give prefix rows and biases values so every term of the score matters.
    let mut rng = rand_pcg::Pcg64Mcg::new(3);
    model.ip_table.iter_mut().for_each(|x| *x += rng.gen_range(-0.5..0.5));
    for layer in &mut model.layers {
        layer.b.iter_mut().for_each(|b| *b = rng.gen_range(-0.5..0.5));
    }
    model
}

fn sample_pairs(n: usize) -> Vec<(String, IpAddr)> {
    let mut rng = rand_pcg::Pcg64Mcg::new(8);
    (0..n)
        .map(|i| {
            let ip = if i % 7 == 0 { crate::ip::random_v6(&mut rng) } else { crate::ip::random_v4(&mut rng) };
            (format!("entity-{}", i % 13), ip)
        })
        .collect()
}

#[test]
fn score_is_entity_embedding_dot_ip_embedding_for_every_depth() {
    for layers in [0, 1, 2, 4] {
        let model = model_with_layers(layers);
        for (entity, ip) in sample_pairs(30) {
            let expected = dot(&model.entity_embedding(&entity), &model.ip_embedding(ip));
            let got = model.score(&entity, ip);
            assert!((expected - got).abs() <= 1e-4 * (1.0 + expected.abs()), "layers={layers}: {expected} vs {got}");
        }
        assert_eq!(model.ip_embedding("1.2.3.4".parse().unwrap()).len(), 8);
    }
}

#[test]
fn bulk_scoring_matches_one_by_one_and_keeps_order() {
    let model = model_with_layers(1);
    let pairs = sample_pairs(20_000); // large enough to use several threads
    let bulk = model.score_pairs(&pairs);
    for (i, (entity, ip)) in pairs.iter().enumerate().step_by(997) {
        assert_eq!(bulk[i], model.score(entity, *ip));
    }
    assert!(model.score_pairs::<&str>(&[]).is_empty());
}

#[test]
fn a_two_hidden_layer_relu_encoder_is_not_linear() {
    // With ReLU between layers, the IP embedding of a sum of inputs is not the sum of embeddings.
    let model = model_with_layers(3);
    let a = model.ip_embedding("10.0.0.1".parse().unwrap());
    let b = model.ip_embedding("10.0.0.2".parse().unwrap());
    assert_ne!(a, b);
}

#[test]
fn every_address_of_a_slash24_gets_its_own_embedding() {
    let model = model_with_layers(1);
    let mut seen = std::collections::HashSet::new();
    for last in 0..=255u8 {
        let emb = model.ip_embedding(IpAddr::V4([192, 0, 2, last].into()));
        assert!(seen.insert(emb.iter().map(|x| x.to_bits()).collect::<Vec<_>>()), "192.0.2.{last} collides");
    }
}
