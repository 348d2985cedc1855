//! UTC calendar formatting for simulated timestamps (no date library needed).

/// A UTC date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    /// The calendar time of `secs` seconds since the Unix epoch.
    pub fn from_unix(secs: u64) -> Utc {
        let days = (secs / 86_400) as i64;
        let rem = (secs % 86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Utc { year, month, day, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60 }
    }

    /// `2024-03-04T12:34:56Z` (CloudTrail `eventTime`).
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `2024-03-04T12:34:56.789Z` (GuardDuty times).
    pub fn iso_millis(&self, millis: u32) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `20240304T1235Z` (CloudTrail file names).
    pub fn file_stamp(&self) -> String {
        format!("{:04}{:02}{:02}T{:02}{:02}Z", self.year, self.month, self.day, self.hour, self.minute)
    }
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
        assert_eq!(Utc::from_unix(1_735_689_599).iso_millis(7), "2024-12-31T23:59:59.007Z");
    }
}
