//! The one entity rule in both security readers, and agreement with the training CSV reader: whitespace around an
//! entity is not part of it, and a blank entity is a counted skip with its reason, never silently dropped.

use std::net::IpAddr;

use ipinsights_engine::tuples::{parse_tuples, write_rows, ReadOptions, Tuple};
use ipinsights_security::{CloudTrailReader, FindingSkip, GuardDutyReader, SkipReason, TupleMode};
use serde_json::json;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cloudtrail_record(principal_id: Option<&str>, source: &str) -> serde_json::Value {
    let mut record = json!({"eventTime": "2024-01-01T00:00:00Z", "sourceIPAddress": source});
    if let Some(id) = principal_id {
        record["userIdentity"] = json!({ "type": "IAMUser", "principalId": id });
    }
    record
}

fn guardduty_finding(id: &str, principal_id: &str, remote: &str) -> serde_json::Value {
    json!({
        "id": id,
        "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        "resource": {"accessKeyDetails": {"principalId": principal_id, "userName": "alice"}},
        "service": {"action": {"actionType": "AWS_API_CALL",
            "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": remote}}}}
    })
}

#[test]
fn cloudtrail_trims_entities_and_counts_blank_principals() {
    let log = json!({"Records": [
        cloudtrail_record(Some(" alice"), "198.51.100.1"),
        cloudtrail_record(Some("alice\t"), "198.51.100.2"),
        cloudtrail_record(Some("\u{a0}AROAROLE :session-1"), "198.51.100.3"),
        cloudtrail_record(Some("   "), "198.51.100.4"),
        cloudtrail_record(Some(" :session-2"), "198.51.100.5"),
        cloudtrail_record(Some(""), "198.51.100.6"),
        cloudtrail_record(None, "198.51.100.7"),
    ]});
    let mut reader = CloudTrailReader::new(TupleMode::AllEvents);
    reader.add_reader(log.to_string().as_bytes(), "log.json").unwrap();
    let x = reader.finish();
    let pairs: Vec<(&str, IpAddr)> = x.pairs().map(|t| (t.entity.as_str(), t.ip)).collect();
    assert_eq!(pairs, [("alice", ip("198.51.100.1")), ("alice", ip("198.51.100.2")), ("AROAROLE", ip("198.51.100.3"))]);
    assert_eq!(x.skipped.get(SkipReason::BlankPrincipal), 2, "{}", x.skipped);
    assert_eq!(x.skipped.get(SkipReason::NoPrincipal), 2, "{}", x.skipped);
    assert_eq!(x.records, x.tuples.len() + x.skipped.total(), "every record is a tuple or a counted skip");
    assert_eq!(x.to_string(), "read 7 records from 1 files: 3 tuples (3 unique pairs, 0 duplicates dropped); skipped 4 records: 2 no principal, 2 blank principal");

    // `" alice"` and `"alice"` are one principal: unique-pair mode sees one pair for the same address.
    let log = json!({"Records": [
        cloudtrail_record(Some(" alice"), "198.51.100.1"),
        cloudtrail_record(Some("alice"), "198.51.100.1"),
    ]});
    let mut reader = CloudTrailReader::new(TupleMode::UniquePairs);
    reader.add_reader(log.to_string().as_bytes(), "log.json").unwrap();
    let x = reader.finish();
    assert_eq!((x.tuples.len(), x.unique_pairs, x.duplicates), (1, 1, 1));
}

#[test]
fn guardduty_trims_entities_and_counts_blank_principals() {
    let findings = json!([
        guardduty_finding("f1", " alice", "203.0.113.1"),
        guardduty_finding("f2", "\u{3000}AROAROLE\u{3000}:session", "203.0.113.2"),
        guardduty_finding("f3", " \t ", "203.0.113.3"),
        guardduty_finding("f4", ":session", "203.0.113.4"),
        guardduty_finding("f5", "", "203.0.113.5"),
    ]);
    let mut reader = GuardDutyReader::new();
    reader.add_reader(findings.to_string().as_bytes(), "findings.json").unwrap();
    let x = reader.finish();
    let pairs: Vec<(&str, IpAddr)> = x.pairs().map(|t| (t.entity.as_str(), t.ip)).collect();
    assert_eq!(pairs, [("alice", ip("203.0.113.1")), ("AROAROLE", ip("203.0.113.2"))]);
    // The full principal id is kept as written, for the analyst.
    assert_eq!(x.tuples[0].principal_id, " alice");
    // Serialised flat, as before the pair became a Tuple.
    let value = serde_json::to_value(&x.tuples[0]).unwrap();
    assert_eq!(
        (&value["entity"], &value["ip"], &value["finding_id"]),
        (&json!("alice"), &json!("203.0.113.1"), &json!("f1"))
    );
    assert_eq!(x.skipped.get(FindingSkip::BlankPrincipal), 2, "{}", x.skipped);
    assert_eq!(x.skipped.get(FindingSkip::NoPrincipal), 1, "{}", x.skipped);
    assert_eq!(x.findings, x.findings_with_tuples + x.skipped.total(), "every finding is counted once");
    assert!(x.to_string().contains("skipped 3 findings: 2 blank principal, 1 no principal"), "{x}");
}

#[test]
fn cloudtrail_guardduty_and_training_csv_agree_on_entities() {
    let log = json!({"Records": [cloudtrail_record(Some(" alice :s"), "10.0.0.1")]});
    let mut trail = CloudTrailReader::new(TupleMode::AllEvents);
    trail.add_reader(log.to_string().as_bytes(), "log.json").unwrap();
    let trail = trail.finish();
    let mut findings = GuardDutyReader::new();
    findings.add_reader(guardduty_finding("f", "alice\u{a0}", "10.0.0.1").to_string().as_bytes(), "f.json").unwrap();
    let findings = findings.finish();
    let csv = parse_tuples("\u{2003}alice ,10.0.0.1\n".as_bytes(), "train.csv", ReadOptions::default()).unwrap();

    let alice = Tuple::new("alice", ip("10.0.0.1"));
    assert_eq!(trail.pairs().collect::<Vec<_>>(), [&alice]);
    assert_eq!(findings.pairs().collect::<Vec<_>>(), [&alice]);
    assert_eq!(csv.tuples.iter().collect::<Vec<_>>(), [&alice]);

    // And the tuples the readers produce read back unchanged through the training CSV reader.
    let mut written = Vec::new();
    write_rows(&mut written, trail.pairs().chain(findings.pairs())).unwrap();
    let back = parse_tuples(written.as_slice(), "tuples.csv", ReadOptions::default()).unwrap();
    assert_eq!(back.tuples, [alice.clone(), alice]);
}
