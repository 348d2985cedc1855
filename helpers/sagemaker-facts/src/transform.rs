//! Batch transform's facts: where each input object's results go (its option values are in [`crate::values`]).
//!
//! Every input object `{data prefix}{relative}` gets one output object `{output_path}/{relative}.out`, where
//! `relative` is the object's key after the data URI's last `/` (`s3://bkt/in/test.csv` → `{output_path}/test.csv.out`;
//! `s3://bkt/in/` holding `in/day1/a.csv` → `{output_path}/day1/a.csv.out`). SageMaker's API reference words its
//! example differently (it repeats the input prefix under the output path); what the service writes in a real
//! account is the one thing here only a real account can confirm.

use crate::limits::MAX_TRANSFORM_PAYLOAD_MB;
use crate::training::OptionError;
use crate::S3Uri;

/// The suffix of every output object.
pub const OUTPUT_SUFFIX: &str = ".out";

/// Checks `max_payload` (MB): 1 to 100.
pub fn check_max_payload(mb: u32) -> Result<(), OptionError> {
    if (1..=MAX_TRANSFORM_PAYLOAD_MB).contains(&mb) {
        return Ok(());
    }
    Err(OptionError {
        option: "max_payload",
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
}
