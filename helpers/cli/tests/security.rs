//! The security workflow through the real binary: simulate → ingest cloudtrail → train → ingest guardduty
//! → threshold → detect (model in process and behind `ipinsights serve`), checked against ground truth: one test
//! per step, on one simulated account and model made once per run (`pipeline`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipinsights"))
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&[u8]>) -> (String, String) {
    let out = run(args, stdin);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "ipinsights {args:?} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The number just before `suffix` in `text`, e.g. `number_before("wrote 12 tuples", " tuples") == 12`.
fn number_before(text: &str, suffix: &str) -> usize {
    let head = &text[..text.find(suffix).unwrap_or_else(|| panic!("{suffix:?} not in {text}"))];
    head.rsplit(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

fn records(ndjson: &str) -> Vec<serde_json::Value> {
    ndjson.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn train(tuples: &Path, model: &Path) {
    ok(
        &[
            "train",
            "--train",
            p(tuples),
            "--model-dir",
            p(model),
            "--seed",
            "1",
            "--hp",
            "num_entity_vectors=200",
            "--hp",
            "vector_dim=32",
            "--hp",
            "epochs=5",
            "--hp",
            "mini_batch_size=500",
            "--hp",
            "learning_rate=0.01",
            "--hp",
            "random_negative_sampling_rate=5",
        ],
        None,
    );
}

/// A simulated account (10,000 records, 60 findings), its CloudTrail tuples and a model trained on them, made once
/// per run of this test binary in cargo's temporary folder and shared by the tests below.
struct Pipeline {
    sim: PathBuf,
    /// The simulator's summary line.
    summary: String,
    /// Every usable CloudTrail record as a tuple.
    ct: PathBuf,
    model: PathBuf,
}

impl Pipeline {
    fn findings(&self) -> PathBuf {
        self.sim.join("guardduty/findings.jsonl")
    }
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        // One folder, replaced by every run (a temporary folder in a static would never be removed).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("security-pipeline");
        let _ = std::fs::remove_dir_all(&dir);
        let (sim, ct, model) = (dir.join("sim"), dir.join("ct.csv"), dir.join("model"));
        let (summary, _) =
            ok(&["simulate", "--out", p(&sim), "--seed", "5", "--events", "10000", "--findings", "60"], None);
        ok(&["ingest", "cloudtrail", p(&sim.join("AWSLogs")), "--output", p(&ct)], None);
        train(&ct, &model);
        Pipeline { sim, summary, ct, model }
    })
}

/// The analyst-review threshold (1 % false positives on the training tuples) with the report it came from.
fn threshold(pipe: &Pipeline, roc: &Path) -> (String, serde_json::Value) {
    let args = [
        "threshold",
        "--model-dir",
        p(&pipe.model),
        "--normal",
        p(&pipe.ct),
        "--max-fpr",
        "0.01",
        "--min-recall",
        "0.95",
        "--json",
        "--roc",
        p(roc),
    ];
    let report: serde_json::Value = serde_json::from_str(&ok(&args, None).0).unwrap();
    (report["choices"][0]["threshold"].as_f64().unwrap().to_string(), report)
}

/// `detect` in process on the simulated findings: the records and the summary line.
fn detect_locally(pipe: &Pipeline, threshold: &str) -> (Vec<serde_json::Value>, String) {
    let findings = pipe.findings();
    let args = ["detect", "--model-dir", p(&pipe.model), "--threshold", threshold, "--training", p(&pipe.ct)];
    let (ndjson, stderr) = ok(&[&args[..], &[p(&findings)]].concat(), None);
    (records(&ndjson), stderr.lines().last().unwrap().to_string())
}

#[test]
fn ingest_cloudtrail_writes_the_tuples_the_simulator_counted() {
    let pipe = pipeline();
    assert!(pipe.summary.starts_with("CloudTrail: 10000 records by 40 users and 10 roles"), "{}", pipe.summary);
    let expected_tuples = number_before(&pipe.summary, " tuples,");
    assert_eq!(std::fs::read_to_string(&pipe.ct).unwrap().lines().count(), expected_tuples);

    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.csv");
    let (out, _) = ok(&["ingest", "cloudtrail", p(&pipe.sim.join("AWSLogs")), "--output", p(&all)], None);
    assert!(out.contains("read 10000 records from ") && out.contains("service name"), "{out}");
    assert_eq!(number_before(&out, " tuples to "), expected_tuples, "{out}");
}

#[test]
fn ingest_cloudtrail_unique_writes_each_pair_once() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let unique = dir.path().join("unique.csv");
    let (out, _) =
        ok(&["ingest", "cloudtrail", p(&pipe.sim.join("AWSLogs")), "--unique", "--output", p(&unique)], None);
    assert_eq!(number_before(&out, " tuples to "), number_before(&pipe.summary, " unique pairs"), "{out}");
}

#[test]
fn ingest_guardduty_gives_the_same_tuples_from_a_file_and_from_stdin() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let findings = pipe.findings();
    let (gd_file, gd_stdin) = (dir.path().join("gd1.csv"), dir.path().join("gd2.csv"));
    let (out, _) = ok(&["ingest", "guardduty", p(&findings), "--output", p(&gd_file)], None);
    assert!(out.contains("read 60 findings from 1 files") && out.contains("no access key details"), "{out}");
    ok(&["ingest", "guardduty", "-", "--output", p(&gd_stdin)], Some(&std::fs::read(&findings).unwrap()));
    assert_eq!(std::fs::read(&gd_file).unwrap(), std::fs::read(&gd_stdin).unwrap());
}

#[test]
fn threshold_meets_the_false_positive_and_recall_rules() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let roc = dir.path().join("roc.csv");
    let (_, report) = threshold(pipe, &roc);
    assert!(report["auc"].as_f64().unwrap() > 0.95, "{report}");
    assert_eq!(
        (&report["choices"][0]["rule"], &report["choices"][0]["target"]),
        (&"max_false_positive_rate".into(), &0.01.into())
    );
    assert!(report["choices"][0]["false_positive_rate"].as_f64().unwrap() <= 0.01, "{report}");
    assert!(report["choices"][1]["recall"].as_f64().unwrap() >= 0.95, "{report}");
    assert!(std::fs::read_to_string(&roc).unwrap().starts_with("threshold,true_positives,"));
}

#[test]
fn detect_catches_the_anomalous_findings_and_few_benign_ones() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let (threshold, _) = threshold(pipe, &dir.path().join("roc.csv"));
    let (local, summary) = detect_locally(pipe, &threshold);
    assert!(summary.starts_with("detect: 60 findings in 60 JSON values from 1 input: "), "{summary}");
    let alerts = number_before(&summary, " alert,");
    let passes = number_before(&summary, " pass,");
    let skipped = number_before(&summary, " skipped");
    assert_eq!(local.len(), alerts + passes + skipped);
    assert!(local.iter().filter(|r| r["verdict"] == "skipped").all(|r| r["skip_reason"].is_string()));

    let truth = std::fs::read_to_string(pipe.sim.join("guardduty/ground_truth.csv")).unwrap();
    let label: HashMap<(String, String), String> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[0].to_string(), f[3].to_string()), f[1].to_string())
        })
        .collect();
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for r in local.iter().filter(|r| r["verdict"] != "skipped") {
        let key = (r["finding_id"].as_str().unwrap().to_string(), r["ip"].as_str().unwrap().to_string());
        let c = counts.entry(label[&key].clone()).or_default();
        c.0 += usize::from(r["verdict"] == "alert");
        c.1 += 1;
        assert!(r["explanation"]["familiarity"]["training_events"].as_u64().unwrap() > 0, "{r}");
    }
    let (caught, anomalous) = counts["anomalous"];
    let (false_alerts, benign) = counts["benign"];
    assert!(caught as f64 >= 0.9 * anomalous as f64 && false_alerts as f64 <= 0.2 * benign as f64, "{counts:?}");
}

#[test]
fn detect_alerts_only_from_stdin_gives_the_same_alerts() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let (threshold, _) = threshold(pipe, &dir.path().join("roc.csv"));
    let (local, _) = detect_locally(pipe, &threshold);
    let findings = std::fs::read(pipe.findings()).unwrap();
    let args = ["detect", "--model-dir", p(&pipe.model), "--threshold", &threshold, "--alerts-only"];
    let only = records(&ok(&args, Some(&findings)).0);
    let alerts: Vec<_> = local.iter().filter(|r| r["verdict"] == "alert").map(|r| &r["finding_id"]).collect();
    assert!(!alerts.is_empty(), "the simulated findings should raise alerts");
    assert_eq!(only.iter().map(|r| &r["finding_id"]).collect::<Vec<_>>(), alerts);
    assert!(only.iter().all(|r| r["verdict"] == "alert"));
}

#[test]
fn detect_through_an_endpoint_gives_the_same_verdicts_and_scores() {
    let pipe = pipeline();
    let dir = tempfile::tempdir().unwrap();
    let (threshold, _) = threshold(pipe, &dir.path().join("roc.csv"));
    let (local, _) = detect_locally(pipe, &threshold);
    let ready = dir.path().join("ready.json");
    let mut server = bin()
        .args(["serve", "--model-dir", p(&pipe.model), "--port", "0", "--ready-file", p(&ready), "--exit-with-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let url = loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            let info: serde_json::Value = serde_json::from_str(&text).unwrap();
            break info["url"].as_str().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(60) && server.try_wait().unwrap().is_none(), "no server");
        std::thread::sleep(Duration::from_millis(20));
    };
    let (remote, _) = ok(&["detect", "--endpoint", &url, "--threshold", &threshold, p(&pipe.findings())], None);
    drop(server.stdin.take());
    let _ = server.wait();
    let remote = records(&remote);
    assert_eq!(remote.len(), local.len());
    for (a, b) in remote.iter().zip(&local) {
        assert_eq!((&a["finding_id"], &a["ip"], &a["verdict"]), (&b["finding_id"], &b["ip"], &b["verdict"]));
        if let (Some(x), Some(y)) = (a["dot_product"].as_f64(), b["dot_product"].as_f64()) {
            assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }
}

#[test]
fn bad_usage_and_bad_input_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (tuples, model) = (dir.path().join("t.csv"), dir.path().join("model"));
    let rows: String = (0..200).map(|i| format!("AIDAALICE,10.1.2.{}\n", i % 250)).collect();
    std::fs::write(&tuples, rows).unwrap();
    train(&tuples, &model);
    let m = p(&model);

    let both = run(&["detect", "--model-dir", m, "--endpoint", "http://127.0.0.1:9", "--threshold", "0"], None);
    assert_eq!(both.status.code(), Some(2));
    let neither = run(&["detect", "--threshold", "0"], None);
    assert_eq!(neither.status.code(), Some(2));
    assert_eq!(run(&["ingest", "cloudtrail", p(&tuples)], None).status.code(), Some(2), "--output is required");

    let missing = run(&["detect", "--model-dir", m, "--threshold", "0", "/nonexistent/findings.json"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/findings.json"));

    // Broken JSON: records before it are printed, then the error names the stream and line.
    let event = r#"{"id": "f1", "resource": {"accessKeyDetails": {"principalId": "AIDAALICE"}}, "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "10.1.2.3"}}}}}"#;
    let broken =
        run(&["detect", "--model-dir", m, "--threshold", "0"], Some(format!("{event}\n{{\"id\": ,\n").as_bytes()));
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(records(&String::from_utf8_lossy(&broken.stdout)).len(), 1);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("error: stdin: invalid JSON at line 2"), "{stderr}");
    assert!(stderr.contains("detect: 1 findings in 1 JSON values"), "{stderr}");

    let bad_findings = dir.path().join("bad.json");
    std::fs::write(&bad_findings, "[1, 2]").unwrap();
    let out = run(&["ingest", "guardduty", p(&bad_findings), "--output", p(&dir.path().join("o.csv"))], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(&["simulate", "--out", p(&dir.path().join("s")), "--users", "0"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("users"));

    // A rule's target out of range is a usage error naming the flag, refused before anything is scored.
    let out = run(&["threshold", "--model-dir", m, "--normal", p(&tuples), "--min-recall", "1.5"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid value '1.5' for '--min-recall <RECALL>'"), "{stderr}");
}

#[test]
fn ingest_applies_the_entity_rule_and_counts_blank_principals() {
    let dir = tempfile::tempdir().unwrap();
    let record = |principal: &str, ip: &str| {
        format!(r#"{{"userIdentity": {{"principalId": "{principal}"}}, "sourceIPAddress": "{ip}"}}"#)
    };
    let log = format!(
        r#"{{"Records": [{}, {}, {}, {}]}}"#,
        record(" AROAALICE", "10.0.0.1"),
        record("AROAALICE\\t:session", "10.0.0.2"),
        record("   ", "10.0.0.3"),
        record("AROAROLE:s", "ec2.amazonaws.com")
    );
    let (logs, csv) = (dir.path().join("log.json"), dir.path().join("ct.csv"));
    std::fs::write(&logs, log).unwrap();
    let (out, _) = ok(&["ingest", "cloudtrail", p(&logs), "--output", p(&csv)], None);
    assert!(out.contains("skipped 2 records: 1 service name, 1 blank principal"), "{out}");
    assert!(out.contains("; 1 role-session records counted as their role"), "{out}");
    assert!(out.contains("wrote 2 tuples to "), "{out}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "AROAALICE,10.0.0.1\nAROAALICE,10.0.0.2\n");

    let finding = r#"{"id": "f1", "resource": {"accessKeyDetails": {"principalId": " alice "}}, "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "10.0.0.9"}}}}}
{"id": "f2", "resource": {"accessKeyDetails": {"principalId": " "}}, "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "10.0.0.8"}}}}}"#;
    let gd = dir.path().join("gd.csv");
    let (out, _) = ok(&["ingest", "guardduty", "-", "--output", p(&gd)], Some(finding.as_bytes()));
    assert!(out.contains("skipped 1 findings: 1 blank principal"), "{out}");
    assert_eq!(std::fs::read_to_string(&gd).unwrap(), "alice,10.0.0.9\n");

    // A file that cannot be written is an error naming it.
    let nowhere = dir.path().join("no/such/dir/out.csv");
    let failed = run(&["ingest", "cloudtrail", p(&logs), "--output", p(&nowhere)], None);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains(&format!("cannot write {}", nowhere.display())), "{stderr}");
}
