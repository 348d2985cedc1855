//! UTC timestamps as the SageMaker SDK prints them, and SDK-style resource names.

use std::time::SystemTime;

/// `YYYY-MM-DD HH:MM:SS` in UTC (the SDK's log-line timestamp).
pub fn log_timestamp(at: SystemTime) -> String {
    let text = humantime::format_rfc3339_seconds(at).to_string(); // 2026-11-28T04:31:00Z
    text.trim_end_matches('Z').replace('T', " ")
}

/// `{base}-YYYY-MM-DD-HH-MM-SS-mmm` in UTC, as the SDK names training jobs, models and endpoints (≤ 63 chars).
pub fn unique_name(base: &str, at: SystemTime) -> String {
    let text = humantime::format_rfc3339_millis(at).to_string(); // 2026-11-28T04:31:00.123Z
    let stamp: String = text.trim_end_matches('Z').chars().map(|c| if c.is_ascii_digit() { c } else { '-' }).collect();
    let base: String = base.chars().take(63 - 1 - stamp.len()).collect();
    format!("{base}-{stamp}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_like_the_sdk() {
        let at = UNIX_EPOCH + Duration::from_millis(1_574_371_913_007);
        assert_eq!(log_timestamp(at), "2019-11-21 21:31:53");
        assert_eq!(unique_name("ipinsights", at), "ipinsights-2019-11-21-21-31-53-007");
        assert!(unique_name(&"x".repeat(100), at).len() <= 63);
    }
}
