//! The load generator runs its phases against a live server and reports them.

use std::process::Command;

use std::time::Duration;

use ipinsights_server::{ServerConfig, Timeouts};

use crate::common::{model, start, start_with};

#[test]
fn loadgen_reports_every_phase_without_errors() {
    let server = start();
    let output = Command::new(env!("CARGO_BIN_EXE_ipinsights-loadgen"))
        .args(["--url", &server.url(), "--server-pid", &std::process::id().to_string()])
        .args(["--big-requests", "1", "--clients", "8", "--latency-requests", "400", "--sustained-requests", "800"])
        .args(["--max-seconds", "60"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("throughput: 1 CSV requests"), "{stdout}");
    assert!(stdout.contains("latency: 8 clients, 400 1-pair requests"), "{stdout}");
    assert!(stdout.contains("sustained: 8 clients, 800 1-pair requests"), "{stdout}");
    assert!(stdout.contains(" 0 errors"), "{stdout}");
    assert!(stdout.contains("server RSS: ") && !stdout.contains("n/a"), "{stdout}");
}

#[test]
fn loadgen_refuses_non_loopback_targets() {
    let output = Command::new(env!("CARGO_BIN_EXE_ipinsights-loadgen"))
        .args(["--url", "http://10.0.0.1:8080"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("only loopback"));
}

/// Runs the load generator against `url` with a 1 s header timeout expected; its stdout.
fn loadgen(url: &str, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ipinsights-loadgen"))
        .args(["--url", url, "--server-pid", &std::process::id().to_string(), "--header-timeout", "1"])
        .args(["--big-requests", "1", "--latency-requests", "100", "--sustained-requests", "0"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn one_second_heads() -> ServerConfig {
    ServerConfig {
        timeouts: Timeouts { header_read: Duration::from_secs(1), ..Timeouts::default() },
        ..ServerConfig::localhost(0)
    }
}

#[test]
fn soak_mixes_every_kind_of_request_without_unexpected_outcomes() {
    let server = start_with(one_second_heads(), model());
    let stdout = loadgen(&server.url(), &["--soak-seconds", "4", "--clients", "16"]);
    for needle in [
        "soak: 16 clients for 4 s",
        "1-pair requests served: ",
        "100-pair requests served: ",
        "malformed bodies refused with 400: ",
        "oversize bodies refused with 413: ",
        "slowloris connections closed by the server: ",
        "slow bodies served: ",
        ", 0 unexpected",
        "soak: 1-pair latency: p50 ",
        "soak: server RSS ",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }
    assert!(!stdout.contains("UNEXPECTED"), "{stdout}");
}

#[test]
fn half_open_connections_are_all_closed_while_normal_requests_are_answered() {
    let server = start_with(one_second_heads(), model());
    let stdout = loadgen(&server.url(), &["--half-open", "300", "--clients", "4"]);
    for needle in [
        "half-open: 300 of 300 connections held open",
        "50 normal 1-pair requests meanwhile",
        " 0 errors",
        "300 of 300 closed by the server",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }
}

#[test]
fn slow_uploads_phase_reports_1_mib_requests_answered_beside_them() {
    let server = start();
    let stdout = loadgen(&server.url(), &["--slow-uploads", "16", "--clients", "4"]);
    for needle in [
        "slow uploads: 16 connections each declared 6291456 bytes and sent 10",
        "slow uploads: 20 requests of 1 MiB (",
        "slow uploads: 20 requests of 1 MiB beside them: p50 ",
        ", 0 not answered 200",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }
    println!("{stdout}");
}
