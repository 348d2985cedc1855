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
