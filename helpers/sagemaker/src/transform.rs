//! Batch transform's facts: where each input object's results go, and the values its options take.
//!
//! Every input object `{data prefix}{relative}` gets one output object `{output_path}/{relative}.out`, where
//! `relative` is the object's key after the data URI's last `/` (`s3://bkt/in/test.csv` → `{output_path}/test.csv.out`;
//! `s3://bkt/in/` holding `in/day1/a.csv` → `{output_path}/day1/a.csv.out`). SageMaker's API reference words its
//! example differently (it repeats the input prefix under the output path); what the service writes in a real
//! account is the one thing here only a real account can confirm.

use crate::limits::MAX_TRANSFORM_PAYLOAD_MB;
use crate::S3Uri;

/// The suffix of every output object.
pub const OUTPUT_SUFFIX: &str = ".out";

/// `SplitType` values IP Insights can read: `Line` (one record per line: CSV or JSON Lines) and `None` (each
/// object is one request).
pub const SPLIT_TYPES: [&str; 2] = ["Line", "None"];

/// `BatchStrategy` values.
pub const BATCH_STRATEGIES: [&str; 2] = ["MultiRecord", "SingleRecord"];

/// `AssembleWith` values.
pub const ASSEMBLE_WITH: [&str; 2] = ["Line", "None"];

/// A transform option SageMaker would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {option} {value:?}: {rule}")]
pub struct TransformOptionError {
    /// The option (the SDK's name).
    pub option: &'static str,
    /// The value as given.
    pub value: String,
    /// The rule it breaks.
    pub rule: String,
}

/// Checks a value against the values an option takes.
pub fn check_choice(option: &'static str, value: &str, allowed: &[&str]) -> Result<(), TransformOptionError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(TransformOptionError { option, value: value.into(), rule: format!("use one of {}", allowed.join(", ")) })
}

/// Checks `max_payload` (MB): 1 to 100.
pub fn check_max_payload(mb: u32) -> Result<(), TransformOptionError> {
    if (1..=MAX_TRANSFORM_PAYLOAD_MB).contains(&mb) {
        return Ok(());
    }
    Err(TransformOptionError {
        option: "max_payload",
        value: mb.to_string(),
        rule: format!("batch transform takes 1 to {MAX_TRANSFORM_PAYLOAD_MB} MB per request"),
    })
}

/// The part of `object_key` that its output keeps: the key after the data URI's last `/`. `None` when the object
/// is not under the data URI.
pub fn relative_key<'a>(data: &S3Uri, object_key: &'a str) -> Option<&'a str> {
    if !object_key.starts_with(&data.key) {
        return None;
    }
    let folder = data.key.rfind('/').map_or(0, |i| i + 1);
    Some(&object_key[folder..])
}

/// Where the results of input object `object_key` (under `data`) go: `{output_path}/{relative}.out`.
pub fn output_uri(data: &S3Uri, object_key: &str, output_path: &S3Uri) -> Option<S3Uri> {
    relative_key(data, object_key).map(|relative| output_path.join(&format!("{relative}{OUTPUT_SUFFIX}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> S3Uri {
        S3Uri::parse(s).unwrap()
    }

    #[test]
    fn outputs_keep_the_key_after_the_data_folder() {
        let out = uri("s3://bkt/ipinsights/transform");
        let cases = [
            ("s3://bkt/in/test.csv", "in/test.csv", Some("s3://bkt/ipinsights/transform/test.csv.out")),
            ("s3://bkt/in/", "in/day1/a.csv", Some("s3://bkt/ipinsights/transform/day1/a.csv.out")),
            ("s3://bkt/in/te", "in/test.csv", Some("s3://bkt/ipinsights/transform/test.csv.out")),
            ("s3://bkt/", "x.csv", Some("s3://bkt/ipinsights/transform/x.csv.out")),
            ("s3://bkt/in/", "other/x.csv", None),
        ];
        for (data, key, expected) in cases {
            assert_eq!(output_uri(&uri(data), key, &out).map(|u| u.to_string()).as_deref(), expected, "{data} {key}");
        }
    }

    #[test]
    fn options_take_their_values_only() {
        check_choice("split_type", "Line", &SPLIT_TYPES).unwrap();
        let err = check_choice("split_type", "RecordIO", &SPLIT_TYPES).unwrap_err().to_string();
        assert_eq!(err, "invalid split_type \"RecordIO\": use one of Line, None");
        check_max_payload(1).unwrap();
        check_max_payload(100).unwrap();
        assert!(check_max_payload(0).is_err());
        assert!(check_max_payload(101).unwrap_err().to_string().contains("1 to 100 MB"));
    }
}
