//! UTC timestamps of simulated events, in the formats CloudTrail and GuardDuty write (formatting by humantime).

use std::time::{Duration, UNIX_EPOCH};

/// First second of the year 10000: CloudTrail's four-digit years end before it (see `SimConfig::validate`).
pub(crate) const YEAR_10000_UNIX_SECS: u64 = 253_402_300_800;

/// A UTC time to the second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Utc {
    /// `2024-03-04T12:34:56Z`.
    rfc3339: String,
}

impl Utc {
    /// The calendar time of `secs` seconds since the Unix epoch (before the year 10000, which the configuration
    /// guarantees; later times are shown as the last second of 9999).
    pub fn from_unix(secs: u64) -> Utc {
        let secs = secs.min(YEAR_10000_UNIX_SECS - 1);
        Utc { rfc3339: humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string() }
    }

    /// `2024-03-04T12:34:56Z` (CloudTrail `eventTime`).
    pub fn iso(&self) -> String {
        self.rfc3339.clone()
    }

    /// `2024-03-04T12:34:56.789Z` (GuardDuty times).
    pub fn iso_millis(&self, millis: u32) -> String {
        format!("{}.{millis:03}Z", &self.rfc3339[..19])
    }

    /// `20240304T1235Z` (CloudTrail file names).
    pub fn file_stamp(&self) -> String {
        let t = &self.rfc3339;
        format!("{}{}{}T{}{}Z", &t[0..4], &t[5..7], &t[8..10], &t[11..13], &t[14..16])
    }

    /// `["2024", "03", "04"]`: the year, month and day folders of CloudTrail's S3 layout.
    pub fn date_folders(&self) -> [&str; 3] {
        let t = &self.rfc3339;
        [&t[0..4], &t[5..7], &t[8..10]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Utc::from_unix(0).iso(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc::from_unix(1_709_510_400).iso(), "2024-03-04T00:00:00Z");
        // 2024-02-29 (leap day) 23:59:59 and the next second.
        assert_eq!(Utc::from_unix(1_709_251_199).iso(), "2024-02-29T23:59:59Z");
        assert_eq!(Utc::from_unix(1_709_251_200).file_stamp(), "20240301T0000Z");
        assert_eq!(Utc::from_unix(1_709_251_200).date_folders(), ["2024", "03", "01"]);
        assert_eq!(Utc::from_unix(1_735_689_599).iso_millis(7), "2024-12-31T23:59:59.007Z");
        assert_eq!(Utc::from_unix(u64::MAX).iso(), "9999-12-31T23:59:59Z");
    }
}
