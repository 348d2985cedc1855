use super::*;
use crate::hyperparams::IpInsightsParams;
use std::io::Write;

fn small_model() -> Model {
    let hp = IpInsightsParams::new(30, 4).num_ip_encoder_layers(2).check().unwrap();
    Model::new(&hp, 9, 1)
}

#[test]
fn round_trips_through_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model();
    let path = model.save_dir(dir.path()).unwrap();
    assert_eq!(path.file_name().unwrap(), MODEL_FILE_NAME);
    assert_eq!(Model::load_dir(dir.path()).unwrap(), model);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), model.file_len().unwrap());
}

#[test]
fn the_artifact_alone_holds_the_model_as_a_standard_tar_gz() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model();
    let artifact = model.save_artifact(&dir.path().join("output")).unwrap();
    assert_eq!(artifact, dir.path().join("output").join(ARTIFACT_NAME));
    // Only the artifact is written: no model file beside it, no temporary files left behind.
    let names: Vec<_> =
        std::fs::read_dir(artifact.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from(ARTIFACT_NAME)]);
    assert_eq!(Model::load_dir(artifact.parent().unwrap()).unwrap(), model, "loads from model.tar.gz alone");
    assert_eq!(Model::load(&artifact).unwrap(), model);
    // Any gzip and tar reader sees one regular file, the model file byte for byte, in whole 512-byte blocks that
    // end with the two zero blocks of an archive's end.
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&artifact).unwrap()).read_to_end(&mut tar_bytes).unwrap();
    assert_eq!(tar_bytes.len() % 512, 0);
    assert!(tar_bytes[tar_bytes.len() - 1024..].iter().all(|&b| b == 0));
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut entries = archive.entries().unwrap();
    let mut entry = entries.next().unwrap().unwrap();
    assert_eq!(entry.path().unwrap().to_str(), Some(MODEL_FILE_NAME));
    assert_eq!(entry.header().entry_type(), tar::EntryType::Regular);
    assert_eq!(entry.header().mode().unwrap(), 0o644);
    let mut inner = Vec::new();
    entry.read_to_end(&mut inner).unwrap();
    drop(entry);
    assert_eq!(inner, bytes_of(&model));
    assert_eq!(inner.len() as u64, model.file_len().unwrap());
    assert!(entries.next().is_none(), "one entry");
}

fn bytes_of(model: &Model) -> Vec<u8> {
    let mut bytes = Vec::new();
    model.write_to(&mut bytes).unwrap();
    bytes
}

fn error_of(bytes: &[u8]) -> String {
    Model::from_bytes(bytes, "m.ipinsights").unwrap_err().to_string()
}

#[test]
fn truncated_files_are_rejected() {
    let bytes = bytes_of(&small_model());
    for len in [0, 5, 12, 20, 200, bytes.len() / 2, bytes.len() - 1] {
        let message = error_of(&bytes[..len]);
        assert!(
            message.contains("truncated") || message.contains("not an IP Insights model") || message.contains("header"),
            "len {len}: {message}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(error_of(&longer).contains("trailing data"));
}

#[test]
fn corrupted_files_fail_the_checksum() {
    let mut bytes = bytes_of(&small_model());
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    assert_eq!(error_of(&bytes), "m.ipinsights: model file is corrupted (checksum mismatch)");
}

#[test]
fn wrong_version_and_foreign_files_are_rejected() {
    let mut bytes = bytes_of(&small_model());
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(error_of(&bytes), "m.ipinsights: model format version 2 is not supported (this build reads version 1)");
    assert!(error_of(b"PK\x03\x04 a zip file, not a model").contains("not an IP Insights model file"));
    assert!(error_of(b"{\"json\": true}").contains("not an IP Insights model file"));
}

#[test]
fn headers_that_disagree_with_their_tensors_are_rejected() {
    // Change the hyperparameters in the header but keep the tensors: shapes no longer match.
    let model = small_model();
    let good = bytes_of(&model);
    let header_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&good[16..16 + header_len]).unwrap();
    let mut tampered = header.clone();
    tampered["hyperparameters"]["num_ip_encoder_layers"] = "1".into();
    let json = serde_json::to_vec(&tampered).unwrap();
    let mut bytes = good[..12].to_vec();
    bytes.extend((json.len() as u32).to_le_bytes());
    bytes.extend(&json);
    bytes.extend(&good[16 + header_len..good.len() - 4]);
    let crc = crc32fast::hash(&bytes);
    bytes.extend(crc.to_le_bytes());
    assert!(error_of(&bytes).contains("do not match the hyperparameters"), "{}", error_of(&bytes));
}

#[test]
fn missing_directories_and_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let message = Model::load_dir(dir.path()).unwrap_err().to_string();
    assert!(message.contains("no model.ipinsights or model.tar.gz"), "{message}");
    let bad_gz = dir.path().join(ARTIFACT_NAME);
    std::fs::write(&bad_gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    assert!(Model::load_dir(dir.path()).is_err());
}

/// A model file with `edit` applied to its JSON header and `body` as its tensors, framed and checksummed.
fn reframe(model: &Model, edit: impl FnOnce(&mut serde_json::Value), body: Option<&[u8]>) -> Vec<u8> {
    let good = bytes_of(model);
    let header_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&good[16..16 + header_len]).unwrap();
    edit(&mut header);
    let json = serde_json::to_vec(&header).unwrap();
    let mut bytes = good[..12].to_vec();
    bytes.extend((json.len() as u32).to_le_bytes());
    bytes.extend(&json);
    bytes.extend(body.unwrap_or(&good[16 + header_len..good.len() - 4]));
    let crc = crc32fast::hash(&bytes);
    bytes.extend(crc.to_le_bytes());
    bytes
}

/// A gzipped tar holding one `model.ipinsights` entry whose header claims `size` bytes, followed by `data`.
fn tar_gz_claiming(size: u64, data: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_path(MODEL_FILE_NAME).unwrap();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    let mut tar = header.as_bytes().to_vec();
    tar.extend(data);
    tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_tar_entry_claiming_an_exabyte_is_a_clear_error_not_an_abort() {
    let gz = tar_gz_claiming(1 << 60, b"");
    assert!(gz.len() < 120, "{} bytes", gz.len());
    let message = Model::from_file_bytes(&gz, "model.tar.gz").unwrap_err().to_string();
    assert!(message.starts_with("model.tar.gz: invalid model artifact: its model.ipinsights declares"), "{message}");
    // A claim beyond what the compressed bytes could hold, even under the cap.
    let gz = tar_gz_claiming(50_000_000, &[7; 100]);
    let message = Model::from_file_bytes(&gz, "m.tar.gz").unwrap_err().to_string();
    assert!(message.contains("declares 50000000 bytes, more than"), "{message}");
}

/// The error of reading `gz` as an artifact whose model file may hold at most `cap` bytes.
fn artifact_error(gz: &[u8], cap: u64) -> String {
    artifact::read_artifact(gz, gz.len() as u64, cap, "m.tar.gz").unwrap_err().to_string()
}

#[test]
fn decompression_stops_at_the_cap() {
    let zeros = vec![0u8; 3 << 20];
    let gz = tar_gz_claiming(zeros.len() as u64, &zeros);
    // Under the cap the entry is read (and found to be no model file); over it, it is refused by its claim.
    assert!(artifact_error(&gz, 4 << 20).contains("not an IP Insights model file"), "{}", artifact_error(&gz, 4 << 20));
    let message = artifact_error(&gz, 1 << 20);
    assert!(message.contains("declares 3145728 bytes, more than 1048576"), "{message}");
    // Bytes in other entries count against the cap too: a bomb cannot hide in a file we skip.
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(zeros.len() as u64);
    header.set_cksum();
    tar.append_data(&mut header, "padding.bin", &zeros[..]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    let message = artifact_error(&gz.finish().unwrap(), 1 << 20);
    assert!(message.contains("decompresses to more than 2097152 bytes"), "{message}");
}

#[test]
fn inconsistent_layouts_are_refused_at_load() {
    let model = small_model();
    for (buckets, seed, expected) in [
        (0u64, 9u64, "layout hashed_buckets = 0 (expected 1..=268435456)"),
        (1 << 30, 9, "layout hashed_buckets = 1073741824"),
        (65_536, 10, "layout hash_seed 10 differs from the model's hash_seed 9"),
    ] {
        let bytes = reframe(
            &model,
            |h| {
                h["layout"]["hashed_buckets"] = buckets.into();
                h["layout"]["hash_seed"] = seed.into();
            },
            None,
        );
        let message = error_of(&bytes);
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn non_finite_weights_are_refused() {
    let model = small_model();
    for (bad, tensor) in [(f32::NAN, "entity"), (f32::INFINITY, "layer1.bias")] {
        let mut hostile = model.clone();
        match tensor {
            "entity" => hostile.entity[5] = bad,
            _ => hostile.layers[1].b[3] = bad,
        }
        let message = error_of(&bytes_of(&hostile));
        let at = if tensor == "entity" { 5 } else { 3 };
        assert!(
            message.contains(&format!("tensor {tensor} holds a non-finite value ({bad}) at index {at}")),
            "{message}"
        );
    }
}

#[test]
fn hostile_sizes_in_the_header_are_errors() {
    let model = small_model();
    // Shapes whose product overflows, and shapes past the 8 GB limit.
    for shape in [serde_json::json!([1u64 << 40, 1u64 << 40]), serde_json::json!([250_000_000u64, 4096])] {
        let bytes = reframe(&model, |h| h["tensors"][0]["shape"] = shape, None);
        assert!(
            error_of(&bytes).contains("tensors declare more than SageMaker's 8 GB model-size limit (8589934592 bytes)"),
            "{}",
            error_of(&bytes)
        );
    }
    // A header length past the cap, and one past the end of the file.
    let mut bytes = bytes_of(&model);
    bytes[12..16].copy_from_slice(&(MAX_HEADER_BYTES + 1).to_le_bytes());
    assert!(error_of(&bytes).contains("header length 1048577 exceeds 1048576 bytes"), "{}", error_of(&bytes));
    let mut bytes = bytes_of(&model)[..4096].to_vec();
    bytes[12..16].copy_from_slice(&5000u32.to_le_bytes());
    assert!(error_of(&bytes).contains("expected 5020 bytes, found 4096"), "{}", error_of(&bytes));
    // Hyperparameters out of range are refused by name.
    let bytes = reframe(&model, |h| h["hyperparameters"]["vector_dim"] = "0".into(), None);
    assert!(error_of(&bytes).contains("vector_dim"), "{}", error_of(&bytes));
}

#[test]
fn files_larger_than_any_model_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MODEL_FILE_NAME);
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_MODEL_FILE_BYTES + 1).unwrap(); // sparse: takes no space
    let message = Model::load(&path).unwrap_err().to_string();
    assert!(message.ends_with("is larger than any model file can be (8590983188 bytes at most)"), "{message}");
}

#[test]
fn model_sizes_are_checked_before_building() {
    let hp = IpInsightsParams::new(300_000, 4096).check().unwrap();
    let message = Model::try_new(&hp, 1, 1).unwrap_err().to_string();
    assert!(message.starts_with("a model of 9361178624 bytes (300000 entity rows"), "{message}");
    let fits = IpInsightsParams::new(1_000, 16).check().unwrap();
    let bytes = crate::model::parameter_bytes(&fits, &IpLayout::new(1));
    assert_eq!(bytes, 4 * ((1_000 + 267_264) * 16 + 16 * 16 + 16));
    assert!(Model::try_new(&fits, 1, 1).is_ok());
}

#[test]
fn finite_but_huge_weights_are_refused() {
    let mut hostile = small_model();
    hostile.entity[2] = 1e20;
    hostile.ip_table[5] = -1e20;
    let message = error_of(&bytes_of(&hostile));
    assert!(
        message.starts_with("m.ipinsights: invalid model header: weights too large: with vector_dim 4"),
        "{message}"
    );
    assert!(message.contains("over the limit of 1e30"), "{message}");
}

/// A reader over `bytes` that counts what was read from it.
struct Counting<'a> {
    bytes: &'a [u8],
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.bytes.read(buf)?;
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

#[test]
fn a_bomb_is_refused_by_its_first_bytes_without_inflating_the_rest() {
    // 256 MiB of zeros claimed as the model file: refused after the first block of the stream.
    let zeros = vec![0u8; 1 << 20];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut header = tar::Header::new_gnu();
    header.set_path(MODEL_FILE_NAME).unwrap();
    header.set_size(256 << 20);
    header.set_cksum();
    gz.write_all(header.as_bytes()).unwrap();
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    let gz = gz.finish().unwrap();
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let source = Counting { bytes: &gz, read: read.clone() };
    let message = Model::read_from(source, gz.len() as u64, "bomb.tar.gz").unwrap_err().to_string();
    assert_eq!(message, "bomb.tar.gz!model.ipinsights: not an IP Insights model file (unknown magic bytes)");
    assert!(read.get() <= 1 << 16, "read {} of {} compressed bytes", read.get(), gz.len());
}

#[test]
fn a_claim_larger_than_the_stream_fails_at_the_truncation() {
    // A header declaring 2 GB of tensors over a source that claims as much but ends after the header.
    let bytes = reframe(
        &small_model(),
        |h| {
            h["hyperparameters"]["num_entity_vectors"] = "100000".into();
            h["hyperparameters"]["vector_dim"] = "4096".into();
            h["tensors"] = serde_json::json!([
                {"name": "entity", "shape": [100_000, 4096]}, {"name": "ip_table", "shape": [267_264, 4096]},
                {"name": "layer0.weight", "shape": [4096, 4096]}, {"name": "layer0.bias", "shape": [4096]},
                {"name": "layer1.weight", "shape": [4096, 4096]}, {"name": "layer1.bias", "shape": [4096]}
            ]);
        },
        Some(&[0; 4096]),
    );
    let header_end = 16 + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as u64;
    let claimed = header_end + 4 * ((100_000 + 267_264) * 4096 + 2 * (4096 * 4096 + 4096)) + 4;
    let message = read::read_model(&bytes[..], claimed, "m").unwrap_err().to_string();
    assert_eq!(
        message,
        format!("m: model file is truncated or has trailing data: expected {claimed} bytes, found {}", bytes.len())
    );
    // Read as an artifact, the same claim in a tar entry.
    let gz = tar_gz_claiming(claimed, &bytes);
    let mut padded = gz.clone();
    padded.resize(gz.len() + (7 << 20), 0x55); // trailing bytes: the claim fits the compression ratio
    let message = Model::from_file_bytes(&padded, "m.tar.gz").unwrap_err().to_string();
    assert!(
        message.starts_with(&format!(
            "m.tar.gz: invalid model artifact: its model.ipinsights is truncated: {} of {claimed} bytes",
            bytes.len() + 1024 + (512 - bytes.len() % 512) % 512
        )),
        "{message}"
    );
}

#[test]
fn tar_headers_are_checked_and_other_entries_skipped_without_being_kept() {
    let model = small_model();
    let file = bytes_of(&model);
    // A long-name entry and a large other file before the model: skipped, the model found.
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3 << 20);
    header.set_mode(0o644);
    tar.append_data(&mut header, format!("{}/padding.bin", "d".repeat(150)), &vec![0u8; 3 << 20][..]).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(file.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, format!("output/{MODEL_FILE_NAME}"), &file[..]).unwrap();
    let mut tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    assert_eq!(Model::from_file_bytes(&gz.finish().unwrap(), "m.tar.gz").unwrap(), model);
    // A header whose checksum does not match.
    tar[0] ^= 1;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let message = Model::from_file_bytes(&gz.finish().unwrap(), "m.tar.gz").unwrap_err().to_string();
    assert!(message.contains("checksum does not match"), "{message}");
}
