//! The detector with table scorers: verdicts, explanations, skips, streaming and errors.

use std::collections::HashMap;
use std::net::IpAddr;

use ipinsights_protocol::{Pair, ScoreError};
use serde_json::{json, Value};

use super::*;

/// Scores from a table (`dot_product`), a default for other pairs.
struct Table(HashMap<(String, IpAddr), f32>, f32);

impl Scorer for Table {
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Ok(pairs.iter().map(|(e, ip)| self.0.get(&(e.to_string(), *ip)).copied().unwrap_or(self.1)).collect())
    }
    fn describe(&self) -> String {
        "table".into()
    }
}

struct Failing;

impl Scorer for Failing {
    fn dot_products(&self, _: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Err(ScoreError::new("failing", "connection refused"))
    }
    fn describe(&self) -> String {
        "failing".into()
    }
}

struct Short;

impl Scorer for Short {
    fn dot_products(&self, _: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Ok(vec![])
    }
    fn describe(&self) -> String {
        "short".into()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn detector(threshold: f64) -> Detector {
    let table = HashMap::from([
        (("AIDAALICE".to_string(), ip("10.1.2.3")), 4.0),
        (("AIDAALICE".to_string(), ip("198.51.100.7")), -2.5),
        (("AROAROLE".to_string(), ip("192.0.2.1")), f32::NAN),
    ]);
    Detector::new(Table(table, 1.0), threshold).unwrap()
}

/// An EventBridge GuardDuty event for an API call from `addr` by `principal`.
fn event(id: &str, principal: &str, addr: &str) -> Value {
    json!({
        "version": "0", "id": "evt", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
        "account": "123456789012", "time": "2024-03-05T14:12:04Z", "region": "us-east-1", "resources": [],
        "detail": {
            "id": id, "type": "Recon:IAMUser/MaliciousIPCaller", "severity": 5,
            "createdAt": "2024-03-05T14:07:02.413Z", "updatedAt": "2024-03-05T14:09:00.000Z",
            "accountId": "123456789012", "region": "us-east-1",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": "AKIAEXAMPLE", "principalId": principal, "userName": "alice", "userType": "IAMUser"}},
            "service": {"action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {"remoteIpDetails": {
                "ipAddressV4": addr,
                "organization": {"asn": "14061", "asnOrg": "DIGITALOCEAN-ASN", "isp": "DigitalOcean", "org": "DigitalOcean, LLC"},
                "country": {"countryName": "Netherlands"}, "city": {"cityName": "Amsterdam"}}}}}
        }
    })
}

#[test]
fn alert_and_pass_follow_the_anomaly_score() {
    let d = detector(0.0);
    let alert = &d.detect_value(event("f1", "AIDAALICE", "198.51.100.7")).unwrap()[0];
    assert_eq!(alert.verdict, Verdict::Alert);
    assert_eq!((alert.dot_product, alert.score, alert.threshold), (Some(-2.5), Some(2.5), 0.0));
    assert_eq!(alert.finding_id.as_deref(), Some("f1"));
    assert_eq!(alert.time.as_deref(), Some("2024-03-05T14:09:00.000Z"));
    assert_eq!((alert.principal.as_deref(), alert.ip), (Some("AIDAALICE"), Some(ip("198.51.100.7"))));
    let pass = &d.detect_value(event("f2", "AIDAALICE", "10.1.2.3")).unwrap()[0];
    assert_eq!((pass.verdict, pass.score), (Verdict::Pass, Some(-4.0)));
    // Strictly greater: a score equal to the threshold passes.
    let at = &detector(2.5).detect_value(event("f1", "AIDAALICE", "198.51.100.7")).unwrap()[0];
    assert_eq!(at.verdict, Verdict::Pass);
}

#[test]
fn record_json_has_every_key() {
    let d = detector(0.0);
    let r = serde_json::to_value(&d.detect_value(event("f1", "AIDAALICE", "198.51.100.7")).unwrap()[0]).unwrap();
    assert_eq!(r["verdict"], "alert");
    assert_eq!(r["severity"], 5.0);
    assert_eq!(r["dot_product"], -2.5);
    assert_eq!(r["score"], 2.5);
    assert_eq!(r["explanation"]["remote"]["asn"], "14061");
    assert_eq!(r["explanation"]["remote"]["country"], "Netherlands");
    assert_eq!(r["explanation"]["familiarity"], Value::Null);
    assert_eq!(r["skip_reason"], Value::Null);
    assert_eq!(
        r["explanation"]["summary"],
        "AIDAALICE (alice) called from 198.51.100.7 (AS14061 DIGITALOCEAN-ASN, Amsterdam, Netherlands): \
         score 2.5 > threshold 0"
    );
}

#[test]
fn explanations_use_the_familiarity_index() {
    let mut f = Familiarity::new();
    for _ in 0..9 {
        f.add("AIDAALICE", ip("10.1.2.3"));
    }
    f.add("AIDAALICE", ip("10.9.0.1"));
    let d = detector(0.0).with_familiarity(f).with_top_networks(1);
    let r = &d.detect_value(event("f1", "AIDAALICE", "198.51.100.7")).unwrap()[0];
    let e = r.explanation.as_ref().unwrap();
    let fam = e.familiarity.as_ref().unwrap();
    assert_eq!((fam.training_events, fam.network_events, fam.familiar_networks.len()), (10, 0, 1));
    assert!(
        e.summary
            .ends_with("; never seen from 198.51.0.0/16 in its 10 training events; usual networks: 10.1.2.0/24 (90%)"),
        "{}",
        e.summary
    );
    let r = &d.detect_value(event("f2", "AIDAALICE", "10.1.2.3")).unwrap()[0];
    assert!(r.explanation.as_ref().unwrap().summary.contains("seen from this address in 9 of its 10"));
    let r = &d.detect_value(event("f3", "AIDANEW", "10.1.2.3")).unwrap()[0];
    assert!(r.explanation.as_ref().unwrap().summary.contains("not in the training data"));
}

#[test]
fn findings_without_tuples_are_skipped_with_reason() {
    let d = detector(0.0);
    let no_key = json!({"id": "p1", "type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2,
                        "resource": {"resourceType": "Instance"}});
    let r = d.detect_value(no_key).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].verdict, r[0].finding_id.as_deref()), (Verdict::Skipped, Some("p1")));
    assert_eq!(r[0].skip_reason.as_deref(), Some("no access key details"));
    let other = json!({"source": "aws.ec2", "detail-type": "EC2 State Change", "detail": {}});
    assert_eq!(d.detect_value(other).unwrap()[0].skip_reason.as_deref(), Some("not a GuardDuty finding"));
    let shape = d.detect_value(json!({"Records": []})).unwrap();
    assert!(shape[0].skip_reason.as_deref().unwrap().starts_with("invalid finding: "), "{shape:?}");
    let bad_ip = d.detect_value(event("f9", "AIDAALICE", "300.1.2.3")).unwrap();
    assert_eq!(bad_ip[0].skip_reason.as_deref(), Some("invalid IP"));
}

#[test]
fn non_finite_scores_are_skipped_not_passed() {
    let r = &detector(0.0).detect_value(event("f1", "AROAROLE:s", "192.0.2.1")).unwrap()[0];
    assert_eq!(r.verdict, Verdict::Skipped);
    assert!(r.skip_reason.as_deref().unwrap().contains("non-finite dot_product"), "{r:?}");
    assert_eq!(r.principal.as_deref(), Some("AROAROLE"));
}

#[test]
fn port_probe_details_give_one_record_each_and_missing_ips_are_counted() {
    let finding = json!({"id": "pp", "resource": {"accessKeyDetails": {"principalId": "AIDAALICE"}},
        "service": {"action": {"actionType": "PORT_PROBE", "portProbeAction": {"portProbeDetails": [
            {"remoteIpDetails": {"ipAddressV4": "10.1.2.3"}},
            {"remoteIpDetails": {"ipAddressV4": "198.51.100.7"}},
            {"remoteIpDetails": {"country": {"countryName": "X"}}}]}}}});
    let r = detector(0.0).detect_value(finding).unwrap();
    let verdicts: Vec<Verdict> = r.iter().map(|d| d.verdict).collect();
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Alert, Verdict::Skipped]);
    assert_eq!(r[2].skip_reason.as_deref(), Some(DETAIL_WITHOUT_IP));
    assert_eq!(r[2].finding_id.as_deref(), Some("pp"));
}

#[test]
fn streams_ndjson_and_summarises() {
    let d = detector(0.0);
    let text = [
        event("f1", "AIDAALICE", "198.51.100.7"),
        event("f2", "AIDAALICE", "10.1.2.3"),
        json!({"id": "p1", "resource": {}}),
        json!({"source": "aws.ec2", "detail-type": "x", "detail": {}}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let mut summary = DetectSummary::default();
    let mut ids = Vec::new();
    d.detect_reader(text.as_bytes(), "stdin", &mut summary, |r| {
        ids.push(r.finding_id.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(ids, [Some("f1".into()), Some("f2".into()), Some("p1".into()), None]);
    assert_eq!((summary.inputs, summary.values, summary.findings, summary.alerts, summary.passes), (1, 4, 3, 1, 1));
    assert_eq!(summary.records(), 4);
    assert_eq!(
        summary.to_string(),
        "detect: 3 findings in 4 JSON values from 1 input: 1 alert, 1 pass, 2 skipped \
         (1 no access key details, 1 not a GuardDuty finding)"
    );
    assert_eq!(d.detect_str(&text).unwrap().len(), 4);
}

#[test]
fn broken_json_stops_with_name_and_line_after_earlier_records() {
    let d = detector(0.0);
    let text = format!("{}\n{{\"id\": \n", event("f1", "AIDAALICE", "198.51.100.7"));
    let mut emitted = 0;
    let err = d
        .detect_reader(text.as_bytes(), "findings.jsonl", &mut DetectSummary::default(), |_| {
            emitted += 1;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(emitted, 1);
    assert!(matches!(err, DetectError::Json { line: 3, .. }), "{err:?}");
    assert!(err.to_string().starts_with("findings.jsonl: invalid JSON at line 3"), "{err}");
}

#[test]
fn scoring_failures_are_errors() {
    let d = Detector::new(Failing, 0.0).unwrap();
    let err = d.detect_value(event("f1", "AIDAALICE", "10.1.2.3")).unwrap_err();
    assert_eq!(err.to_string(), "scoring with failing failed: connection refused");
    // A finding without tuples needs no scorer.
    assert_eq!(d.detect_value(json!({"id": "p"})).unwrap()[0].verdict, Verdict::Skipped);
    let err = Detector::new(Short, 0.0).unwrap().detect_value(event("f1", "AIDAALICE", "10.1.2.3")).unwrap_err();
    assert_eq!(err.to_string(), "short returned 0 scores for 1 pairs");
}

#[test]
fn threshold_must_be_finite() {
    assert!(matches!(Detector::new(Short, f64::NAN), Err(DetectError::InvalidThreshold(_))));
    assert!(Detector::new(Short, f64::INFINITY).is_err());
}

/// Records every pair it is asked to score.
struct Recording(std::sync::Mutex<Vec<(String, IpAddr)>>);

impl Scorer for Recording {
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        self.0.lock().unwrap().extend(pairs.iter().map(|(e, ip)| (e.to_string(), *ip)));
        Ok(vec![-3.0; pairs.len()])
    }
    fn describe(&self) -> String {
        "recording".into()
    }
}

#[test]
fn ipv4_only_scorers_never_see_ipv6_and_the_skip_keeps_principal_and_address() {
    let pairs = std::sync::Arc::new(Recording(std::sync::Mutex::new(Vec::new())));
    let d = Detector::new(pairs.clone(), 0.0).unwrap().with_ipv4_only();
    let both = json!([event("f4", "AIDAALICE", "198.51.100.7"), event("f6", "AIDAALICE", "2001:db8::7")]);
    let records = d.detect_value(both).unwrap();
    assert_eq!(*pairs.0.lock().unwrap(), [("AIDAALICE".to_string(), ip("198.51.100.7"))]);
    assert_eq!(records[0].verdict, Verdict::Alert);
    let v6 = &records[1];
    assert_eq!((v6.verdict, v6.skip_reason.as_deref()), (Verdict::Skipped, Some(IPV6_ON_IPV4_SCORER)));
    assert_eq!(
        (v6.principal.as_deref(), v6.ip, v6.finding_id.as_deref()),
        (Some("AIDAALICE"), Some(ip("2001:db8::7")), Some("f6"))
    );
    // Without the setting, IPv6 is scored (the local engine's extension).
    let all = Detector::new(pairs.clone(), 0.0).unwrap();
    assert_eq!(all.detect_value(event("f6", "AIDAALICE", "2001:db8::7")).unwrap()[0].verdict, Verdict::Alert);
}
