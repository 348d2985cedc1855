//! Benchmark (printed; asserts only that both paths give the same tuples): a scaled-up simulated organisation trail
//! (`ATHENA_BENCH_ACCOUNTS` accounts, default 2, each the simulated account's 8 days, alternately in us-east-1 and
//! eu-west-1) read object by object from the emulated S3 and through the emulated Athena — objects the notebook
//! fetches, wall time, and (`ATHENA_BENCH_PATHS=s3` or `athena` for one path per process) how much this process's peak resident memory grew during each read (the peak is reset before each).

use crate::athena::{assert_same, buckets, options, upload_simulated, BUCKET, FIRST_DAY, LAST_DAY, ORG};
use ipinsights_test_support::account::AccountEmulator;

use std::time::Instant;

use ipinsights_account::{read_trail, read_trail_athena, AthenaOptions, ReadOptions, TrailSource};
use ipinsights_security_logs::TupleMode;

/// Resets this process's peak resident memory (`VmHWM`) to its current size (Linux: `/proc/self/clear_refs`) and
/// returns that size in MB.
fn reset_peak() -> f64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS (/proc/self/clear_refs)");
    status_mb("VmRSS:")
}

/// A memory line of `/proc/self/status` (`VmHWM:` the peak since the last reset), in MB.
fn status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[test]
fn athena_against_s3_on_a_scaled_trail() {
    let accounts: usize = std::env::var("ATHENA_BENCH_ACCOUNTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let emu = AccountEmulator::start();
    buckets(&emu);
    let start = Instant::now();
    let mut objects = 0;
    for i in 0..accounts {
        let region = if i % 2 == 0 { "us-east-1" } else { "eu-west-1" };
        objects += upload_simulated(&emu, &format!("{:012}", 100_000_000_000 + i), region, i as u64 + 1);
    }
    println!("BENCH athena: {accounts} accounts, {objects} objects uploaded in {:.0} s", start.elapsed().as_secs_f64());
    let source = TrailSource::new(BUCKET, FIRST_DAY, LAST_DAY).unwrap().organization(ORG).all_accounts();
    let paths = std::env::var("ATHENA_BENCH_PATHS").unwrap_or_else(|_| "s3,athena".into());
    for mode in [TupleMode::UniquePairs, TupleMode::AllEvents] {
        let mut s3_extract = None;
        if paths.contains("s3") {
            let base = reset_peak();
            let options = ReadOptions { mode, ..ReadOptions::default() };
            let s3 = read_trail(&emu.cfg(), &source, &options, &mut |_| {}).unwrap();
            println!(
                "BENCH {mode:?}: S3 reader: {} objects fetched ({:.1} MB) in {:.1} s, peak RSS +{:.0} MB over {base:.0} \
                 MB; {} records, {} tuples, {} pairs",
                s3.objects,
                s3.bytes as f64 / 1e6,
                s3.elapsed.as_secs_f64(),
                status_mb("VmHWM:") - base,
                s3.extract.records,
                s3.extract.tuples.len(),
                s3.extract.unique_pairs
            );
            s3_extract = Some(s3.extract);
        }
        if paths.contains("athena") {
            let base = reset_peak();
            let athena =
                read_trail_athena(&emu.cfg(), &source, &AthenaOptions { mode, ..options() }, &mut |_| {}).unwrap();
            println!(
                "BENCH {mode:?}: Athena: 1 result object ({} rows, {:.2} MB; {:.1} MB scanned by the engine, about \
                 US$ {:.5}) in {:.1} s (engine {:.1} s), peak RSS +{:.0} MB over {base:.0} MB; {} records, {} \
                 tuples, {} pairs",
                athena.rows,
                athena.result_bytes as f64 / 1e6,
                athena.scanned_bytes as f64 / 1e6,
                athena.cost_usd(),
                athena.elapsed.as_secs_f64(),
                athena.engine_time.as_secs_f64(),
                status_mb("VmHWM:") - base,
                athena.extract.records,
                athena.extract.tuples.len(),
                athena.extract.unique_pairs
            );
            if let Some(s3) = &s3_extract {
                assert_same(&athena.extract, s3);
            }
        }
    }
}
