//! Benchmark (printed, not asserted): the simulated account's CloudTrail (about 2,000 objects) read from the emulated
//! S3 on loopback and from disk — records/s and objects/s, our CPU time against the wall time (which side is the
//! bound), and resident memory as the number of files grows. Asserts only that both give the same tuples.

use std::path::Path;
use std::time::Instant;

use ipinsights_account::{read_trail, ReadOptions, TrailSource};
use ipinsights_security_logs::{read_cloudtrail, TupleMode};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_test_support::account::AccountEmulator;
use ipinsights_test_support::block_on;

const BUCKET: &str = "simulated-trail";

/// (user + system CPU seconds, resident MB now, peak resident MB) of this process, from /proc.
fn usage() -> (f64, f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let cpu = (ticks(11) + ticks(12)) / 100.0; // utime, stime (fields 14, 15) at 100 ticks/s
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (cpu, kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// Uploads every file under `root/folder` with its path from `root` as the key, 16 at a time.
fn upload_tree(emu: &AccountEmulator, root: &Path, folder: &str) -> usize {
    let files = ipinsights_test_support::files_below(root, &root.join(folder));
    let s3 = emu.s3();
    block_on(async {
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        for batch in files.chunks(16) {
            let puts = batch.iter().map(|(path, key)| {
                let body = std::fs::read(path).unwrap();
                s3.put_object().bucket(BUCKET).key(key).body(body.into()).send()
            });
            for put in futures_util::future::join_all(puts).await {
                put.unwrap();
            }
        }
    });
    files.len()
}

#[test]
fn simulated_account_from_s3_and_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulate_account(&SimConfig::default(), dir.path()).unwrap();
    let emu = AccountEmulator::start();
    let uploaded = upload_tree(&emu, dir.path(), "AWSLogs");
    let prefix_dir = sim.cloudtrail_dir.clone();

    let (cpu0, _, _) = usage();
    let start = Instant::now();
    let disk = read_cloudtrail(&prefix_dir, TupleMode::AllEvents).unwrap();
    let disk_secs = start.elapsed().as_secs_f64();
    let disk_cpu = usage().0 - cpu0;

    let first = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(SimConfig::default().start_unix_secs),
    )
    .to_string();
    let first_day = &first[..10];
    let last = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(
                SimConfig::default().start_unix_secs + 86_400 * u64::from(SimConfig::default().days),
            ),
    )
    .to_string();
    let source = TrailSource::new(BUCKET, first_day, &last[..10]).unwrap();

    // Memory as files grow: unique pairs keep the output small, so what grows is what the reader holds.
    let one_day = TrailSource::new(BUCKET, first_day, first_day).unwrap();
    let unique = ReadOptions { mode: TupleMode::UniquePairs, ..ReadOptions::default() };
    let small = read_trail(&emu.cfg(), &one_day, &unique, &mut |_| {}).unwrap();
    let (_, rss_small, peak_small) = usage();
    let all_unique = read_trail(&emu.cfg(), &source, &unique, &mut |_| {}).unwrap();
    let (_, rss_all, peak_all) = usage();

    for concurrency in [1, 32] {
        let (cpu0, server0) = (usage().0, emu.cpu_seconds());
        let options = ReadOptions { concurrency, ..ReadOptions::default() };
        let read = read_trail(&emu.cfg(), &source, &options, &mut |_| {}).unwrap();
        let (cpu, server) = (usage().0 - cpu0, emu.cpu_seconds() - server0);
        let secs = read.elapsed.as_secs_f64();
        assert_eq!(read.extract.tuples, disk.tuples);
        println!(
            "BENCH cloudtrail from emulated S3, concurrency {concurrency:>2}: {} objects, {} records in {secs:.2} s = \
             {:.0} objects/s, {:.0} records/s; CPU: ours {cpu:.2} s ({:.0} % of wall), the server's {server:.2} s \
             ({:.0} % of wall, one Python process): {} bound",
            read.objects,
            read.extract.records,
            read.objects as f64 / secs,
            read.extract.records as f64 / secs,
            100.0 * cpu / secs,
            100.0 * server / secs,
            if server > cpu { "server" } else { "client" }
        );
    }
    println!(
        "BENCH cloudtrail from disk: {} files, {} records in {disk_secs:.2} s = {:.0} files/s, {:.0} records/s (CPU {disk_cpu:.2} s)",
        disk.files,
        disk.records,
        disk.files as f64 / disk_secs,
        disk.records as f64 / disk_secs
    );
    println!(
        "BENCH memory (unique pairs): 1 day, {} objects: RSS {rss_small:.0} MB (peak {peak_small:.0}); {} days, {} objects: RSS {rss_all:.0} MB (peak {peak_all:.0}); {} objects uploaded",
        small.objects,
        all_unique.days,
        all_unique.objects,
        uploaded
    );
}
