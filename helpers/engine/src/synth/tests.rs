use super::*;

#[test]
fn dataset_is_reproducible_and_shaped_like_the_tutorial() {
    let config = SynthConfig { users: 300, seed: 4, test_samples: 2_000 };
    let a = generate(&config);
    let b = generate(&config);
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
    // ≈ 50·(1 + ln 200) ≈ 315 events per user; the Pareto tail makes the mean noisy.
    let per_user = a.events as f64 / 300.0;
    assert!((150.0..700.0).contains(&per_user), "{per_user} events per user");
    // Seven of ten days train.
    let share = a.train.len() as f64 / a.events as f64;
    assert!((0.65..0.75).contains(&share), "train share {share}");
    // Balanced labels; attacks only for users seen in training.
    let normal = a.test_labels.iter().filter(|&&l| !l).count();
    assert_eq!(normal * 2, a.test.len());
    let known: HashSet<&str> = a.train.iter().map(|t| t.entity.as_str()).collect();
    assert!(a.test.iter().all(|t| known.contains(t.entity.as_str())));
    // Travel share ≈ E[Beta(1,30)] = 1/31, weighted by events.
    assert!(a.travel_share() < 0.15, "{}", a.travel_share());
    let c = generate(&SynthConfig { seed: 5, ..config });
    assert_ne!(a.train, c.train);
}

#[test]
fn normal_events_stay_near_home_or_work() {
    let table = AsnTable::synthesize(8);
    let events = generate_events(50, 8, &table);
    // Per user, non-travel events fall in few distinct neighbourhoods of rows.
    for user in 0..50 {
        let mut rows: Vec<usize> = events
            .iter()
            .filter(|e| e.user == user && !e.travel)
            .map(|e| table.row_of(e.ip).expect("in table"))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        if rows.len() < 2 {
            continue;
        }
        let clusters = 1 + rows.windows(2).filter(|w| w[1] - w[0] > 200).count();
        assert!(clusters <= 4, "user {user}: {clusters} clusters");
    }
}

#[test]
fn writes_train_and_labelled_test_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(&SynthConfig { users: 20, seed: 1, test_samples: 100 });
    data.write(dir.path()).unwrap();
    let train = crate::tuples::read_tuples(&dir.path().join("train.csv"), Default::default()).unwrap();
    assert_eq!(train.tuples, data.train);
    let options = crate::tuples::ReadOptions { labelled: true, ..Default::default() };
    let test = crate::tuples::read_tuples(&dir.path().join("test.csv"), options).unwrap();
    assert_eq!(test.tuples, data.test);
    assert_eq!(test.labels.unwrap(), data.test_labels);
    let header = std::fs::read_to_string(dir.path().join("test.csv")).unwrap();
    assert!(header.starts_with("entity,ip,label\n"));
}

#[test]
fn profiles_describe_the_events_the_generator_drew() {
    // The busiest of 3,000 users: its non-travel rows follow home_share · φ(home) + (1 − home_share) · φ(work).
    let table = AsnTable::synthesize(2);
    let (profiles, events) = simulate(3_000, 2, &table);
    assert_eq!(events, generate_events(3_000, 2, &table), "simulate and generate_events draw the same events");
    let (user, profile) = profiles.iter().enumerate().max_by_key(|(_, p)| p.events).unwrap();
    assert!(profile.events >= 5_000, "{profile:?}");
    let rows: Vec<usize> =
        events.iter().filter(|e| e.user == user as u32).map(|e| table.row_of(e.ip).unwrap()).collect();
    assert_eq!(rows.len(), profile.events);
    let n = table.len();
    let truth = GeneratorTruth { table: table.clone(), profiles: profiles.clone() };
    for (base, share) in [(profile.home, profile.home_share), (profile.work, 1.0 - profile.home_share)] {
        for offset in [0usize, 3, 12] {
            let row = (base + offset) % n;
            let p = profile.travel / n as f64
                + (1.0 - profile.travel)
                    * (profile.home_share * bayes::row_probability(row, profile.home, n)
                        + (1.0 - profile.home_share) * bayes::row_probability(row, profile.work, n));
            let expected = p * rows.len() as f64;
            let observed = rows.iter().filter(|&&r| r == row).count() as f64;
            let sd = expected.sqrt().max(1.0);
            assert!((observed - expected).abs() < 5.0 * sd, "row {row} (share {share}): {observed} vs {expected}");
            // The likelihood ratio against an attack (a uniformly random row, 1/n) is events · p · n.
            let ratio = (-truth.anomaly_score(user as u32, table.draw_ip(row, &mut rand_pcg::Pcg64Mcg::new(4)))).exp();
            let expected_ratio = profile.events as f64 * p * n as f64;
            assert!((ratio / expected_ratio - 1.0).abs() < 1e-9, "row {row}: {ratio} vs {expected_ratio}");
        }
    }
}

#[test]
fn the_bayes_optimal_score_ranks_home_above_travel_and_heavy_users_above_light_ones() {
    let data = generate(&SynthConfig { users: 400, seed: 6, test_samples: 5_000 });
    let truth = &data.truth;
    let (heavy, light) = {
        let mut ids: Vec<usize> = (0..400).collect();
        ids.sort_by_key(|&u| truth.profiles[u].events);
        (ids[399] as u32, ids[0] as u32)
    };
    let home_of = |u: u32| truth.table.draw_ip(truth.profiles[u as usize].home, &mut rand_pcg::Pcg64Mcg::new(1));
    let far_of = |u: u32| {
        truth
            .table
            .draw_ip((truth.profiles[u as usize].home + 300_000) % truth.table.len(), &mut rand_pcg::Pcg64Mcg::new(1))
    };
    for u in [heavy, light] {
        assert!(truth.anomaly_score(u, home_of(u)) < truth.anomaly_score(u, far_of(u)) - 3.0, "user {u}");
    }
    assert!(truth.anomaly_score(heavy, far_of(heavy)) < truth.anomaly_score(light, far_of(light)));
    assert_eq!(truth.anomaly_score(9_999, home_of(heavy)), f64::INFINITY, "unknown user");
    // The optimal AUC is high but not perfect (travel), and the travel events are what it misses.
    let all = data.bayes_optimal_auc(|_| true);
    let without_travel = data.bayes_optimal_auc(|i| !data.test_travel.get(i).copied().unwrap_or(false));
    assert!((0.98..1.0).contains(&all), "{all}");
    assert!(without_travel > all, "{without_travel} vs {all}");
    assert_eq!(data.test_users.len(), data.test.len());
    assert!(data.test.iter().zip(&data.test_users).all(|(t, &u)| t.entity == user_name(u)));
}

#[test]
fn scores_split_by_label_and_travel() {
    let data = generate(&SynthConfig { users: 100, seed: 3, test_samples: 300 });
    let scores: Vec<f32> = (0..data.test.len()).map(|i| i as f32).collect();
    let split = data.by_label(&scores);
    assert_eq!((split.normal.len(), split.attacks.len()), (data.normal_count(), data.attack_count()));
    let travelling = data.test_travel.iter().filter(|&&t| t).count();
    assert!(travelling > 0, "the seed gives travelling logins");
    assert_eq!(split.normal_not_travelling.len(), data.normal_count() - travelling);
    for (i, &anomalous) in data.test_labels.iter().enumerate() {
        let list = if anomalous { &split.attacks } else { &split.normal };
        assert!(list.contains(&(i as f32)), "test tuple {i} in its label's list");
    }
    let normal_positions: Vec<usize> = (0..data.test.len()).filter(|&i| !data.test_labels[i]).collect();
    for (k, &i) in normal_positions.iter().enumerate() {
        assert_eq!(split.normal_not_travelling.contains(&(i as f32)), !data.test_travel[k], "normal tuple {i}");
    }
    let examples = data.test_examples();
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0], data.test[data.test_labels.iter().position(|&a| !a).unwrap()]);
    assert_eq!(examples[1], data.test[data.test_labels.iter().position(|&a| a).unwrap()]);
}
