//! GuardDuty findings from its API: ListDetectors, then ListFindings filtered by time and finding type (pages of at
//! most 50 ids, oldest first) and GetFindings for each page (at most 50 ids a call), turned into pairs by the
//! security crate's reader — the same reader as for exported or EventBridge findings, which leaves archived and
//! sample findings out (counted as skipped) unless the query's [`FindingScope`] asks for them.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_guardduty::types::{Condition, FindingCriteria, OrderBy, SortCriteria};
use ipinsights_attempts::AttemptLog;
use ipinsights_aws_calls::AwsConfig;
use ipinsights_security_logs::{FindingScope, GuardDutyExtract, GuardDutyReader};
use serde_json::Value;

use crate::clients::{run, Clients};
use crate::error::{AccountError, Result};
use crate::finding_json::finding_to_json;
use crate::layout::Day;

/// GuardDuty's limit for ListFindings `MaxResults` and for the ids of one GetFindings call.
pub const MAX_IDS_PER_CALL: usize = 50;

/// Which findings to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingQuery {
    /// The detector; `None` takes the region's detector (ListDetectors).
    pub detector_id: Option<String>,
    /// Findings updated at or after this time.
    pub since: Option<SystemTime>,
    /// Findings updated before this time.
    pub until: Option<SystemTime>,
    /// Only these finding types (e.g. `UnauthorizedAccess:IAMUser/MaliciousIPCaller`); empty takes every type.
    pub finding_types: Vec<String>,
    /// Archived and sample findings are read but skipped (and counted) unless this includes them.
    pub scope: FindingScope,
}

impl FindingQuery {
    /// Findings updated from `first_day` to `last_day` (`YYYY-MM-DD`, UTC, both included).
    pub fn days(first_day: &str, last_day: &str) -> Result<FindingQuery> {
        let (first, last) = (Day::parse(first_day)?, Day::parse(last_day)?);
        crate::layout::days(first, last)?;
        Ok(FindingQuery { since: Some(first.start()), until: Some(last.next().start()), ..FindingQuery::default() })
    }

    /// Only findings of these types.
    pub fn types<S: AsRef<str>>(mut self, types: &[S]) -> Self {
        self.finding_types = types.iter().map(|t| t.as_ref().trim().to_string()).collect();
        self
    }

    /// GuardDuty's FindingCriteria: `updatedAt` in milliseconds, `type` equal to one of the types.
    fn criteria(&self) -> Result<Option<FindingCriteria>> {
        let millis = |t: SystemTime| -> Result<i64> {
            let ms = t
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_err(|_| AccountError::InvalidInput("finding times must be after 1970-01-01".into()))?;
            i64::try_from(ms.as_millis()).map_err(|_| AccountError::InvalidInput("finding time out of range".into()))
        };
        let mut criteria = FindingCriteria::builder();
        let mut any = false;
        if self.since.is_some() || self.until.is_some() {
            let mut time = Condition::builder();
            if let Some(since) = self.since {
                time = time.greater_than_or_equal(millis(since)?);
            }
            if let Some(until) = self.until {
                time = time.less_than(millis(until)?);
            }
            criteria = criteria.criterion("updatedAt", time.build());
            any = true;
        }
        if !self.finding_types.is_empty() {
            criteria =
                criteria.criterion("type", Condition::builder().set_equals(Some(self.finding_types.clone())).build());
            any = true;
        }
        Ok(any.then(|| criteria.build()))
    }
}

/// The findings read from the API, as pairs and as GetFindings JSON.
#[derive(Clone, Debug)]
pub struct ApiFindings {
    /// The detector read.
    pub detector_id: String,
    /// Its region.
    pub region: String,
    /// Pairs and counts from the security crate's reader.
    pub extract: GuardDutyExtract,
    /// Every finding as GetFindings JSON (PascalCase), oldest update first.
    pub findings: Vec<Value>,
    /// Ids ListFindings gave that GetFindings no longer returned (deleted or archived away in between).
    pub vanished: usize,
    /// ListFindings pages.
    pub list_calls: usize,
    /// GetFindings calls.
    pub get_calls: usize,
    /// Failed attempts the SDK retried (throttling) or that failed the read.
    pub attempts: AttemptLog,
    /// Wall time.
    pub elapsed: Duration,
}

impl ApiFindings {
    /// Writes the findings as GetFindings output (`{"Findings": [...]}`), atomically: the input of `ipinsights
    /// detect`, `Detector::detect_str` and `read_guardduty`.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let doc = serde_json::json!({ "Findings": self.findings });
        ipinsights_engine::atomic::write_atomically(path, |w| {
            serde_json::to_writer(w, &doc).map_err(std::io::Error::from)
        })
        .map_err(|source| AccountError::Io { action: "write", path: path.to_path_buf(), source })
    }
}

impl fmt::Display for ApiFindings {
    /// `read … findings from 1 files: …\nfrom GuardDuty detector … in us-east-1: 3 ListFindings pages, …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nfrom GuardDuty detector {} in {}: {} ListFindings pages, {} GetFindings calls in {:.1} s; {}",
            self.extract,
            self.detector_id,
            self.region,
            self.list_calls,
            self.get_calls,
            self.elapsed.as_secs_f64(),
            self.attempts
        )?;
        if self.vanished > 0 {
            write!(f, "; {} listed findings were gone by GetFindings", self.vanished)?;
        }
        Ok(())
    }
}

/// Reads the findings `query` selects from the region's detector.
pub fn read_findings(cfg: &AwsConfig, query: &FindingQuery) -> Result<ApiFindings> {
    let criteria = query.criteria()?;
    run(async {
        let clients = Clients::load(cfg).await?;
        let start = Instant::now();
        let gd = clients.guardduty();
        let region = clients.region();
        let detector_id = match &query.detector_id {
            Some(id) => id.clone(),
            None => first_detector(&gd, &region).await?,
        };
        let mut out = ApiFindings {
            detector_id: detector_id.clone(),
            region,
            extract: GuardDutyExtract::default(),
            findings: Vec::new(),
            vanished: 0,
            list_calls: 0,
            get_calls: 0,
            attempts: clients.log.clone(),
            elapsed: Duration::ZERO,
        };
        let mut reader = GuardDutyReader::new().with_scope(query.scope);
        let mut next_token: Option<String> = None;
        loop {
            let page = gd
                .list_findings()
                .detector_id(&detector_id)
                .set_finding_criteria(criteria.clone())
                .sort_criteria(SortCriteria::builder().attribute_name("updatedAt").order_by(OrderBy::Asc).build())
                .max_results(MAX_IDS_PER_CALL as i32)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AccountError::sdk("ListFindings", e))?;
            out.list_calls += 1;
            for ids in page.finding_ids().chunks(MAX_IDS_PER_CALL) {
                get_findings(&gd, ids, &mut out, &mut reader).await?;
            }
            next_token = page.next_token().filter(|t| !t.is_empty()).map(String::from);
            if next_token.is_none() {
                break;
            }
        }
        out.extract = reader.finish();
        out.elapsed = start.elapsed();
        Ok(out)
    })
}

/// Fetches the findings `ids` (one GetFindings call) into `out` and `reader`, in the order of `ids` (ListFindings',
/// oldest update first); a finding gone since the listing is counted.
async fn get_findings(
    gd: &aws_sdk_guardduty::Client,
    ids: &[String],
    out: &mut ApiFindings,
    reader: &mut GuardDutyReader,
) -> Result<()> {
    let got = gd
        .get_findings()
        .detector_id(&out.detector_id)
        .set_finding_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| AccountError::sdk("GetFindings", e))?;
    out.get_calls += 1;
    // GetFindings answers in any order: keep ListFindings' (oldest update first).
    let mut page_json = Vec::with_capacity(ids.len());
    for id in ids {
        match got.findings().iter().find(|f| f.id() == Some(id.as_str())) {
            Some(finding) => page_json.push(finding_to_json(finding)),
            None => out.vanished += 1,
        }
    }
    let doc = serde_json::json!({ "Findings": page_json }).to_string();
    let name = format!("GuardDuty detector {}, GetFindings call {}", out.detector_id, out.get_calls);
    reader.add_reader(doc.as_bytes(), &name)?;
    out.findings.extend(page_json);
    Ok(())
}

/// The region's detector (GuardDuty has at most one per account and region).
async fn first_detector(gd: &aws_sdk_guardduty::Client, region: &str) -> Result<String> {
    let out = gd.list_detectors().send().await.map_err(|e| AccountError::sdk("ListDetectors", e))?;
    out.detector_ids().first().cloned().ok_or_else(|| AccountError::NoDetector { region: region.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_by_time_and_type() {
        let q = FindingQuery::days("2024-03-04", "2024-03-10").unwrap().types(&["Recon:IAMUser/MaliciousIPCaller"]);
        let c = q.criteria().unwrap().unwrap();
        let time = &c.criterion().unwrap()["updatedAt"];
        assert_eq!(time.greater_than_or_equal(), Some(1_709_510_400_000));
        assert_eq!(time.less_than(), Some(1_709_510_400_000 + 7 * 86_400_000));
        assert_eq!(c.criterion().unwrap()["type"].equals(), ["Recon:IAMUser/MaliciousIPCaller"]);
        assert!(FindingQuery::default().criteria().unwrap().is_none());
        assert!(FindingQuery::days("2024-03-10", "2024-03-04").is_err());
    }
}
