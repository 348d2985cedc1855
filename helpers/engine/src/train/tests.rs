use super::*;
use crate::hyperparams::IpInsightsParams;
use crate::ip::{random_v4, IpLayout};
use std::net::IpAddr;

fn tiny_hp(layers: u32) -> HyperParameters {
    IpInsightsParams::new(16, 6)
        .num_ip_encoder_layers(layers)
        .random_negative_sampling_rate(2)
        .shuffled_negative_sampling_rate(1)
        .mini_batch_size(8)
        .check()
        .unwrap()
}

/// A model whose every parameter is non-zero, so every gradient path is exercised.
fn perturbed_model(hp: &HyperParameters) -> Model {
    let mut model = Model::new(hp, 11, 3);
    let mut rng = rand_pcg::Pcg64Mcg::new(77);
    use rand::Rng;
    for x in model.ip_table.iter_mut() {
        *x += rng.gen_range(-0.3..0.3);
    }
    for layer in &mut model.layers {
        layer.b.iter_mut().for_each(|b| *b = rng.gen_range(-0.2..0.2));
    }
    model
}

fn batch_tuples() -> Vec<Tuple> {
    let mut rng = rand_pcg::Pcg64Mcg::new(5);
    (0..8)
        .map(|i| {
            let ip = if i == 7 { "2001:db8::7".parse().unwrap() } else { random_v4(&mut rng) };
            Tuple::new(format!("user_{}", i % 5), ip)
        })
        .collect()
}

fn mean_loss(work: &mut BatchWork, model: &Model) -> f64 {
    let stats = work.forward(model, &crate::parallel::Workers::new(2));
    stats.loss_sum / stats.records as f64
}

/// Central finite difference of the mean loss for one parameter, chosen by `param`.
fn numeric(work: &mut BatchWork, model: &Model, param: &dyn Fn(&mut Model) -> &mut f32) -> f64 {
    let eps = 1e-2f32;
    let mut plus = model.clone();
    *param(&mut plus) += eps;
    let mut minus = model.clone();
    *param(&mut minus) -= eps;
    (mean_loss(work, &plus) - mean_loss(work, &minus)) / (2.0 * f64::from(eps))
}

fn assert_close(analytic: f32, numeric: f64, what: &str) {
    let (a, n) = (f64::from(analytic), numeric);
    assert!((a - n).abs() <= 2e-3 + 2e-2 * n.abs(), "{what}: analytic {a} vs numeric {n}");
}

#[test]
fn gradients_match_finite_differences() {
    // Five entities over eight positives (shuffled partners redrawn), and a batch of a single entity (no shuffled
    // negatives at all).
    let one_entity: Vec<Tuple> = batch_tuples().into_iter().map(|t| Tuple::new("user_0", t.ip)).collect();
    for (layers, tuples) in [(0, batch_tuples()), (1, batch_tuples()), (3, batch_tuples()), (1, one_entity)] {
        let hp = tiny_hp(layers);
        let model = perturbed_model(&hp);
        let encoded = data::encode(&model, &tuples);
        let refs: Vec<_> = encoded.iter().collect();
        let mut work = BatchWork::default();
        let mut rng = rand_pcg::Pcg64Mcg::new(9);
        work.prepare(&model, &refs, Negatives { random: 2, shuffled: 1 }, &mut rng);
        work.forward(&model, &crate::parallel::Workers::new(2));
        let mut grads = grads::Gradients::for_model(&model);
        work.backward(&model, &crate::parallel::Workers::new(2), &mut grads);
        let dim = model.vector_dim();
        let (ent_rows, ent_grads) = work.entity_grads();
        let (ent_rows, ent_grads) = (ent_rows.to_vec(), ent_grads.to_vec());
        for (k, &row) in ent_rows.iter().enumerate().take(3) {
            for j in [0, dim - 1] {
                let idx = row as usize * dim + j;
                let n = numeric(&mut work, &model, &|m: &mut Model| &mut m.entity[idx]);
                assert_close(ent_grads[k * dim + j], n, &format!("layers={layers} entity row {row}[{j}]"));
            }
        }
        let (ip_rows, ip_grads) = work.ip_grads(dim);
        for k in [0, 4, 5, 7, ip_rows.len() - 1] {
            let row = ip_rows[k];
            let idx = row as usize * dim + 1;
            let n = numeric(&mut work, &model, &|m: &mut Model| &mut m.ip_table[idx]);
            assert_close(ip_grads[k * dim + 1], n, &format!("layers={layers} ip row {row}"));
        }
        for l in 0..layers as usize {
            for idx in [0, 7, dim * dim - 1] {
                let n = numeric(&mut work, &model, &|m: &mut Model| &mut m.layers[l].w[idx]);
                assert_close(grads.layers[l].w[idx], n, &format!("layers={layers} W{l}[{idx}]"));
            }
            let n = numeric(&mut work, &model, &|m: &mut Model| &mut m.layers[l].b[2]);
            assert_close(grads.layers[l].b[2], n, &format!("layers={layers} b{l}[2]"));
        }
    }
}

#[test]
fn an_untouched_row_gets_no_gradient_and_keeps_its_value() {
    let hp = tiny_hp(1);
    let tuples = batch_tuples();
    let outcome =
        train(&hp, &tuples, None, &TrainOptions { seed: 1, threads: 2, ..Default::default() }, &mut |_| {}).unwrap();
    let fresh = Model::new(&hp, TrainOptions::default().hash_seed, 1);
    let used: std::collections::HashSet<u32> = tuples.iter().map(|t| fresh.entity_row(&t.entity)).collect();
    let unused = (0..16u32).find(|r| !used.contains(r)).expect("16 rows, 5 users");
    let dim = fresh.vector_dim();
    let range = unused as usize * dim..(unused as usize + 1) * dim;
    assert_eq!(outcome.model.entity[range.clone()], fresh.entity[range]);
}

fn clustered_data(users: u32, per_user: u32, seed: u64) -> Vec<Tuple> {
    // Each user lives in two /16 networks of its own.
    use rand::Rng;
    let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed));
    let mut out = Vec::new();
    for u in 0..users {
        let nets = [rng.gen::<u16>(), rng.gen::<u16>()];
        for _ in 0..per_user {
            let net = nets[rng.gen_range(0..2)];
            let ip = u32::from(net) << 16 | u32::from(rng.gen::<u16>());
            out.push(Tuple::new(format!("user_{u}"), IpAddr::V4(ip.into())));
        }
    }
    out
}

#[test]
fn training_is_deterministic_and_logs_like_sagemaker() {
    let data = clustered_data(40, 30, 1);
    let hp = IpInsightsParams::new(100, 16)
        .mini_batch_size(100)
        .epochs(2)
        .batch_metrics_publish_interval(5)
        .learning_rate(0.01)
        .check()
        .unwrap();
    let options = TrainOptions { seed: 42, threads: 2, ..Default::default() };
    let mut lines = Vec::new();
    let mut last_progress = (0, 0);
    let a = train(&hp, &data, Some(&data[..200]), &options, &mut |event| match event {
        TrainEvent::Log(line) => lines.push(line),
        TrainEvent::Progress { done, total } => last_progress = (done, total),
    })
    .unwrap();
    let b = train(&hp, &data, Some(&data[..200]), &options, &mut |_| {}).unwrap();
    assert_eq!(a.model, b.model, "same seed and threads, same model");
    assert_eq!(last_progress, (24, 24));
    let first = &lines[1];
    assert!(
        first.starts_with(
            "#quality_metric: host=local, epoch=0, batch=0 train binary_classification_cross_entropy <loss>=0.69"
        ),
        "{first}"
    );
    assert!(lines.iter().any(|l| l.starts_with("Epoch[1] Batch [10]\tSpeed: ")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("#quality_metric: host=local, epoch=1, validation discriminator_auc <score>=")));
    assert!(lines.iter().any(|l| l.starts_with("#throughput_metric: host=local, train throughput=")));
    assert_eq!(lines.last().unwrap(), "#progress_metric: host=local, completed 100 %");
    assert_eq!(a.history.len(), 2);
    let c = train(&hp, &data, None, &TrainOptions { seed: 43, ..options }, &mut |_| {}).unwrap();
    assert_ne!(a.model, c.model);
}

#[test]
fn learns_to_separate_home_networks_from_random_addresses() {
    let data = clustered_data(60, 60, 2);
    let hp = IpInsightsParams::new(200, 32)
        .mini_batch_size(200)
        .epochs(8)
        .random_negative_sampling_rate(3)
        .learning_rate(0.02)
        .check()
        .unwrap();
    let outcome =
        train(&hp, &data, Some(&data[..600]), &TrainOptions { seed: 7, ..Default::default() }, &mut |_| {}).unwrap();
    let history = &outcome.history;
    assert!(history.last().unwrap().cross_entropy < history[0].cross_entropy * 0.8, "{history:?}");
    assert!(history.last().unwrap().validation_auc.unwrap() > 0.95, "{history:?}");
    // An address never seen in training but inside the user's network scores normal.
    let user = &data[0].entity;
    let seen: std::collections::HashSet<IpAddr> = data.iter().map(|t| t.ip).collect();
    let IpAddr::V4(home) = data[0].ip else { unreachable!() };
    let unseen = (1..=255u32).map(|k| IpAddr::V4((u32::from(home) ^ k).into())).find(|ip| !seen.contains(ip)).unwrap();
    let model = &outcome.model;
    assert!(model.score(user, unseen) > 0.0, "unseen neighbour scores {}", model.score(user, unseen));
    let mut rng = rand_pcg::Pcg64Mcg::new(1);
    let random_scores: Vec<f32> = (0..200).map(|_| model.score(user, random_v4(&mut rng))).collect();
    assert!(random_scores.iter().filter(|&&s| s < 0.0).count() > 180);
}

#[test]
fn a_single_entity_trains_without_shuffled_negatives_and_says_so() {
    let tuples: Vec<Tuple> = clustered_data(1, 50, 3);
    let hp = IpInsightsParams::new(10, 8)
        .mini_batch_size(16)
        .epochs(2)
        .random_negative_sampling_rate(1)
        .shuffled_negative_sampling_rate(2)
        .check()
        .unwrap();
    let mut lines = Vec::new();
    let outcome = train(&hp, &tuples, None, &TrainOptions { seed: 1, threads: 2, ..Default::default() }, &mut |e| {
        if let TrainEvent::Log(line) = e {
            lines.push(line)
        }
    })
    .unwrap();
    for e in &outcome.history {
        assert_eq!(e.shuffled_negatives_skipped, 2 * 50, "epoch {}", e.epoch);
        assert!(e.cross_entropy.is_finite());
    }
    assert!(lines.iter().any(|l| l.starts_with("[warning] host=local, epoch=1: 100 shuffled negatives left out")));
}

#[test]
fn a_model_past_the_size_limit_is_refused_before_anything_is_allocated() {
    let hp = IpInsightsParams::new(300_000, 4096).check().unwrap();
    let err = train(&hp, &batch_tuples(), None, &TrainOptions::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, TrainError::ModelSize(_)), "{err}");
    assert!(err.to_string().contains("exceeds SageMaker's 8 GB model-size limit"), "{err}");
}

#[test]
fn counts_past_u32_are_errors_and_epoch_percentages_never_overflow() {
    assert_eq!(positive_count(u32::MAX as usize).unwrap(), u32::MAX);
    let err = positive_count(1 << 32).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the train channel holds 4294967296 tuples, more than the 4294967295 one training job can take: split the data"
    );
    assert_eq!(percent_done(1, 3), 33);
    assert_eq!(percent_done(u32::MAX, u32::MAX), 100);
    assert_eq!(percent_done(u32::MAX / 2, u32::MAX), 49);
}

#[test]
fn rejects_bad_inputs_before_training() {
    let hp = tiny_hp(1);
    assert!(matches!(train(&hp, &[], None, &TrainOptions::default(), &mut |_| {}), Err(TrainError::EmptyTrain)));
}

#[test]
fn the_memory_check_counts_at_least_what_a_batch_really_holds() {
    // Batches of several shapes: the estimate bounds the buffers' capacities after a whole step, and is not far
    // above them (it counts the step's temporaries too).
    for (layers, r, s, b, dim) in [(0, 2, 1, 64, 8), (1, 5, 1, 1000, 16), (3, 1, 2, 333, 8), (2, 20, 0, 500, 4)] {
        let hp = IpInsightsParams::new(300, dim)
            .num_ip_encoder_layers(layers)
            .random_negative_sampling_rate(r)
            .shuffled_negative_sampling_rate(s)
            .mini_batch_size(b)
            .check()
            .unwrap();
        let tuples = clustered_data(60, 40, 4);
        let model = Model::new(&hp, 11, 3);
        let encoded = data::encode(&model, &tuples);
        let refs: Vec<_> = encoded.iter().take(b as usize).collect();
        let mut work = BatchWork::default();
        let mut rng = rand_pcg::Pcg64Mcg::new(9);
        let mut model = model;
        let mut optimiser = grads::Optimiser::new(&model);
        work.prepare(&model, &refs, Negatives { random: r as usize, shuffled: s as usize }, &mut rng);
        work.step(&mut model, &mut optimiser, &crate::parallel::Workers::new(2));
        let held = work.heap_bytes() as u128 + 4 * u128::from(layers) * u128::from(dim * dim + dim);
        let estimate = memory::working_set(&hp, &model.layout, tuples.len()).batch;
        assert!(held <= estimate, "layers={layers} R={r} S={s} B={b}: holds {held} bytes, estimate {estimate}");
        assert!(estimate <= 3 * held, "layers={layers} R={r} S={s} B={b}: estimate {estimate} for {held} held");
    }
}

#[test]
fn knobs_whose_working_set_exceeds_the_budget_are_refused_before_training() {
    let budget = memory::MemoryBudget::mib(3 << 10, "a test");
    let options = TrainOptions { memory_budget: budget.clone(), ..Default::default() };
    let tuples = clustered_data(100, 10, 1);
    // The knobs: 500,000 positives × 500 slots a batch (on as many tuples).
    let hp = IpInsightsParams::new(200, 4)
        .mini_batch_size(500_000)
        .random_negative_sampling_rate(499)
        .shuffled_negative_sampling_rate(0)
        .check()
        .unwrap();
    let set = memory::working_set(&hp, &IpLayout::new(1), 500_000);
    assert!(set.batch > 20 << 30, "{set:?}");
    let message = memory::check_memory(&hp, &IpLayout::new(1), 500_000, &budget).unwrap_err().to_string();
    for needle in ["mini_batch_size 500000", "random_negative_sampling_rate 499", "memory budget of 3072 MiB (a test)"]
    {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // On 1,000 tuples a batch holds 1,000 positives: the same knobs fit.
    assert!(memory::check_memory(&hp, &IpLayout::new(1), 1_000, &budget).is_ok());
    // vector_dim 4096: a 4.4 GB model, 13 GB with Adam's moments; refused by train() before the model is built.
    let hp = IpInsightsParams::new(200, 4096).check().unwrap();
    let error = train(&hp, &tuples, None, &options, &mut |_| {}).unwrap_err();
    assert!(matches!(error, TrainError::Memory(_)), "{error}");
    assert!(error.to_string().contains("Adam optimiser state 8"), "{error}");
}

#[test]
fn the_workshop_and_tutorial_knobs_fit_a_small_budget() {
    // tools/make_workshop_notebook.py: (20000, 128), R 5, batches of 1000; the tutorial doubles the users.
    for entities in [20_000, 2 * 2_000, 250_000] {
        let hp = IpInsightsParams::new(entities, 128)
            .random_negative_sampling_rate(5)
            .mini_batch_size(1000)
            .epochs(5)
            .check()
            .unwrap();
        let set = memory::working_set(&hp, &IpLayout::new(1), 5_000_000);
        assert!(set.total() < 1 << 30, "{entities} entities: {set:?}");
    }
}

#[test]
fn the_default_budget_is_three_quarters_of_the_machines_memory() {
    // (Under an address-space limit it is 3/4 of that: the CLI's hardening tests run under 4 GiB.)
    let budget = memory::MemoryBudget::for_this_machine();
    assert!(budget.source.starts_with("3/4 of the"), "{budget:?}");
    let mib: u64 = budget.source.split(' ').nth(3).unwrap().parse().unwrap();
    assert!((budget.bytes >> 20).abs_diff(mib / 4 * 3) <= 1, "{budget:?}");
}
