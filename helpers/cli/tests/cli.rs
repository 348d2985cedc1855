//! The `ipinsights` command end to end: the real binary on real files.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

use std::path::Path;
use std::process::{Command, Output};

fn ipinsights(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipinsights")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) -> String {
    let out = ipinsights(args);
    assert!(out.status.success(), "ipinsights {args:?} failed:\n{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn generate_train_evaluate_predict_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = dir.path().join("model");
    ok(&["generate", "--users", "150", "--seed", "3", "--test-samples", "3000", "--out", p(&data)]);
    let train_csv = std::fs::read_to_string(data.join("train.csv")).unwrap();
    assert!(!train_csv.starts_with("entity"), "train.csv is headerless");
    assert!(std::fs::read_to_string(data.join("test.csv")).unwrap().starts_with("entity,ip,label\n"));

    let log = ok(&[
        "train",
        "--train",
        p(&data.join("train.csv")),
        "--validation",
        p(&data.join("train.csv")),
        "--model-dir",
        p(&model),
        "--seed",
        "1",
        "--pack",
        "--hp",
        "num_entity_vectors=300",
        "--hp",
        "vector_dim=32",
        "--hp",
        "epochs=4",
        "--hp",
        "mini_batch_size=500",
        "--hp",
        "learning_rate=0.01",
        "--hp",
        "random_negative_sampling_rate=4",
        "--hp",
        "batch_metrics_publish_interval=20",
    ]);
    assert!(
        log.contains("#quality_metric: host=local, epoch=0, batch=0 train binary_classification_accuracy <score>="),
        "{log}"
    );
    assert!(log.contains("validation discriminator_auc <score>="), "{log}");
    assert!(log.contains("#progress_metric: host=local, completed 100 %"), "{log}");
    // Packed as SageMaker's training output: the artifact alone, the model file inside it.
    assert!(model.join("model.tar.gz").is_file() && !model.join("model.ipinsights").exists());

    let report = ok(&["evaluate", "--model-dir", p(&model), "--test", p(&data.join("test.csv")), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    let auc = json["auc"].as_f64().unwrap();
    assert!(auc >= 0.95, "AUC {auc}");
    assert_eq!(json["normal"], 3000);
    assert_eq!(json["at_threshold"]["threshold"], 0.0);
    let text = ok(&["evaluate", "--model-dir", p(&model), "--test", p(&data.join("test.csv"))]);
    assert!(text.contains("AUC: ") && text.contains("precision"), "{text}");

    // predict: one row per input row, in order, header and all; a header row and spaces are tolerated.
    let input = dir.path().join("in.csv");
    let first: Vec<&str> = train_csv.lines().take(3).collect();
    let spaced: Vec<String> = first.iter().map(|l| l.replacen(',', ", ", 1) + ",extra").collect();
    std::fs::write(&input, format!("entity,ip\n{}\n", spaced.join("\n"))).unwrap();
    let scores = dir.path().join("scores.csv");
    ok(&["predict", "--model-dir", p(&model), "--input", p(&input), "--output", p(&scores)]);
    let written = std::fs::read_to_string(&scores).unwrap();
    let rows: Vec<&str> = written.lines().collect();
    assert_eq!(rows[0], "entity,ip,dot_product");
    assert_eq!(rows.len(), 4);
    for (row, original) in rows[1..].iter().zip(&first) {
        assert!(row.starts_with(&format!("{original},")), "{row} vs {original}");
        let score: f32 = row.rsplit(',').next().unwrap().parse().unwrap();
        assert!(score > 0.0, "training pairs score normal: {row}");
    }
    // The artifact file named directly serves the same scores.
    let from_artifact = ok(&["predict", "--model-dir", p(&model.join("model.tar.gz")), "--input", p(&input)]);
    assert_eq!(from_artifact, written);
}

#[test]
fn bad_rows_name_file_and_line_and_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    std::fs::write(&train, "u1,1.2.3.4\nu2,999.1.1.1\nu3\nu4,5.6.7.8\n").unwrap();
    let model = dir.path().join("m");
    let hp = ["--hp", "num_entity_vectors=10", "--hp", "vector_dim=8", "--hp", "epochs=1"];
    let mut args = vec!["train", "--train", p(&train), "--model-dir", p(&model)];
    args.extend(hp);
    let out = ipinsights(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:2: invalid IP address \"999.1.1.1\"", train.display())), "{err}");
    args.push("--skip-invalid");
    let out = ipinsights(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("skipped 2 invalid rows"), "{}", stderr(&out));
    assert!(stdout(&out).contains("Training on 2 tuples"));
}

#[test]
fn usage_errors_exit_2_and_other_errors_exit_1() {
    assert_eq!(ipinsights(&["train"]).status.code(), Some(2), "missing required flags");
    assert_eq!(ipinsights(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(ipinsights(&["train", "--train", "x", "--model-dir", "y", "--hp", "novalue"]).status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("t.csv");
    std::fs::write(&train, "u,1.1.1.1\n").unwrap();
    let run = |hp: &[&str]| {
        let mut args = vec!["train", "--train", p(&train), "--model-dir", p(dir.path())];
        for h in hp {
            args.extend(["--hp", h]);
        }
        ipinsights(&args)
    };
    let out = run(&["vector_dim=8"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing required hyperparameter num_entity_vectors"), "{}", stderr(&out));
    let out = run(&["vector_dim=8", "num_entity_vectors=10", "epochs=0"]);
    assert!(
        stderr(&out).contains("hyperparameter epochs=\"0\" is invalid: expected an integer in 1..=100000"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "vector_dim=8",
        "num_entity_vectors=10",
        "random_negative_sampling_rate=0",
        "shuffled_negative_sampling_rate=0",
    ]);
    assert!(stderr(&out).contains("must be in 1..=500"), "{}", stderr(&out));
    let out = run(&["vector_dim=8", "num_entity_vectors=10", "speed=11"]);
    assert!(stderr(&out).contains("unknown hyperparameter \"speed\""), "{}", stderr(&out));
    let out = ipinsights(&["predict", "--model-dir", p(dir.path()), "--input", p(&train)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no model.ipinsights or model.tar.gz"), "{}", stderr(&out));
}

#[test]
fn train_reports_its_outcome_as_contract_events() {
    use ipinsights_contract::{decode, read_events, ContractInfo, TrainingEvent};
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("t.csv");
    std::fs::write(&train, "u1,1.2.3.4\nu2,5.6.7.8\nu1,1.2.3.5\n").unwrap();
    let (model, events) = (dir.path().join("m"), dir.path().join("events.jsonl"));
    let hp = ["--hp", "num_entity_vectors=10", "--hp", "vector_dim=8", "--hp", "epochs=1"];
    let mut args = vec!["train", "--train", p(&train), "--model-dir", p(&model), "--pack", "--events", p(&events)];
    args.extend(hp);
    let log = ok(&args);
    assert!(log.contains("#progress_metric: host=local, completed 100 %"), "stdout stays the human log: {log}");
    let read = read_events(&events).unwrap();
    let [TrainingEvent::Started { train: channel, validation: None, hyperparameters }, TrainingEvent::Completed { model: artifact, .. }] =
        read.as_slice()
    else {
        panic!("started, then completed: {read:?}");
    };
    assert_eq!((channel.tuples, channel.skipped_rows, channel.path.as_path()), (3, 0, train.as_path()));
    assert_eq!(hyperparameters.len(), 10);
    assert_eq!(hyperparameters["epochs"], "1");
    assert_eq!(artifact, &model.join("model.tar.gz"));
    // SageMaker's training output alone: the model file is inside the artifact, not beside it.
    let written: Vec<_> = std::fs::read_dir(&model).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(written, ["model.tar.gz"], "{written:?}");

    // A failing job ends its events with the reason a human reads on stderr.
    std::fs::write(&train, "u1,1.2.3.4\nu2,not-an-ip\n").unwrap();
    let out = ipinsights(&args);
    assert_eq!(out.status.code(), Some(1));
    let read = read_events(&events).unwrap();
    let [TrainingEvent::Failed { reason }] = read.as_slice() else { panic!("one failed event: {read:?}") };
    assert!(reason.contains("invalid IP address \"not-an-ip\"") && stderr(&out).contains(reason.as_str()), "{reason}");

    // The binary says which contract it speaks.
    let info: ContractInfo = decode(&ok(&["contract"]), "ipinsights contract").unwrap();
    assert_eq!(info.package_version, env!("CARGO_PKG_VERSION"));
}
