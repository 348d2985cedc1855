//! Names and times as the SageMaker Python SDK writes them: UTC timestamps and resource names.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_sagemaker::primitives::{DateTime, DateTimeFormat};

use crate::AwsError;

/// SageMaker's limit on training job, model, endpoint config and endpoint names.
const MAX_NAME_LEN: usize = 63;

/// `{base}-YYYY-MM-DD-HH-MM-SS-mmm` (UTC), the base cut so the name fits SageMaker's 63 characters.
pub fn timestamped_name(base: &str, now: SystemTime) -> String {
    let (secs, millis) = unix_millis(now);
    let stamp: String = utc_seconds(secs).chars().map(|c| if c.is_ascii_digit() { c } else { '-' }).collect();
    let stamp = format!("{stamp}-{millis:03}");
    let base: String = base.chars().take(MAX_NAME_LEN - stamp.len() - 1).collect();
    format!("{base}-{stamp}")
}

/// The SDK's training job name for the built-in algorithm: `ipinsights-YYYY-MM-DD-HH-MM-SS-mmm` (UTC).
pub fn training_job_name(now: SystemTime) -> String {
    timestamped_name(crate::ALGORITHM, now)
}

/// Formats Unix seconds as `%Y-%m-%d %H:%M:%S` in UTC, as the SDK prints status transitions.
pub fn format_utc(unix_seconds: i64) -> String {
    utc_seconds(unix_seconds).replace('T', " ")
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC (RFC 3339 without the zone), also before 1970; beyond year 9999, the raw seconds.
fn utc_seconds(unix_seconds: i64) -> String {
    match DateTime::from_secs(unix_seconds).fmt(DateTimeFormat::DateTime) {
        Ok(text) => text.chars().take("YYYY-MM-DDTHH:MM:SS".len()).collect(),
        Err(_) => format!("@{unix_seconds}"),
    }
}

/// Checks a SageMaker resource name (`kind` names it in the error): 1–63 letters, digits and hyphens,
/// starting and ending with a letter or digit.
pub fn validate_resource_name(kind: &str, name: &str) -> Result<(), AwsError> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let valid = (1..=MAX_NAME_LEN).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && alnum(name.chars().next())
        && alnum(name.chars().last());
    if valid {
        Ok(())
    } else {
        Err(AwsError::InvalidInput(format!(
            "invalid {kind} name `{name}`: use 1 to 63 letters, digits and hyphens, starting and ending with a \
             letter or digit"
        )))
    }
}

/// Whole seconds and milliseconds since the Unix epoch (negative seconds before it).
fn unix_millis(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_millis()),
        Err(e) => {
            let ms = e.duration().as_millis() as i64;
            (-(ms + 999) / 1000, ((1000 - ms % 1000) % 1000) as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis)
    }

    #[test]
    fn training_job_names_match_the_sdk() {
        // 2019-12-16T23:48:18.052Z
        assert_eq!(training_job_name(at(1_576_540_098, 52)), "ipinsights-2019-12-16-23-48-18-052");
        assert_eq!(training_job_name(at(0, 0)), "ipinsights-1970-01-01-00-00-00-000");
        // Leap day and the end of a year.
        assert_eq!(training_job_name(at(951_825_600, 999)), "ipinsights-2000-02-29-12-00-00-999");
        assert_eq!(training_job_name(at(1_704_067_199, 1)), "ipinsights-2023-12-31-23-59-59-001");
    }

    #[test]
    fn long_bases_are_cut_to_fit_63_characters() {
        let name = timestamped_name(&"x".repeat(80), at(1_576_540_098, 52));
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("x-2019-12-16-23-48-18-052"));
        validate_resource_name("training job", &name).unwrap();
    }

    #[test]
    fn utc_formatting_and_times_before_1970() {
        assert_eq!(format_utc(1_576_540_098), "2019-12-16 23:48:18");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59");
        assert_eq!(timestamped_name("a", UNIX_EPOCH - Duration::from_millis(1)), "a-1969-12-31-23-59-59-999");
    }

    #[test]
    fn resource_names_follow_sagemaker_rules() {
        for good in ["a", "ipinsights-2019-12-16-23-48-18-052", "A-b--c9", &"z".repeat(63)] {
            validate_resource_name("endpoint", good).unwrap();
        }
        for bad in ["", "-a", "a-", "a_b", "a.b", "é", &"z".repeat(64)] {
            let err = validate_resource_name("endpoint", bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid endpoint name"), "{err}");
        }
    }
}
