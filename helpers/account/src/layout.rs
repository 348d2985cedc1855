//! Where CloudTrail delivers to S3, and what its log objects are called:
//! `s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz`
//! (digest files live beside it under `CloudTrail-Digest/`, which this layout never lists).

use std::cmp::Ordering;
use std::time::{Duration, SystemTime};

use crate::error::{AccountError, Result};

/// One calendar day (UTC), `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    /// Seconds since the Unix epoch at 00:00:00 UTC.
    start: u64,
}

const DAY_SECS: u64 = 86_400;

impl Day {
    /// Parses `YYYY-MM-DD`; the error names the value.
    pub fn parse(text: &str) -> Result<Day> {
        let bad = || AccountError::InvalidInput(format!("{text:?} is not a date (expected YYYY-MM-DD)"));
        let trimmed = text.trim();
        if trimmed.len() != 10 {
            return Err(bad());
        }
        let time = humantime::parse_rfc3339(&format!("{trimmed}T00:00:00Z")).map_err(|_| bad())?;
        Ok(Day::containing(time))
    }

    /// The day containing `time` (UTC).
    pub fn containing(time: SystemTime) -> Day {
        let secs = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Day { start: secs - secs % DAY_SECS }
    }

    /// Midnight UTC starting the day.
    pub fn start(self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.start)
    }

    /// The next day.
    pub fn next(self) -> Day {
        Day { start: self.start + DAY_SECS }
    }

    /// `YYYY/MM/DD`, CloudTrail's folder for the day.
    pub fn folder(self) -> String {
        self.to_string().replace('-', "/")
    }
}

impl std::fmt::Display for Day {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = humantime::format_rfc3339_seconds(self.start()).to_string();
        f.write_str(&text[..10])
    }
}

/// The days from `first` to `last`, both included; an error when `last` is before `first` or the range is
/// longer than ten years (a typo, and 3,650 listings per region).
pub fn days(first: Day, last: Day) -> Result<Vec<Day>> {
    if last < first {
        return Err(AccountError::InvalidInput(format!("the last day {last} is before the first day {first}")));
    }
    let count = (last.start - first.start) / DAY_SECS + 1;
    if count > 3_660 {
        return Err(AccountError::InvalidInput(format!("{first} to {last} is {count} days; read at most ten years")));
    }
    let mut out = Vec::with_capacity(count as usize);
    let mut day = first;
    while day <= last {
        out.push(day);
        day = day.next();
    }
    Ok(out)
}

/// One account's trail folder: `[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrailAccount {
    /// The organisation id (`o-…`) of an organisation trail.
    pub organization_id: Option<String>,
    /// The 12-digit account id.
    pub account_id: String,
}

impl TrailAccount {
    /// `[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/` for a prefix that is empty or ends with `/`.
    pub fn folder(&self, prefix: &str) -> String {
        match &self.organization_id {
            Some(org) => format!("{prefix}AWSLogs/{org}/{}/", self.account_id),
            None => format!("{prefix}AWSLogs/{}/", self.account_id),
        }
    }

    /// The folder of one region's logs on one day.
    pub fn day_folder(&self, prefix: &str, region: &str, day: Day) -> String {
        format!("{}CloudTrail/{region}/{}/", self.folder(prefix), day.folder())
    }
}

/// A bucket prefix as CloudTrail uses it: empty, or ending with exactly one `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// True for a 12-digit account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// True for an organisation id folder (`o-` and 10 to 32 lowercase letters or digits).
pub fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-")
        .is_some_and(|rest| (10..=32).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// True when the key's file name is a CloudTrail log file of this account and region:
/// `ACCOUNT_CloudTrail_REGION_…` ending in `.json.gz` (or `.json`, as some copies store them).
pub fn is_log_object(key: &str, account_id: &str, region: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.starts_with(&format!("{account_id}_CloudTrail_{region}_"))
        && (name.ends_with(".json.gz") || name.ends_with(".json"))
}

/// Orders keys as a sorted directory walk does: folder by folder, not character by character.
pub fn path_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_folders() {
        let first = Day::parse("2024-02-28").unwrap();
        let range = days(first, Day::parse("2024-03-01").unwrap()).unwrap();
        let names: Vec<String> = range.iter().map(|d| d.folder()).collect();
        assert_eq!(names, ["2024/02/28", "2024/02/29", "2024/03/01"]);
        assert!(Day::parse("2024-13-01").is_err() && Day::parse("yesterday").is_err());
        let err = days(Day::parse("2024-03-02").unwrap(), first).unwrap_err().to_string();
        assert!(err.contains("the last day 2024-02-28 is before the first day 2024-03-02"), "{err}");
    }

    #[test]
    fn account_folders_with_and_without_organisation() {
        let plain = TrailAccount { organization_id: None, account_id: "123456789012".into() };
        let day = Day::parse("2024-03-04").unwrap();
        assert_eq!(plain.day_folder("", "us-east-1", day), "AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/04/");
        let org = TrailAccount { organization_id: Some("o-abcdefghij".into()), ..plain };
        assert_eq!(
            org.day_folder(&normalize_prefix("/trails/"), "eu-west-1", day),
            "trails/AWSLogs/o-abcdefghij/123456789012/CloudTrail/eu-west-1/2024/03/04/"
        );
        assert!(is_organization_id("o-abcdefghij") && !is_organization_id("o-x") && !is_organization_id("123"));
        assert!(is_account_id("123456789012") && !is_account_id("12345678901a"));
    }

    #[test]
    fn log_object_names() {
        let key =
            "AWSLogs/1/CloudTrail/us-east-1/2024/03/04/123456789012_CloudTrail_us-east-1_20240304T0000Z_a1.json.gz";
        assert!(is_log_object(key, "123456789012", "us-east-1"));
        assert!(!is_log_object(key, "123456789012", "us-east-2"));
        assert!(!is_log_object("x/123456789012_CloudTrail_us-east-1_x.txt", "123456789012", "us-east-1"));
        assert!(!is_log_object("x/notes.json.gz", "123456789012", "us-east-1"));
    }

    #[test]
    fn path_order_is_folder_by_folder() {
        // '-' sorts before '/' as a character, but a folder sorts before its longer siblings.
        assert_eq!("a-b/x".cmp("a/x"), Ordering::Less);
        assert_eq!(path_order("a-b/x", "a/x"), Ordering::Greater);
    }
}
