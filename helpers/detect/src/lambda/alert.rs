//! Alerts as SNS messages: one per alerting finding (however many of its addresses alert), a subject that names the
//! finding type, the principal and the IP within SNS's 100 ASCII characters, and the alert JSON with its explanation
//! within SNS's 256 KB.

use serde::Serialize;

use crate::detector::{Detection, Verdict};

/// SNS's limit on `Subject`: 100 characters, printable ASCII.
pub const MAX_SUBJECT_CHARS: usize = 100;
/// SNS's limit on `Message`: 256 KB (262,144 bytes, UTF-8).
pub const MAX_MESSAGE_BYTES: usize = 262_144;

/// One alert, ready to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The finding alerted (None when the finding had no id).
    pub finding_id: Option<String>,
    /// SNS subject.
    pub subject: String,
    /// SNS message: the alert JSON.
    pub message: String,
}

/// The alert JSON.
#[derive(Serialize)]
struct Message<'a> {
    alert: &'static str,
    finding_id: Option<&'a str>,
    finding_type: Option<&'a str>,
    severity: Option<f64>,
    principal: Option<&'a str>,
    ip: Option<String>,
    score: Option<f32>,
    threshold: f64,
    summary: Option<&'a str>,
    /// Every alert record of the finding, most anomalous first.
    detections: Vec<&'a Detection>,
    /// Alert records left out to stay within SNS's size limit.
    omitted_detections: usize,
}

/// The alerts of an invocation's records: alert records grouped by finding id (first-seen order), most anomalous
/// record first; records without a finding id alert alone.
pub fn alerts(records: &[Detection]) -> Vec<Alert> {
    let mut groups: Vec<Vec<&Detection>> = Vec::new();
    for record in records.iter().filter(|r| r.verdict == Verdict::Alert) {
        let same =
            record.finding_id.as_ref().and_then(|id| groups.iter_mut().find(|g| g[0].finding_id.as_ref() == Some(id)));
        match same {
            Some(group) => group.push(record),
            None => groups.push(vec![record]),
        }
    }
    groups.into_iter().map(alert).collect()
}

fn alert(mut group: Vec<&Detection>) -> Alert {
    group.sort_by(|a, b| b.score.unwrap_or(f32::MIN).total_cmp(&a.score.unwrap_or(f32::MIN)));
    let top = group[0];
    let mut message = Message {
        alert: "IP Insights: unusual IP address for this principal",
        finding_id: top.finding_id.as_deref(),
        finding_type: top.finding_type.as_deref(),
        severity: top.severity,
        principal: top.principal.as_deref(),
        ip: top.ip.map(|ip| ip.to_string()),
        score: top.score,
        threshold: top.threshold,
        summary: top.explanation.as_ref().map(|e| e.summary.as_str()),
        detections: group.clone(),
        omitted_detections: 0,
    };
    let mut text = serde_json::to_string_pretty(&message).unwrap_or_default();
    while text.len() > MAX_MESSAGE_BYTES && message.detections.len() > 1 {
        message.detections.pop();
        message.omitted_detections += 1;
        text = serde_json::to_string_pretty(&message).unwrap_or_default();
    }
    if text.len() > MAX_MESSAGE_BYTES {
        message.detections.clear();
        message.omitted_detections = group.len();
        text = serde_json::to_string(&message).unwrap_or_default();
    }
    Alert {
        finding_id: top.finding_id.clone(),
        subject: subject(
            top.finding_type.as_deref().unwrap_or("finding"),
            top.principal.as_deref().unwrap_or("unknown principal"),
            &top.ip.map_or_else(|| "unknown IP".to_string(), |ip| ip.to_string()),
        ),
        message: text,
    }
}

/// `IP Insights: TYPE, PRINCIPAL from IP` in at most 100 printable ASCII characters: the finding type is shortened
/// to its last part, then the principal is cut (with `...`) before the IP ever is.
pub fn subject(finding_type: &str, principal: &str, ip: &str) -> String {
    let clean =
        |s: &str| -> String { s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect() };
    let (mut kind, mut who, ip) = (clean(finding_type), clean(principal), clean(ip));
    let render = |kind: &str, who: &str| format!("IP Insights: {kind}, {who} from {ip}");
    if render(&kind, &who).len() > MAX_SUBJECT_CHARS {
        kind = kind.rsplit('/').next().unwrap_or(&kind).to_string();
    }
    let over = render(&kind, &who).len().saturating_sub(MAX_SUBJECT_CHARS);
    if over > 0 {
        let keep = who.len().saturating_sub(over + 3);
        who = format!("{}...", &who[..keep]);
    }
    let mut text = render(&kind, &who);
    text.truncate(MAX_SUBJECT_CHARS);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_sns() {
        assert_eq!(
            subject("UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "AIDAALICE000000000001", "198.51.100.7"),
            "IP Insights: ConsoleLoginSuccess.B, AIDAALICE000000000001 from 198.51.100.7"
        );
        let long = subject(&"Recon:IAMUser/".repeat(10), &"AROAÜ".repeat(30), "2001:db8::1");
        assert!(long.len() <= MAX_SUBJECT_CHARS, "{long}");
        assert!(long.is_ascii() && long.ends_with("... from 2001:db8::1"), "{long}");
        let short = subject("Recon:IAMUser/MaliciousIPCaller", "AIDA1", "1.2.3.4");
        assert_eq!(short, "IP Insights: Recon:IAMUser/MaliciousIPCaller, AIDA1 from 1.2.3.4");
    }
}
