//! The one entity rule in both security readers, and agreement with the training CSV reader: whitespace around an
//! entity is not part of it, and a blank entity is a counted skip with its reason, never silently dropped.

use std::net::IpAddr;

use ipinsights_engine::tuples::{parse_tuples, write_rows, ReadOptions, Tuple};
use ipinsights_security_logs::{CloudTrailReader, FindingSkip, GuardDutyReader, SkipReason, TupleMode};
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
    assert_eq!(x.to_string(), "read 7 records from 1 files: 3 tuples (3 unique pairs, 0 duplicates dropped); skipped 4 records: 2 no principal, 2 blank principal; 1 role-session records counted as their role");
    assert_eq!(x.role_sessions_folded, 1, "AROAROLE:session-1 is counted as its role");

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
    let log = json!({"Records": [cloudtrail_record(Some(" AROAALICE :s"), "10.0.0.1")]});
    let mut trail = CloudTrailReader::new(TupleMode::AllEvents);
    trail.add_reader(log.to_string().as_bytes(), "log.json").unwrap();
    let trail = trail.finish();
    let mut findings = GuardDutyReader::new();
    findings
        .add_reader(guardduty_finding("f", "AROAALICE\u{a0}", "10.0.0.1").to_string().as_bytes(), "f.json")
        .unwrap();
    let findings = findings.finish();
    let csv = parse_tuples("\u{2003}AROAALICE ,10.0.0.1\n".as_bytes(), "train.csv", ReadOptions::default()).unwrap();

    let alice = Tuple::new("AROAALICE", ip("10.0.0.1"));
    assert_eq!(trail.pairs().collect::<Vec<_>>(), [&alice]);
    assert_eq!(findings.pairs().collect::<Vec<_>>(), [&alice]);
    assert_eq!(csv.tuples.iter().collect::<Vec<_>>(), [&alice]);

    // And the tuples the readers produce read back unchanged through the training CSV reader.
    let mut written = Vec::new();
    write_rows(&mut written, trail.pairs().chain(findings.pairs())).unwrap();
    let back = parse_tuples(written.as_slice(), "tuples.csv", ReadOptions::default()).unwrap();
    assert_eq!(back.tuples, [alice.clone(), alice]);
}

/// A CloudTrail record of `kind` with its ARN (and, for a role session, its issuer), as CloudTrail writes them.
fn typed_record(
    kind: &str,
    principal_id: &str,
    arn: &str,
    issuer_arn: Option<&str>,
    source: &str,
) -> serde_json::Value {
    let mut identity = json!({"type": kind, "principalId": principal_id, "arn": arn, "accountId": "123456789012"});
    if let Some(issuer) = issuer_arn {
        identity["sessionContext"] = json!({"sessionIssuer": {"type": "Role", "arn": issuer}});
    }
    json!({"eventTime": "2024-01-01T00:00:00Z", "sourceIPAddress": source, "userIdentity": identity})
}

/// A GuardDuty finding whose `accessKeyDetails` carry `userType` and `userName` as GuardDuty writes them.
fn typed_finding(id: &str, user_type: &str, principal_id: &str, user_name: &str, remote: &str) -> serde_json::Value {
    json!({
        "id": id,
        "resource": {"accessKeyDetails": {"principalId": principal_id, "userName": user_name, "userType": user_type}},
        "service": {"action": {"actionType": "AWS_API_CALL",
            "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": remote}}}}
    })
}

#[test]
fn people_are_entities_of_their_own_and_service_role_sessions_count_as_their_role() {
    let sso_role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
    let sso_role_arn = format!("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/{sso_role}");
    let log = json!({"Records": [
        typed_record("Root", "123456789012", "arn:aws:iam::123456789012:root", None, "198.51.100.1"),
        typed_record("FederatedUser", "123456789012:bob", "arn:aws:sts::123456789012:federated-user/bob", None,
            "198.51.100.1"),
        typed_record("FederatedUser", "123456789012:carol", "arn:aws:sts::123456789012:federated-user/carol", None,
            "198.51.100.1"),
        typed_record("WebIdentityUser", "accounts.google.com:app.apps.googleusercontent.com:1001",
            "arn:aws:sts::123456789012:assumed-role/web/1001", None, "198.51.100.1"),
        typed_record("WebIdentityUser", "accounts.google.com:app.apps.googleusercontent.com:1002",
            "arn:aws:sts::123456789012:assumed-role/web/1002", None, "198.51.100.1"),
        typed_record("AssumedRole", "AROASSOROLE:alice@example.com",
            &format!("arn:aws:sts::123456789012:assumed-role/{sso_role}/alice@example.com"), Some(&sso_role_arn),
            "198.51.100.1"),
        typed_record("AssumedRole", "AROASSOROLE:dave@example.com",
            &format!("arn:aws:sts::123456789012:assumed-role/{sso_role}/dave@example.com"), None, "198.51.100.1"),
        typed_record("AssumedRole", "AROAAPPROLE:i-0123456789abcdef0",
            "arn:aws:sts::123456789012:assumed-role/app/i-0123456789abcdef0",
            Some("arn:aws:iam::123456789012:role/app"), "198.51.100.1"),
        typed_record("AssumedRole", "AROAAPPROLE:i-0fedcba9876543210",
            "arn:aws:sts::123456789012:assumed-role/app/i-0fedcba9876543210",
            Some("arn:aws:iam::123456789012:role/app"), "198.51.100.1"),
    ]});
    let mut trail = CloudTrailReader::new(TupleMode::UniquePairs);
    trail.add_reader(log.to_string().as_bytes(), "log.json").unwrap();
    let trail = trail.finish();
    let entities: Vec<&str> = trail.pairs().map(|t| t.entity.as_str()).collect();
    assert_eq!(
        entities,
        [
            "123456789012",
            "123456789012:bob",
            "123456789012:carol",
            "accounts.google.com:app.apps.googleusercontent.com:1001",
            "accounts.google.com:app.apps.googleusercontent.com:1002",
            "AROASSOROLE:alice@example.com",
            "AROASSOROLE:dave@example.com",
            "AROAAPPROLE",
        ],
        "root, federated users, web-identity subjects and Identity Center sessions apart; the app role's sessions one"
    );
    assert_eq!((trail.role_sessions_folded, trail.duplicates), (2, 1), "{trail}");
    assert!(trail.to_string().contains("2 role-session records counted as their role"), "{trail}");

    // GuardDuty's accessKeyDetails name the same people the same way.
    let findings = json!([
        typed_finding("root", "Root", "123456789012", "Root", "198.51.100.1"),
        typed_finding("bob", "FederatedUser", "123456789012:bob", "bob", "198.51.100.1"),
        typed_finding("alice", "AssumedRole", "AROASSOROLE:alice@example.com", sso_role, "198.51.100.1"),
        typed_finding("app", "AssumedRole", "AROAAPPROLE:i-0123456789abcdef0", "app", "198.51.100.1"),
    ]);
    let mut reader = GuardDutyReader::new();
    reader.add_reader(findings.to_string().as_bytes(), "findings.json").unwrap();
    let found = reader.finish();
    let entities: Vec<&str> = found.pairs().map(|t| t.entity.as_str()).collect();
    assert_eq!(entities, ["123456789012", "123456789012:bob", "AROASSOROLE:alice@example.com", "AROAAPPROLE"]);
    assert!(entities.iter().all(|e| trail.pairs().any(|t| t.entity == *e)), "every GuardDuty entity is CloudTrail's");
    assert_eq!(found.role_sessions_folded, 1, "{found}");
    assert!(found.to_string().contains("1 role-session findings counted as their role"), "{found}");
}
