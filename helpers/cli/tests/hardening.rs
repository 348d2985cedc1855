//! Hostile and careless inputs to the `ipinsights` command: each ends in a clear error or a correct answer,
//! within the memory goal, never an abort.

mod bounded;

#[test]
fn a_bounded_run_reports_its_peak_memory() {
    let run = bounded::run(&["--version"]);
    run.assert_bounded("ipinsights --version");
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.peak_rss_mib > 0.0, "ru_maxrss read as {}", run.peak_rss_mib);
}
