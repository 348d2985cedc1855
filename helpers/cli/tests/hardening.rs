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

/// A small model and the tuples it was trained on, made by the binary in a temporary folder.
#[cfg(test)]
mod model {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// Writes `rows` tuples of 50 users from four /16 networks to `path`.
    pub fn write_tuples(path: &Path, rows: usize) {
        let text: String =
            (0..rows).map(|i| format!("user{},10.{}.{}.{}\n", i % 50, i % 4, i % 251, i % 253)).collect();
        std::fs::write(path, text).unwrap();
    }

    /// Trains a vector_dim 16 model in `dir`; returns its folder.
    pub fn train(dir: &Path) -> PathBuf {
        let (train, model) = (dir.join("train.csv"), dir.join("model"));
        write_tuples(&train, 2000);
        let hp = ["vector_dim=16", "num_entity_vectors=100", "epochs=1"];
        let mut command = Command::new(env!("CARGO_BIN_EXE_ipinsights"));
        command.arg("train").arg("--train").arg(&train).arg("--model-dir").arg(&model);
        for value in hp {
            command.args(["--hp", value]);
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        model
    }
}

/// `transform` reads inputs as a batch transform job reads an S3 prefix (regular files only, no link followed,
/// FIFOs and devices never opened, each left-out entry reported) and streams its output (issue 20, rows 6 and 7).
mod transform {
    use super::{bounded, model};
    use std::path::Path;
    use std::time::Duration;

    /// Long enough for a debug build on a busy machine, short enough that a hang fails the test.
    const HANG: Duration = Duration::from_secs(90);

    fn p(path: &Path) -> &str {
        path.to_str().unwrap()
    }

    /// The `.out` files under `dir`, relative, sorted.
    fn outputs(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut folders = vec![dir.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
                if kind.is_dir() {
                    folders.push(path);
                } else {
                    found.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        found
    }

    /// A folder `in` holding one input file, beside a model; returns (model, input folder, output folder).
    fn job(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
        let model = model::train(dir);
        let input = dir.join("in");
        std::fs::create_dir(&input).unwrap();
        std::fs::write(input.join("a.csv"), "user1,10.0.0.1\nuser2,10.1.0.1\n").unwrap();
        (model, input, dir.join("out"))
    }

    fn transform(model: &Path, input: &Path, output: &Path) -> bounded::Bounded {
        let args = ["transform", "--model-dir", p(model), "--input", p(input), "--output-dir", p(output)];
        bounded::run_within(&args, HANG)
    }

    #[test]
    fn a_self_link_is_reported_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (model, input, output) = job(dir.path());
        std::os::unix::fs::symlink(".", input.join("loop")).unwrap();
        let run = transform(&model, &input, &output);
        run.assert_bounded("a self-link");
        assert!(run.status.success(), "{}", run.stderr);
        assert_eq!(outputs(&output), ["a.csv.out"], "one input file, one output");
        assert!(run.stdout.contains("Skipped 1 entries that are not input files"), "{}", run.stdout);
        assert!(run.stdout.contains("loop: symbolic link (not followed)"), "{}", run.stdout);
    }

    #[test]
    fn two_self_links_do_not_make_the_walk_explode() {
        let dir = tempfile::tempdir().unwrap();
        let (model, input, output) = job(dir.path());
        std::os::unix::fs::symlink(".", input.join("x")).unwrap();
        std::os::unix::fs::symlink(".", input.join("y")).unwrap();
        let run = transform(&model, &input, &output);
        run.assert_bounded("two self-links");
        assert!(run.status.success(), "{}", run.stderr);
        assert_eq!(outputs(&output), ["a.csv.out"]);
        assert!(run.stdout.contains("Skipped 2 entries that are not input files: 2 symbolic link"), "{}", run.stdout);
    }

    #[test]
    fn a_fifo_is_reported_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let (model, input, output) = job(dir.path());
        let fifo = input.join("pipe.csv");
        let name = std::ffi::CString::new(p(&fifo)).unwrap();
        // SAFETY: mkfifo reads one NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "{}", std::io::Error::last_os_error());
        let run = transform(&model, &input, &output);
        run.assert_bounded("a FIFO in the input folder");
        assert!(run.status.success(), "{}", run.stderr);
        assert_eq!(outputs(&output), ["a.csv.out"]);
        assert!(run.stdout.contains("pipe.csv: FIFO (not a regular file)"), "{}", run.stdout);
        // Named as the input itself, it is refused, not opened.
        let run = transform(&model, &fifo, &dir.path().join("out2"));
        run.assert_refused("a FIFO as the input", "is a FIFO (not a regular file): give a regular file or a folder");
    }

    #[test]
    fn a_link_to_dev_zero_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let (model, input, output) = job(dir.path());
        std::os::unix::fs::symlink("/dev/zero", input.join("zero.csv")).unwrap();
        let run = transform(&model, &input, &output);
        run.assert_bounded("a link to /dev/zero");
        assert!(run.status.success(), "{}", run.stderr);
        assert_eq!(outputs(&output), ["a.csv.out"]);
        assert!(run.stdout.contains("zero.csv: symbolic link (not followed)"), "{}", run.stdout);
        // Nothing to read at all: a clear error that still reports what was left out.
        std::fs::remove_file(input.join("a.csv")).unwrap();
        let run = transform(&model, &input, &dir.path().join("out2"));
        run.assert_refused("only a link to /dev/zero", "no input files under");
        assert!(run.stderr.contains("zero.csv: symbolic link (not followed)"), "{}", run.stderr);
    }

    #[test]
    fn option_errors_name_the_flag_and_its_range() {
        let dir = tempfile::tempdir().unwrap();
        let (model, input, output) = job(dir.path());
        let args = ["transform", "--model-dir", p(&model), "--input", p(&input), "--output-dir", p(&output)];
        for (extra, needle) in [
            (["--max-payload", "0"], "invalid --max-payload \"0\": batch transform takes 1 to 100 MB per request"),
            (["--max-payload", "101"], "invalid --max-payload \"101\": batch transform takes 1 to 100 MB"),
            (["--split-type", "RecordIO"], "invalid --split-type \"RecordIO\": use one of Line, None"),
            (["--strategy", "Many"], "invalid --strategy \"Many\": use one of MultiRecord, SingleRecord"),
        ] {
            bounded::run(&[&args[..], &extra[..]].concat()).assert_refused(&extra.join(" "), needle);
        }
    }

    /// A 99 MiB CSV object of short records sent as one request (`--split-type None`, `--max-payload 100`): its
    /// records are decoded a block of lines at a time (the code this replaced held all 10.4 million pairs, 620 MiB).
    #[test]
    fn a_100_mb_request_of_short_records_is_decoded_a_block_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let input = dir.path().join("short.csv");
        std::fs::write(&input, "a,1.1.1.1\n".repeat(10_400_000)).unwrap();
        let output = dir.path().join("out");
        let args = ["transform", "--model-dir", p(&model), "--input", p(&input), "--output-dir", p(&output)];
        let run = bounded::run_within(&[&args[..], &["--split-type", "None", "--max-payload", "100"]].concat(), HANG);
        println!("one 99 MiB request of 10.4 million records: peak RSS {:.0} MiB", run.peak_rss_mib);
        run.assert_bounded("one 99 MiB request of short records");
        assert!(run.status.success(), "{}", run.stderr);
        assert!(run.stdout.contains("short.csv: 10400000 records in 1 request"), "{}", run.stdout);
    }

    /// One IPv4-only rule: an IPv4-mapped address is IPv6 notation, refused by `transform --ipv4-only` as
    /// `train --ipv4-only` refuses it, naming the line (the code this replaced scored it as 1.2.3.4).
    #[test]
    fn ipv4_only_refuses_a_mapped_address_as_train_does() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let tuples = dir.path().join("mapped.csv");
        std::fs::write(&tuples, "user1,10.0.0.1\nuser2,::ffff:1.2.3.4\n").unwrap();
        let ipv4_only = "SageMaker's IP Insights takes IPv4 addresses only";
        let other_model = dir.path().join("m2");
        let train = ["train", "--train", p(&tuples), "--model-dir", p(&other_model), "--ipv4-only"];
        let run = bounded::run(&[&train[..], &["--hp", "vector_dim=8", "--hp", "num_entity_vectors=10"]].concat());
        run.assert_refused("train --ipv4-only", &format!("{}:2: IPv6 address ::ffff:1.2.3.4: {ipv4_only}", p(&tuples)));
        let events = dir.path().join("events.jsonl");
        let output = dir.path().join("out");
        let args = ["transform", "--model-dir", p(&model), "--input", p(&tuples), "--output-dir", p(&output)];
        let run = bounded::run(&[&args[..], &["--ipv4-only", "--events", p(&events)]].concat());
        run.assert_refused("transform --ipv4-only", "input mapped.csv, line 2: IPv6 address \"::ffff:1.2.3.4\"");
        assert!(run.stderr.contains(ipv4_only), "{}", run.stderr);
        let last = std::fs::read_to_string(&events).unwrap().lines().last().unwrap().to_string();
        assert!(last.contains("\"failed\"") && last.contains("line 2: IPv6 address"), "{last}");
        assert!(!output.join("mapped.csv.out").exists(), "no output for a failed object");
        // Without --ipv4-only the local engine reads it as 1.2.3.4.
        let run = bounded::run(&args);
        run.assert_bounded("transform of a mapped address");
        assert!(run.status.success(), "{}", run.stderr);
    }

    /// 20 MB of CSV answered verbosely at vector_dim 16 (412 MB of JSON lines): the code this replaced held the
    /// whole output, 634 MiB at its peak; streamed, memory is one request's.
    #[test]
    fn a_verbose_transform_of_20_mb_streams_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let input = dir.path().join("big.csv");
        let mut text = String::with_capacity(20_100_000);
        let mut records = 0u64;
        while text.len() < 20_000_000 {
            let i = records as usize;
            text.push_str(&format!("user{},{}.{}.{}.{}\n", i % 80, i % 223 + 1, i % 251, i % 241, i % 239));
            records += 1;
        }
        std::fs::write(&input, text).unwrap();
        let output = dir.path().join("out");
        let accept = "application/jsonlines; verbose=True";
        let args = [
            "transform",
            "--model-dir",
            p(&model),
            "--input",
            p(&input),
            "--output-dir",
            p(&output),
            "--accept",
            accept,
        ];
        let run = bounded::run_within(&args, Duration::from_secs(600));
        println!("verbose transform of 20 MB (vector_dim 16): peak RSS {:.0} MiB", run.peak_rss_mib);
        run.assert_bounded("a verbose transform of 20 MB");
        assert!(run.status.success(), "{}", run.stderr);
        assert!(run.peak_rss_mib < 200.0, "peak RSS {:.0} MiB: the output is not streamed", run.peak_rss_mib);
        assert_eq!(outputs(&output), ["big.csv.out"], "no temporary file left");
        let out = std::fs::read(output.join("big.csv.out")).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count() as u64, records, "one answer line per record");
        let first = out.split(|&b| b == b'\n').next().unwrap();
        let first: serde_json::Value = serde_json::from_slice(first).unwrap();
        assert_eq!(first["entity_embedding"].as_array().map(Vec::len), Some(16), "{first}");
    }
}

/// `threshold` bounds its knobs before allocating and names the flag that is out of range (issue 20, row 8).
mod threshold {
    use super::{bounded, model};
    use std::path::Path;

    fn p(path: &Path) -> &str {
        path.to_str().unwrap()
    }

    /// Normal tuples: one with an entity of `bytes` bytes, then `ordinary` ordinary ones.
    fn normal_with_entity_of(path: &Path, bytes: usize, ordinary: usize) {
        let mut text = format!("{},10.0.0.1\n", "E".repeat(bytes));
        text.extend((0..ordinary).map(|i| format!("user{i},10.0.0.{i}\n")));
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_long_entity_is_not_copied_into_every_anomaly() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let normal = dir.path().join("normal.csv");
        normal_with_entity_of(&normal, 1 << 20, 1);
        // 10,000 simulated anomalies (the default), about half of them drawing the 1 MiB entity.
        let run = bounded::run(&["threshold", "--model-dir", p(&model), "--normal", p(&normal), "--json"]);
        run.assert_bounded("a 1 MiB entity and 10,000 simulated anomalies");
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!("no report ({e}); stderr: {}", run.stderr);
        });
        assert_eq!((report["normal"].as_u64(), report["anomalous"].as_u64()), (Some(2), Some(10_000)));
    }

    #[test]
    fn an_entity_longer_than_one_request_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let normal = dir.path().join("normal.csv");
        normal_with_entity_of(&normal, 6_291_457, 20);
        let run = bounded::run(&["threshold", "--model-dir", p(&model), "--normal", p(&normal)]);
        run.assert_refused("an entity of 6 MiB + 1 byte", "--random-anomalies 10000 from --normal");
        assert!(run.stderr.contains("normal tuple 1: its entity is 6291457 bytes"), "{}", run.stderr);
    }

    #[test]
    fn random_anomalies_is_bounded_and_its_errors_name_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let model = model::train(dir.path());
        let normal = dir.path().join("normal.csv");
        model::write_tuples(&normal, 100);
        let threshold = |extra: &[&str]| {
            let mut args = vec!["threshold", "--model-dir", p(&model), "--normal", p(&normal)];
            args.extend_from_slice(extra);
            bounded::run(&args)
        };
        let run = threshold(&["--random-anomalies", "100000000"]);
        run.assert_refused("--random-anomalies 100000000", "'--random-anomalies <RANDOM_ANOMALIES>'");
        assert!(run.stderr.contains("1..=1000000"), "{}", run.stderr);
        let run = threshold(&["--random-anomalies", "0"]);
        run.assert_refused("--random-anomalies 0", "'--random-anomalies <RANDOM_ANOMALIES>'");
        assert!(!run.stderr.contains("random_ip_anomalies"), "a Rust function is no hint: {}", run.stderr);
        let run = threshold(&["--max-fpr", "2"]);
        run.assert_refused("--max-fpr 2", "invalid value '2' for '--max-fpr <RATE>': give a share");
        let run = threshold(&["--min-recall", "0"]);
        run.assert_refused("--min-recall 0", "invalid value '0' for '--min-recall <RECALL>': give a share");
        let run = threshold(&["--random-anomalies", "1000000", "--json"]);
        run.assert_bounded("the largest --random-anomalies");
        assert!(run.stdout.contains("\"anomalous\": 1000000"), "{}{}", run.stdout, run.stderr);
    }
}
