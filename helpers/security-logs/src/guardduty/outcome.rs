//! One JSON value → the findings in it, each with its tuples or the reason it has none.

use serde::Serialize;
use serde_json::Value;

use super::extract::{finding_tuples, FindingTuple};
use super::model::Finding;
use super::shape::{split_items, Item};
use crate::skip::FindingSkip;

/// The identifying fields of a finding, kept even when it gives no tuple.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FindingHeader {
    /// Finding id.
    pub id: Option<String>,
    /// Finding type, e.g. `Recon:IAMUser/MaliciousIPCaller`.
    pub finding_type: Option<String>,
    /// Severity (GuardDuty: 1–8.9).
    pub severity: Option<f64>,
    /// `createdAt` (ISO-8601).
    pub created_at: Option<String>,
    /// `updatedAt` (ISO-8601).
    pub updated_at: Option<String>,
    /// Account the finding belongs to.
    pub account_id: Option<String>,
    /// Region of the finding.
    pub region: Option<String>,
    /// `service.archived`: archived by hand or by a suppression rule.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// `service.additionalInfo.sample`: a sample finding, not a real one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
}

/// Which findings are scored besides live ones: archived and sample findings are left out (and counted as skipped)
/// unless asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FindingScope {
    /// Score archived findings too.
    pub include_archived: bool,
    /// Score sample findings too.
    pub include_samples: bool,
}

impl FindingScope {
    /// Why `header`'s finding is left out, if it is: archived first, then sample.
    pub fn excludes(&self, header: &FindingHeader) -> Option<FindingSkip> {
        if header.archived && !self.include_archived {
            Some(FindingSkip::Archived)
        } else if header.sample && !self.include_samples {
            Some(FindingSkip::Sample)
        } else {
            None
        }
    }
}

impl FindingResult {
    /// This result with its tuples dropped, as a skip, when `scope` leaves its finding out.
    pub fn within(self, scope: FindingScope) -> FindingResult {
        match scope.excludes(&self.header) {
            Some(reason) if self.outcome != Err(FindingSkip::NotAFinding) => {
                FindingResult { outcome: Err(reason), details_without_ip: 0, session_folded: false, ..self }
            }
            _ => self,
        }
    }
}

impl FindingHeader {
    fn of(finding: &Finding) -> Self {
        FindingHeader {
            id: finding.id.clone(),
            finding_type: finding.finding_type.clone(),
            severity: finding.severity,
            created_at: finding.created_at.clone(),
            updated_at: finding.updated_at.clone(),
            account_id: finding.account_id.clone(),
            region: finding.region.clone(),
            archived: finding.service.as_ref().and_then(|s| s.archived).unwrap_or(false),
            sample: finding.service.as_ref().is_some_and(|s| s.is_sample()),
        }
    }
}

/// What one finding (or foreign EventBridge event) of the input gave.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingResult {
    /// The finding's id, type, severity and times (all `None` for a foreign event).
    pub header: FindingHeader,
    /// Its tuples (at least one), or why it has none.
    pub outcome: Result<Vec<FindingTuple>, FindingSkip>,
    /// Remote-IP details without a usable address in a finding that still gave tuples.
    pub details_without_ip: usize,
    /// True when the finding's tuples are a role session's, counted as its role (the entity rule's merge).
    pub session_folded: bool,
}

/// Splits one JSON value of any supported shape (bare finding, array, EventBridge event, GetFindings
/// output; camelCase or PascalCase) into its findings, in order, each with its tuples or skip reason.
/// `Err` describes a value of an unknown shape or a finding with a field of the wrong type.
pub fn findings_in_value(value: Value) -> Result<Vec<FindingResult>, String> {
    let mut items = Vec::new();
    split_items(value, &mut items)?;
    items
        .into_iter()
        .map(|item| match item {
            Item::OtherEvent => Ok(FindingResult {
                header: FindingHeader::default(),
                outcome: Err(FindingSkip::NotAFinding),
                details_without_ip: 0,
                session_folded: false,
            }),
            Item::Finding(value) => {
                let finding = parse_finding(value)?;
                let header = FindingHeader::of(&finding);
                Ok(match finding_tuples(finding) {
                    Ok(found) => FindingResult {
                        header,
                        outcome: Ok(found.tuples),
                        details_without_ip: found.details_without_ip,
                        session_folded: found.session_folded,
                    },
                    Err(reason) => {
                        FindingResult { header, outcome: Err(reason), details_without_ip: 0, session_folded: false }
                    }
                })
            }
        })
        .collect()
}

/// Deserialises a camelCase finding; the error names the finding id and the offending field path.
fn parse_finding(value: Value) -> Result<Finding, String> {
    let id = value.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
    serde_path_to_error::deserialize(value).map_err(|e| format!("finding {id}: field `{}`: {}", e.path(), e.inner()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_headers_of_skipped_findings_and_foreign_events() {
        let value = json!([
            {"id": "a", "type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2,
             "updatedAt": "2024-03-05T00:00:00Z", "resource": {"resourceType": "Instance"}},
            {"source": "aws.ec2", "detail-type": "x", "detail": {}},
            {"id": "b", "resource": {"accessKeyDetails": {"principalId": "AIDA1"}},
             "service": {"action": {"actionType": "AWS_API_CALL",
               "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "1.2.3.4"}}}}}
        ]);
        let results = findings_in_value(value).unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].header.id.as_deref(), Some("a"));
        assert_eq!(results[0].header.severity, Some(2.0));
        assert_eq!(results[0].outcome, Err(FindingSkip::NoAccessKeyDetails));
        assert_eq!(results[1].header, FindingHeader::default());
        assert_eq!(results[1].outcome, Err(FindingSkip::NotAFinding));
        let tuples = results[2].outcome.as_ref().unwrap();
        assert_eq!((tuples[0].tuple.entity.as_str(), tuples[0].finding_id.as_str()), ("AIDA1", "b"));
    }

    #[test]
    fn archived_and_sample_findings_are_left_out_unless_asked_for() {
        let finding = |id: &str, service: Value| {
            json!({"id": id, "resource": {"accessKeyDetails": {"principalId": "AIDA1"}},
                   "service": service.as_object().unwrap().clone().into_iter()
                       .chain([("action".to_string(), json!({"actionType": "AWS_API_CALL",
                           "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "1.2.3.4"}}}))])
                       .collect::<serde_json::Map<_, _>>()})
        };
        let value = json!([
            finding("live", json!({"archived": false, "additionalInfo": {"value": "{}", "type": "default"}})),
            finding("archived", json!({"archived": true})),
            finding("sample-api", json!({"additionalInfo": {"value": "{\"sample\":true}", "type": "default"}})),
            finding("sample-export", json!({"additionalInfo": {"sample": true}})),
            finding("both", json!({"archived": "true", "additionalInfo": {"sample": "true"}})),
        ]);
        let results = findings_in_value(value).unwrap();
        let outcomes = |scope: FindingScope| -> Vec<Option<FindingSkip>> {
            results.iter().cloned().map(|r| r.within(scope).outcome.err()).collect()
        };
        use FindingSkip::{Archived, Sample};
        assert_eq!(
            outcomes(FindingScope::default()),
            [None, Some(Archived), Some(Sample), Some(Sample), Some(Archived)]
        );
        let all = FindingScope { include_archived: true, include_samples: true };
        assert_eq!(outcomes(all), [None; 5]);
        let archived_too = FindingScope { include_archived: true, ..FindingScope::default() };
        assert_eq!(outcomes(archived_too), [None, None, Some(Sample), Some(Sample), Some(Sample)]);
        assert!(findings_in_value(json!({"id": "x", "service": {"archived": 3}})).unwrap_err().contains("archived"));
    }

    #[test]
    fn wrong_field_type_names_finding_and_field() {
        let err = findings_in_value(json!({"id": "f1", "severity": [1]})).unwrap_err();
        assert!(err.contains("finding f1") && err.contains("severity"), "{err}");
    }
}
