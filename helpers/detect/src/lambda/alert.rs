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
        detections: Vec::with_capacity(group.len()),
        omitted_detections: 0,
    };
    // Keep the most anomalous records that fit: each record's pretty size, indented two levels deeper inside the
    // message, estimated once (no quadratic re-serialising), then checked exactly.
    let pretty = |m: &Message| serde_json::to_string_pretty(m).unwrap_or_default();
    message.detections.clear();
    let mut size = pretty(&message).len();
    for record in &group {
        let text = serde_json::to_string_pretty(record).unwrap_or_default();
        size += text.len() + 4 * (text.matches('\n').count() + 1) + 2;
        if size > MAX_MESSAGE_BYTES {
            break;
        }
        message.detections.push(record);
    }
    let text = loop {
        message.omitted_detections = group.len() - message.detections.len();
        let text = pretty(&message);
        if text.len() <= MAX_MESSAGE_BYTES || message.detections.is_empty() {
            break text;
        }
        message.detections.pop();
    };
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

    fn alert_record(id: &str, host: u32, score: f32) -> Detection {
        Detection {
            verdict: Verdict::Alert,
            finding_id: Some(id.into()),
            finding_type: Some("Recon:EC2/PortProbeUnprotectedPort".into()),
            severity: Some(2.0),
            time: None,
            account_id: None,
            region: None,
            principal: Some("AROAEXAMPLE".into()),
            principal_id: Some("AROAEXAMPLE:session".into()),
            user_name: None,
            action_type: Some("PORT_PROBE".into()),
            ip: Some(std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + host))),
            dot_product: Some(-score),
            score: Some(score),
            threshold: 0.0,
            explanation: None,
            skip_reason: Some("x".repeat(200)),
        }
    }

    #[test]
    fn one_alert_per_finding_most_anomalous_first_within_sns_limits() {
        let mut records: Vec<Detection> = (0..3_000).map(|i| alert_record("big", i, (i % 97) as f32)).collect();
        records.push(alert_record("small", 1, 1.0));
        records.push(Detection { verdict: Verdict::Pass, ..alert_record("passing", 2, -1.0) });
        let alerts = alerts(&records);
        assert_eq!(alerts.len(), 2);
        let big: serde_json::Value = serde_json::from_str(&alerts[0].message).unwrap();
        assert!(alerts[0].message.len() <= MAX_MESSAGE_BYTES, "{}", alerts[0].message.len());
        let kept = big["detections"].as_array().unwrap().len();
        assert_eq!(kept + big["omitted_detections"].as_u64().unwrap() as usize, 3_000);
        assert!(kept > 100, "{kept}");
        assert_eq!(big["score"], 96.0);
        assert!(alerts[0].subject.len() <= MAX_SUBJECT_CHARS);
        assert_eq!(alerts[1].finding_id.as_deref(), Some("small"));
    }
}
