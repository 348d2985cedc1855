//! UTC times as the SageMaker Python SDK prints them: `YYYY-MM-DD HH:MM:SS` in status lines, and
//! `YYYY-MM-DD-HH-MM-SS-mmm` in resource names.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` in UTC (the SDK's status-line stamp), also before 1970; outside the
/// years 1–9999, `@{seconds}`.
pub fn format_utc(unix_seconds: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(unix_seconds) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("@{unix_seconds}"),
    }
}

/// `at` as `YYYY-MM-DD HH:MM:SS` in UTC (see [`format_utc`]).
pub fn log_time(at: SystemTime) -> String {
    format_utc(unix_millis(at).0)
}

/// `at` as `YYYY-MM-DD-HH-MM-SS-mmm` in UTC, the SDK's name suffix.
pub fn name_stamp(at: SystemTime) -> String {
    let (seconds, millis) = unix_millis(at);
    let digits: String = format_utc(seconds).chars().map(|c| if c.is_ascii_digit() { c } else { '-' }).collect();
    format!("{digits}-{millis:03}")
}

/// Whole seconds and milliseconds since the Unix epoch (seconds negative before it, milliseconds always ≥ 0).
pub fn unix_millis(at: SystemTime) -> (i64, u32) {
    match at.duration_since(UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).unwrap_or(i64::MAX), d.subsec_millis()),
        Err(e) => {
            let ms = i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX - 999);
            (-((ms + 999) / 1000), ((1000 - ms % 1000) % 1000) as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(millis)
    }

    #[test]
    fn status_line_times() {
        assert_eq!(format_utc(1_576_540_098), "2019-12-16 23:48:18");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59");
        assert_eq!(format_utc(951_825_600), "2000-02-29 12:00:00");
        assert_eq!(format_utc(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(log_time(at(1_574_371_913_007)), "2019-11-21 21:31:53");
    }

    #[test]
    fn name_stamps() {
        assert_eq!(name_stamp(at(1_576_540_098_052)), "2019-12-16-23-48-18-052");
        assert_eq!(name_stamp(at(1_704_067_199_001)), "2023-12-31-23-59-59-001");
        assert_eq!(name_stamp(UNIX_EPOCH - Duration::from_millis(1)), "1969-12-31-23-59-59-999");
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_millis(1500)), (-2, 500));
    }
}
