use super::*;
use crate::hyperparams::IpInsightsParams;

fn small_model() -> Model {
    let hp = IpInsightsParams::new(30, 4).num_ip_encoder_layers(2).check().unwrap();
    Model::new(&hp, 9, 1)
}

#[test]
fn round_trips_through_a_directory_and_an_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let model = small_model();
    let path = model.save_dir(dir.path()).unwrap();
    assert_eq!(path.file_name().unwrap(), MODEL_FILE_NAME);
    assert_eq!(Model::load_dir(dir.path()).unwrap(), model);
    let artifact = pack_artifact(dir.path()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(Model::load_dir(dir.path()).unwrap(), model, "loads from model.tar.gz alone");
    assert_eq!(Model::load(&artifact).unwrap(), model);
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from(ARTIFACT_NAME)]);
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
