use super::*;

fn seed_map() -> Vec<(&'static str, &'static str)> {
    vec![
        ("num_entity_vectors", "20000"),
        ("random_negative_sampling_rate", "5"),
        ("vector_dim", "128"),
        ("mini_batch_size", "1000"),
        ("epochs", "5"),
        ("learning_rate", "0.01"),
    ]
}

#[test]
fn defaults_match_sagemaker() {
    let hp = IpInsightsParams::new(100, 16).check().unwrap();
    assert_eq!(hp.batch_metrics_publish_interval, 1000);
    assert_eq!(hp.epochs, 10);
    assert_eq!(hp.learning_rate, 0.001);
    assert_eq!(hp.mini_batch_size, 10_000);
    assert_eq!(hp.num_ip_encoder_layers, 1);
    assert_eq!(hp.random_negative_sampling_rate, 1);
    assert_eq!(hp.shuffled_negative_sampling_rate, 1);
    assert_eq!(hp.weight_decay, 0.00001);
    assert_eq!(NAMES.len(), 10);
}

#[test]
fn string_map_round_trips() {
    let hp = HyperParameters::from_map(seed_map()).unwrap();
    assert_eq!(hp.num_entity_vectors, 20_000);
    assert_eq!(hp.random_negative_sampling_rate, 5);
    assert_eq!(hp.learning_rate, 0.01);
    assert_eq!(hp.records_per_positive(), 7);
    assert_eq!(HyperParameters::from_map(hp.to_map()).unwrap(), hp);
    assert_eq!(hp.to_map().len(), 10);
    let request: Vec<(String, String)> = hp.to_request_map().into_iter().collect();
    let mut expected: Vec<(String, String)> = seed_map().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    expected.sort();
    assert_eq!(request, expected, "the request map holds exactly what was given");
}

#[test]
fn typed_params_match_the_map() {
    let built = IpInsightsParams::new(20_000, 128)
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(5)
        .learning_rate(0.01)
        .check()
        .unwrap();
    assert_eq!(built, HyperParameters::from_map(seed_map()).unwrap());
    assert_eq!(built.to_request_map(), HyperParameters::from_map(seed_map()).unwrap().to_request_map());
    let changed = built.to_params().epochs(3).check().unwrap();
    assert_eq!((changed.epochs, changed.vector_dim), (3, 128));
    assert_eq!(changed.to_string().matches('=').count(), 10, "{changed}");
}

fn map_error(pairs: &[(&str, &str)]) -> String {
    HyperParameters::from_map(pairs.iter().copied()).unwrap_err().to_string()
}

#[test]
fn rejects_out_of_range_values_naming_parameter_value_and_range() {
    let cases = [
        ("vector_dim", "3", "an integer in 4..=4096"),
        ("vector_dim", "4097", "an integer in 4..=4096"),
        ("num_entity_vectors", "0", "an integer in 1..=250000000"),
        ("num_entity_vectors", "250000001", "an integer in 1..=250000000"),
        ("epochs", "0", "an integer in 1..=100000"),
        ("epochs", "100001", "an integer in 1..=100000"),
        ("epochs", "4294967296", "an integer in 1..=100000"),
        ("batch_metrics_publish_interval", "0", "an integer ≥ 1"),
        ("learning_rate", "0.0000001", "a number in 0.000001..=10"),
        ("learning_rate", "11", "a number in 0.000001..=10"),
        ("learning_rate", "NaN", "a number in 0.000001..=10"),
        ("learning_rate", "inf", "a number in 0.000001..=10"),
        ("mini_batch_size", "500001", "an integer in 1..=500000"),
        ("num_ip_encoder_layers", "101", "an integer in 0..=100"),
        ("random_negative_sampling_rate", "501", "an integer in 0..=500"),
        ("shuffled_negative_sampling_rate", "-1", "an integer in 0..=500"),
        ("weight_decay", "10.5", "a number in 0..=10"),
        ("epochs", "five", "an integer in 1..=100000"),
        ("epochs", "2.5", "an integer in 1..=100000"),
    ];
    for (name, value, range) in cases {
        let mut pairs = vec![("num_entity_vectors", "10"), ("vector_dim", "8")];
        pairs.retain(|(n, _)| *n != name);
        pairs.push((name, value));
        let message = map_error(&pairs);
        assert!(message.contains(name), "{message}");
        assert!(message.contains(&format!("{value:?}")), "{message}");
        assert!(message.contains(range), "{message}");
    }
}

#[test]
fn typed_values_are_checked_too() {
    let err = IpInsightsParams::new(10, 2).check().unwrap_err().to_string();
    assert!(err.contains("vector_dim=\"2\""), "{err}");
    let err = IpInsightsParams::new(10, 8).learning_rate(f64::NAN).check().unwrap_err().to_string();
    assert!(err.contains("learning_rate=\"NaN\""), "{err}");
    let err = IpInsightsParams::new(10, 8).epochs(u32::MAX).check().unwrap_err().to_string();
    assert!(err.contains("epochs=\"4294967295\""), "{err}");
}

#[test]
fn accepts_integral_float_strings() {
    let hp = HyperParameters::from_map([("num_entity_vectors", "10"), ("vector_dim", "8"), ("epochs", "3.0")]).unwrap();
    assert_eq!(hp.epochs, 3);
    assert_eq!(hp.to_request_map()["epochs"], "3");
}

#[test]
fn rejects_unknown_and_missing() {
    let message = map_error(&[("num_entity_vectors", "10"), ("vector_dim", "8"), ("num_epochs", "3")]);
    assert!(message.contains("unknown hyperparameter \"num_epochs\""), "{message}");
    assert!(message.contains("epochs"), "{message}");
    let message = map_error(&[("num_entity_vectors", "10")]);
    assert_eq!(message, "missing required hyperparameter vector_dim (an integer in 4..=4096)");
    let message = map_error(&[("vector_dim", "10")]);
    assert!(message.starts_with("missing required hyperparameter num_entity_vectors"), "{message}");
}

#[test]
fn rejects_negative_sums_outside_1_to_500() {
    let zero = IpInsightsParams::new(10, 8).random_negative_sampling_rate(0).shuffled_negative_sampling_rate(0);
    let message = zero.check().unwrap_err().to_string();
    assert!(message.contains("0 + 0 = 0"), "{message}");
    assert!(message.contains("1..=500"), "{message}");
    let big = IpInsightsParams::new(10, 8).random_negative_sampling_rate(300).shuffled_negative_sampling_rate(201);
    assert!(big.check().unwrap_err().to_string().contains("= 501"));
    let edge = IpInsightsParams::new(10, 8).random_negative_sampling_rate(250).shuffled_negative_sampling_rate(250);
    assert!(edge.check().is_ok());
}

#[test]
fn refuses_models_past_sagemakers_size_limit() {
    // 250,000,000 × 4096 floats: about 3.7 TiB of entity table alone.
    let err = IpInsightsParams::new(250_000_000, 4096).check().unwrap_err();
    assert!(matches!(err, HyperParameterError::ModelTooLarge { limit: MAX_MODEL_BYTES, .. }), "{err}");
    assert!(err.to_string().contains("limit of 8.0 GiB"), "{err}");
    // 2^31 bytes of entity table and one 128-wide layer: within the limit.
    let hp = IpInsightsParams::new(4_194_304, 128).check().unwrap();
    assert_eq!(hp.min_model_bytes(), 4 * (4_194_304 * 128 + 128 * 128 + 128));
    // Just past the limit.
    assert!(IpInsightsParams::new(16_777_216, 128).check().is_err());
}
