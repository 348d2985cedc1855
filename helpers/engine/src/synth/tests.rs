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
