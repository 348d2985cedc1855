//! The load generator runs its phases against a live server and reports them.

use std::process::Command;

use crate::common::start;

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
