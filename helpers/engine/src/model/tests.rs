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

/// A model of `layers` layers whose every weight is `w`.
fn uniform_model(layers: u32, dim: u32, w: f32) -> Model {
    let hp = IpInsightsParams::new(4, dim).num_ip_encoder_layers(layers).check().unwrap();
    let mut model = Model::new(&hp, 1, 1);
    model.entity.fill(w);
    model.ip_table.fill(w);
    for layer in &mut model.layers {
        layer.w.fill(w);
        layer.b.fill(w);
    }
    model
}

#[test]
fn the_score_bound_is_reached_by_all_positive_weights() {
    // With every weight w > 0 nothing cancels and the ReLU clips nothing: the score is the bound itself.
    for (layers, dim, w) in [(0, 4, 0.5f32), (1, 8, 0.25), (2, 16, 0.125), (3, 4, 1.0)] {
        let model = uniform_model(layers, dim, w);
        let score = f64::from(model.score("x", "10.1.2.3".parse().unwrap()));
        let bound = score_bound(&model);
        assert!((score - bound).abs() <= 1e-5 * bound, "layers={layers}: score {score}, bound {bound}");
    }
}

#[test]
fn weights_whose_scores_could_overflow_are_refused_and_the_limit_keeps_scores_finite() {
    // The largest uniform weight the limit admits: 8·d^(L+1)·w^(L+2) + lower terms ≤ 1e30.
    for (layers, dim) in [(0u32, 4u32), (1, 16), (2, 8), (3, 4)] {
        let mut w = 1.0f32;
        while check_score_bound(&uniform_model(layers, dim, w * 2.0)).is_ok() {
            w *= 2.0;
        }
        let at_limit = uniform_model(layers, dim, w);
        assert!(check_score_bound(&at_limit).is_ok());
        let scores = at_limit.score_pairs(&[("x", "10.1.2.3".parse().unwrap()), ("y", "2001:db8::1".parse().unwrap())]);
        assert!(scores.iter().all(|s| s.is_finite() && f64::from(*s) <= MAX_SCORE_BOUND * 1.001), "{scores:?}");
        assert!(at_limit.ip_embedding("10.1.2.3".parse().unwrap()).iter().all(|v| v.is_finite()));
        let message = check_score_bound(&uniform_model(layers, dim, w * 2.0)).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("weights too large: with vector_dim {dim}, {layers} layers")),
            "{message}"
        );
    }
    // The issue's ±1e20 weights, and a trained-looking model far inside the limit.
    let mut hostile = uniform_model(1, 16, 0.1);
    hostile.entity[3] = -1e20;
    hostile.ip_table[7] = 1e20;
    let error = check_score_bound(&hostile).unwrap_err();
    assert_eq!((error.tensor.as_str(), error.largest), ("entity", 1e20), "{error}");
    assert!(check_score_bound(&model_with_layers(2)).is_ok());
}
