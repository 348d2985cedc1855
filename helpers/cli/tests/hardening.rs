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

/// Model files: read header first and streamed, so hostile sizes cost neither memory nor time; weights bounded so
/// every score is finite (issue 20, rows 4 and 5).
mod model_files {
    use super::bounded;
    use ipinsights_engine::{IpInsightsParams, Model};
    use std::io::Write;
    use std::path::Path;

    /// A tar header (GNU, regular file) for `name` claiming `size` bytes.
    fn tar_header(name: &str, size: u64) -> [u8; 512] {
        let mut block = [0u8; 512];
        block[..name.len()].copy_from_slice(name.as_bytes());
        block[100..108].copy_from_slice(b"0000644\0");
        let digits = format!("{size:011o}");
        assert_eq!(digits.len(), 11, "sizes up to 8 GiB");
        block[124..135].copy_from_slice(digits.as_bytes());
        block[136..148].copy_from_slice(b"00000000000\0");
        block[156] = b'0';
        block[257..265].copy_from_slice(b"ustar  \0");
        block[148..156].fill(b' ');
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        block
    }

    /// A gzip stream of `prefix` followed by `zeros_mib` MiB of zeros, built in milliseconds: one sync-flushed
    /// deflate block of a MiB of zeros (which only refers back to zeros) is repeated. The trailer is right for
    /// streams up to 16 MiB (a reader may get that far); bigger bombs get a zero trailer (checking them would
    /// cost the test seconds, and no reader should get that far).
    fn gzip_with_zeros(prefix: &[u8], zeros_mib: u64) -> Vec<u8> {
        let mib = vec![0u8; 1 << 20];
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        deflate.write_all(prefix).unwrap();
        deflate.write_all(&mib).unwrap();
        deflate.flush().unwrap();
        let first = deflate.get_ref().len();
        deflate.write_all(&mib).unwrap();
        deflate.flush().unwrap();
        let block = deflate.get_ref()[first..].to_vec();
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        out.extend(&deflate.get_ref()[..first]);
        for _ in 1..zeros_mib {
            out.extend(&block);
        }
        out.extend([0x03, 0x00]); // the final, empty block
        let mut crc = flate2::Crc::new();
        if zeros_mib <= 16 {
            crc.update(prefix);
            (0..zeros_mib).for_each(|_| crc.update(&mib));
        }
        out.extend(crc.sum().to_le_bytes());
        out.extend(((prefix.len() as u64 + (zeros_mib << 20)) as u32).to_le_bytes());
        out
    }

    /// A file of one line to score.
    fn input(dir: &Path) -> String {
        let path = dir.join("in.csv");
        std::fs::write(&path, "alice,10.1.2.3\n").unwrap();
        path.display().to_string()
    }

    /// `ipinsights predict` with the model directory `dir`.
    fn predict(dir: &Path) -> bounded::Bounded {
        let run = bounded::run(&["predict", "--model-dir", &dir.display().to_string(), "--input", &input(dir)]);
        println!("predict: peak RSS {:.1} MiB", run.peak_rss_mib);
        run
    }

    /// A directory holding `model.tar.gz` with these bytes.
    fn artifact(bytes: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.tar.gz"), bytes).unwrap();
        dir
    }

    #[test]
    fn a_1_mib_artifact_inflating_to_1_gib_is_refused_by_its_magic_within_the_memory_goal() {
        let gz = gzip_with_zeros(&tar_header("model.ipinsights", 1 << 30), 1024);
        assert!(gz.len() < 1_100_000, "{} bytes", gz.len());
        let dir = artifact(&gz);
        predict(dir.path()).assert_refused("predict, 1 GiB bomb", "not an IP Insights model file");
    }

    #[test]
    fn a_6_mib_artifact_inflating_to_6_gib_is_refused_not_an_abort() {
        let gz = gzip_with_zeros(&tar_header("model.ipinsights", 6 << 30), 6 * 1024);
        let dir = artifact(&gz);
        predict(dir.path()).assert_refused("predict, 6 GiB bomb", "not an IP Insights model file");
    }

    #[test]
    fn a_2_gib_file_of_zeros_is_refused_by_its_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::create(dir.path().join("model.ipinsights")).unwrap();
        file.set_len(2 << 30).unwrap(); // sparse: takes no disk
        predict(dir.path()).assert_refused("predict, 2 GiB of zeros", "unknown magic bytes");
    }

    /// A small model's file with its header edited by `edit` (the tensors left as they are).
    fn edited_header(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let model = Model::new(&IpInsightsParams::new(10, 4).check().unwrap(), 1, 1);
        let mut bytes = Vec::new();
        model.write_to(&mut bytes).unwrap();
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let mut header: serde_json::Value = serde_json::from_slice(&bytes[16..16 + len]).unwrap();
        edit(&mut header);
        let json = serde_json::to_vec(&header).unwrap();
        let mut out = bytes[..12].to_vec();
        out.extend((json.len() as u32).to_le_bytes());
        out.extend(json);
        out
    }

    #[test]
    fn an_artifact_declaring_more_than_it_holds_fails_without_allocating_the_claim() {
        // A valid header declaring vector_dim 4096 (a 4.4 GB model, under SageMaker's 8 GB), in a tar entry that
        // claims the whole file; the stream then holds 1 MiB of it. Trailing bytes after the gzip member make the
        // claim look possible by the compression ratio.
        let header = edited_header(|h| {
            h["hyperparameters"]["vector_dim"] = "4096".into();
            for tensor in h["tensors"].as_array_mut().unwrap() {
                let name = tensor["name"].as_str().unwrap().to_string();
                let shape = tensor["shape"].as_array_mut().unwrap();
                let last = shape.len() - 1;
                shape[last] = 4096.into();
                if name == "layer0.weight" {
                    shape[0] = 4096.into();
                }
            }
        });
        let header_len = u64::from(u32::from_le_bytes(header[12..16].try_into().unwrap()));
        let rows = 10 + 267_264; // entity rows and IP-table rows of vector_dim 4096 values
        let file_len = 16 + header_len + 4 * (rows * 4096 + 4096 * 4096 + 4096) + 4;
        assert!(file_len > 4 << 30, "{file_len}");
        let mut prefix = tar_header("model.ipinsights", file_len).to_vec();
        prefix.extend(&header);
        let mut gz = gzip_with_zeros(&prefix, 1);
        gz.resize(gz.len() + (5 << 20), 0x55);
        let dir = artifact(&gz);
        predict(dir.path()).assert_refused("predict, a claim larger than the stream", "truncated");
    }

    #[test]
    fn finite_but_huge_weights_are_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model::new(&IpInsightsParams::new(10, 4).check().unwrap(), 1, 1);
        for (i, w) in model.entity.iter_mut().chain(model.ip_table.iter_mut()).enumerate() {
            *w = if i % 2 == 0 { 1e20 } else { -1e20 };
        }
        model.save_dir(dir.path()).unwrap();
        let run = predict(dir.path());
        assert!(!run.stdout.contains("NaN") && !run.stdout.contains("inf"), "non-finite scores: {}", run.stdout);
        run.assert_refused("predict, ±1e20 weights", "weights too large");
    }
}

/// Training knobs: the model, Adam's state and one mini-batch counted before anything is allocated (issue 20,
/// row 9).
mod training {
    use super::bounded;
    use ipinsights_contract::{read_events, TrainingEvent};
    use std::path::Path;

    /// A training file of `count` tuples of 100 users.
    fn tuples(dir: &Path, count: usize) -> String {
        let path = dir.join("train.csv");
        let text: String =
            (0..count).map(|i| format!("user{},10.{}.{}.{}\n", i % 100, i % 7, i / 256 % 256, i % 256)).collect();
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// `ipinsights train` on `count` tuples with these hyperparameters, and the job's events.
    fn train(count: usize, hyperparameters: &[&str]) -> (bounded::Bounded, Vec<TrainingEvent>) {
        let dir = tempfile::tempdir().unwrap();
        let (data, events) = (tuples(dir.path(), count), dir.path().join("events.jsonl"));
        let model_dir = dir.path().join("model").display().to_string();
        let mut args = vec!["train", "--train", &data, "--model-dir", &model_dir, "--threads", "2"];
        let events_arg = events.display().to_string();
        args.extend(["--events", &events_arg]);
        for hp in hyperparameters {
            args.extend(["--hp", hp]);
        }
        let run = bounded::run(&args);
        println!("train {hyperparameters:?}: peak RSS {:.1} MiB", run.peak_rss_mib);
        let events = read_events(&events).unwrap_or_default();
        (run, events)
    }

    fn failed_reason(events: &[TrainingEvent]) -> &str {
        match events.last() {
            Some(TrainingEvent::Failed { reason }) => reason,
            other => panic!("the events file should end with `failed`, got {other:?}"),
        }
    }

    #[test]
    fn a_per_batch_working_set_over_the_budget_is_refused_with_a_failed_event() {
        let hp =
            ["num_entity_vectors=200", "vector_dim=4", "mini_batch_size=500000", "random_negative_sampling_rate=499"];
        let (run, events) = train(200_000, &hp);
        run.assert_refused("train, 500,000 × 500 records a batch", "mini_batch_size 500000");
        let reason = failed_reason(&events);
        assert!(reason.contains("random_negative_sampling_rate 499"), "{reason}");
        assert!(
            reason.contains("memory budget of 3072 MiB (3/4 of the 4096 MiB address-space limit; --memory-budget-mib"),
            "{reason}"
        );
    }

    #[test]
    fn a_model_whose_adam_state_exceeds_the_budget_is_refused_with_a_failed_event() {
        let (run, events) = train(1_000, &["num_entity_vectors=200", "vector_dim=4096"]);
        run.assert_refused("train, vector_dim 4096", "Adam optimiser state");
        assert!(failed_reason(&events).contains("vector_dim 4096"));
    }

    #[test]
    fn the_workshops_hyperparameters_still_train() {
        let hp = [
            "num_entity_vectors=20000",
            "vector_dim=128",
            "random_negative_sampling_rate=5",
            "mini_batch_size=1000",
            "epochs=1",
        ];
        let (run, events) = train(5_000, &hp);
        assert!(run.status.success(), "{}", run.stderr);
        assert!(matches!(events.last(), Some(TrainingEvent::Completed { .. })), "{events:?}");
    }
}
