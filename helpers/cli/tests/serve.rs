//! `ipinsights serve` as a child process, and `predict --endpoint` against it: the same scores as offline.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

use ipinsights_contract::ReadyRecord;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipinsights"))
}

fn run_ok(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn wait_for_file(path: &Path, child: &mut Child) -> ReadyRecord {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return ipinsights_contract::decode(&text, "ready file")
                .expect("the ready file is a complete ready record");
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited before it was ready");
        assert!(started.elapsed() < Duration::from_secs(60), "the server never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn endpoint_scores_equal_offline_scores_and_it_stops_with_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = dir.path().join("model");
    run_ok(&["generate", "--users", "40", "--test-samples", "200", "--out", p(&data)]);
    run_ok(&[
        "train",
        "--train",
        p(&data.join("train.csv")),
        "--model-dir",
        p(&model),
        "--hp",
        "num_entity_vectors=100",
        "--hp",
        "vector_dim=16",
        "--hp",
        "epochs=1",
    ]);
    let ready = dir.path().join("ready.json");
    let mut child = bin()
        .args([
            "serve",
            "--model-dir",
            p(&model),
            "--port",
            "0",
            "--name",
            "e2e",
            "--ready-file",
            p(&ready),
            "--exit-with-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let info = wait_for_file(&ready, &mut child);
    assert_eq!(info.endpoint_name, "e2e");
    assert_eq!(info.pid, child.id());
    let url = info.url;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let test = data.join("test.csv");
    let offline = run_ok(&["predict", "--model-dir", p(&model), "--input", p(&test)]);
    let online = run_ok(&["predict", "--endpoint", &url, "--input", p(&test)]);
    let runtime_path = run_ok(&["predict", "--endpoint", &format!("{url}/endpoints/e2e"), "--input", p(&test)]);
    assert_eq!(online.lines().count(), 401);
    let parse = |text: &str| -> Vec<(String, f32)> {
        text.lines()
            .skip(1)
            .map(|l| {
                let (key, score) = l.rsplit_once(',').unwrap();
                (key.to_string(), score.parse().unwrap())
            })
            .collect()
    };
    for ((a, x), (b, y)) in parse(&offline).iter().zip(parse(&online)) {
        assert_eq!(*a, b);
        assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{a}: {x} vs {y}");
    }
    assert_eq!(online, runtime_path);
    let wrong_name =
        bin().args(["predict", "--endpoint", &format!("{url}/endpoints/other"), "--input", p(&test)]).output().unwrap();
    assert_eq!(wrong_name.status.code(), Some(1));

    // Closing stdin (what happens when the parent process exits) stops the server.
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn listening_beyond_loopback_needs_allow_remote_and_warns() {
    let missing = std::env::temp_dir().join("ipinsights-no-such-model-dir");
    let refused =
        bin().args(["serve", "--model-dir", p(&missing), "--host", "0.0.0.0", "--port", "0"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("refusing to listen on 0.0.0.0:0") && stderr.contains("--allow-remote"), "{stderr}");
    assert!(!stderr.contains(p(&missing)), "refused before anything was loaded: {stderr}");

    let allowed = bin()
        .args(["serve", "--model-dir", p(&missing), "--host", "0.0.0.0", "--port", "0", "--allow-remote"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert!(stderr.contains("warning: listening on 0.0.0.0:0 beyond this machine"), "{stderr}");
    assert!(stderr.contains("no authentication"), "{stderr}");
}

/// Runs `serve` with `flags` (no model: a refused flag stops it before loading) and returns its exit code and
/// standard error.
fn refused_flags(flags: &[&str]) -> (Option<i32>, String) {
    let missing = std::env::temp_dir().join("ipinsights-no-such-model-dir");
    let out = bin().args(["serve", "--model-dir", p(&missing), "--port", "0"]).args(flags).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn timeout_flags_name_themselves_and_their_range() {
    for (flag, value) in [
        ("--invocation-timeout", "4000000000"),
        ("--header-timeout", "0.0001"),
        ("--idle-timeout", "0"),
        ("--header-timeout", "nan"),
    ] {
        let (code, stderr) = refused_flags(&[flag, value]);
        assert_eq!(code, Some(2), "{flag} {value}: {stderr}");
        let want = format!("{flag} takes a number of seconds from 1 to 3600, not \"{value}\"");
        assert!(stderr.contains(&want), "{flag} {value}: {stderr}");
    }
}

#[test]
fn endpoint_names_follow_sagemakers_rule() {
    for name in ["../x y", "-local", "local-", "a_b", &"a".repeat(64)] {
        let (code, stderr) = refused_flags(&[&format!("--name={name}")]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(&format!("invalid endpoint name `{name}`")), "{name}: {stderr}");
        assert!(stderr.contains("letters, digits and hyphens"), "{name}: {stderr}");
    }
    // A valid name passes the flag check and the run stops only at the missing model.
    let (code, stderr) = refused_flags(&["--name", "my-endpoint-1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("invalid endpoint name"), "{stderr}");
}
