//! The simulated account: layout, realism, determinism, and a round trip through the readers.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

use std::collections::HashMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipinsights_security_logs::{read_cloudtrail, read_guardduty, FindingSkip, SkipReason, Tuple, TupleMode};
use ipinsights_simulated_account::{FindingLabel, PrincipalKind, SimAccount, SimConfig};
use serde_json::Value;

fn small() -> SimConfig {
    SimConfig { events: 6000, days: 2, ..SimConfig::default() }
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn gunzip_json(path: &Path) -> Value {
    let reader = flate2::read::GzDecoder::new(fs::File::open(path).unwrap());
    serde_json::from_reader(reader).unwrap()
}

#[test]
fn cloudtrail_round_trip() {
    let cfg = small();
    let account = SimAccount::generate(&cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = account.write(dir.path()).unwrap();
    let x = read_cloudtrail(dir.path(), TupleMode::AllEvents).unwrap();

    let got: Vec<Tuple> = x.pairs().cloned().collect();
    assert_eq!(got, account.expected_tuples());
    assert_eq!(x.skipped, account.expected_skips());
    assert_eq!(x.records, cfg.events);
    assert_eq!(x.files, summary.cloudtrail_files);
    assert_eq!(x.unique_pairs, summary.expected_unique_pairs);
    assert_eq!(x.ignored_files.len(), 2, "the two guardduty files"); // findings.jsonl, ground_truth.csv

    // The noise is there in roughly the configured shares, under the right reasons.
    let share = |r| x.skipped.get(r) as f64 / cfg.events as f64;
    let service = cfg.service_fraction + cfg.invoked_by_service_fraction;
    assert!((share(SkipReason::ServiceName) - service).abs() < 0.02, "{}", x.skipped);
    assert!((share(SkipReason::AwsInternal) - cfg.aws_internal_fraction).abs() < 0.015, "{}", x.skipped);
    assert!(x.skipped.get(SkipReason::NoPrincipal) > 0, "{}", x.skipped);
    assert!(summary.ipv6_tuples > 0 && summary.ipv6_tuples == x.pairs().filter(|t| t.ip.is_ipv6()).count());

    // Unique-pair mode agrees with the summary too.
    let u = read_cloudtrail(&summary.cloudtrail_dir, TupleMode::UniquePairs).unwrap();
    assert_eq!(u.tuples.len(), summary.expected_unique_pairs);
    assert_eq!(u.duplicates, summary.expected_tuples - summary.expected_unique_pairs);
}

#[test]
fn principals_mostly_use_their_own_networks() {
    let account = SimAccount::generate(&small()).unwrap();
    let by_entity: HashMap<&str, usize> =
        account.principals.iter().enumerate().map(|(i, p)| (p.principal_id.as_str(), i)).collect();
    let tuples = account.expected_tuples();
    let own = tuples.iter().filter(|t| account.principals[by_entity[t.entity.as_str()]].owns(t.ip)).count();
    let share = own as f64 / tuples.len() as f64;
    // Users: 90% home/office; roles: 100% their two networks.
    assert!(share > 0.85 && share < 0.99, "own-network share {share}");
    let users = account.principals.iter().filter(|p| p.kind == PrincipalKind::User).count();
    assert_eq!((users, account.principals.len() - users), (40, 10));
}

#[test]
fn s3_layout_and_realistic_records() {
    let cfg = small();
    let dir = tempfile::tempdir().unwrap();
    let summary = ipinsights_simulated_account::simulate_account(&cfg, dir.path()).unwrap();
    let logs: Vec<PathBuf> =
        files_under(dir.path()).into_iter().filter(|p| p.to_string_lossy().ends_with(".json.gz")).collect();
    assert_eq!(logs.len(), summary.cloudtrail_files);
    let (mut users, mut roles, mut services) = (0, 0, 0);
    for path in &logs {
        let rel = path.strip_prefix(dir.path()).unwrap().to_string_lossy().into_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(&parts[..4], ["AWSLogs", "123456789012", "CloudTrail", "us-east-1"], "{rel}");
        let (y, m, d, name) = (parts[4], parts[5], parts[6], parts[7]);
        let stamp = format!("{y}{m}{d}T");
        assert!(name.starts_with(&format!("123456789012_CloudTrail_us-east-1_{stamp}")), "{rel}");
        let unique = name.trim_end_matches(".json.gz").rsplit('_').next().unwrap();
        assert!(unique.len() == 16 && unique.bytes().all(|b| b.is_ascii_alphanumeric()), "{rel}");
        let stamp_part = name.split('_').nth(3).unwrap(); // YYYYMMDDTHHmmZ
        assert_eq!(stamp_part.len(), 14, "{rel}");
        let minute: u32 = stamp_part[11..13].parse().unwrap();
        assert_eq!(minute % 5, 0, "{rel}");

        let log = gunzip_json(path);
        for r in log["Records"].as_array().unwrap() {
            for key in [
                "eventVersion",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "userAgent",
                "requestID",
                "eventID",
                "readOnly",
                "recipientAccountId",
            ] {
                assert!(!r[key].is_null(), "{key} missing in {rel}");
            }
            assert_eq!(r["eventType"], "AwsApiCall");
            let time = r["eventTime"].as_str().unwrap();
            assert!(time.ends_with('Z') && time.len() == 20, "{time}");
            let id = &r["userIdentity"];
            match id["type"].as_str().unwrap() {
                "IAMUser" => {
                    users += 1;
                    assert!(id["principalId"].as_str().unwrap().starts_with("AIDA"));
                    assert!(id["arn"].as_str().unwrap().starts_with("arn:aws:iam::123456789012:user/"));
                    assert!(id["userName"].is_string() && id["accessKeyId"].as_str().unwrap().starts_with("AKIA"));
                }
                "AssumedRole" => {
                    roles += 1;
                    let pid = id["principalId"].as_str().unwrap();
                    let (role, session) = pid.split_once(':').unwrap();
                    assert!(role.starts_with("AROA") && !session.is_empty());
                    assert_eq!(id["sessionContext"]["sessionIssuer"]["principalId"], role);
                    assert!(id["arn"].as_str().unwrap().ends_with(&format!("/{session}")));
                }
                "AWSService" => {
                    services += 1;
                    assert_eq!(id["invokedBy"], r["sourceIPAddress"]);
                    assert!(r["sourceIPAddress"].as_str().unwrap().ends_with(".amazonaws.com"));
                }
                "AWSAccount" => assert_eq!(id["principalId"], ""),
                other => panic!("unexpected identity type {other}"),
            }
        }
    }
    assert!(users > 0 && roles > 0 && services > 0);
}

#[test]
fn guardduty_round_trip_and_ground_truth() {
    let cfg = small();
    let account = SimAccount::generate(&cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = account.write(dir.path()).unwrap();
    let x = read_guardduty(&summary.findings_path).unwrap();

    assert_eq!(x.findings, cfg.findings);
    assert_eq!(x.skipped.get(FindingSkip::NoAccessKeyDetails), summary.not_scorable);
    assert_eq!(x.skipped.total(), summary.not_scorable);
    assert_eq!(summary.anomalous + summary.benign + summary.not_scorable, cfg.findings);
    assert!(summary.anomalous > summary.benign && summary.benign > 0, "{summary}");

    let mut expected = Vec::new();
    for f in account.findings.iter().filter(|f| f.label != FindingLabel::NotScorable) {
        let (index, _) = f.principal.unwrap();
        let p = &account.principals[index];
        assert_eq!(p.owns(f.remotes[0].0), f.label == FindingLabel::Benign, "{f:?}");
        expected.push((f.id.clone(), p.principal_id.clone(), f.remotes[0].0));
    }
    let got: Vec<(String, String, IpAddr)> =
        x.tuples.iter().map(|t| (t.finding_id.clone(), t.tuple.entity.clone(), t.tuple.ip)).collect();
    assert_eq!(got, expected);
    assert!(x.tuples.iter().all(|t| t.organization.as_ref().is_some_and(|o| o.asn.is_some()) && t.country.is_some()));

    // Ground truth: header + one row per remote address (port probes have two).
    let truth = fs::read_to_string(&summary.truth_path).unwrap();
    let mut lines = truth.lines();
    assert_eq!(lines.next(), Some("finding_id,label,entity,ip,finding_type"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), summary.anomalous + summary.benign + 2 * summary.not_scorable);
    for t in &x.tuples {
        let row = rows.iter().find(|r| r[0] == t.finding_id).unwrap();
        assert_eq!((row[2], row[3]), (t.tuple.entity.as_str(), t.tuple.ip.to_string().as_str()));
        assert!(row[1] == "anomalous" || row[1] == "benign");
    }

    // The file is NDJSON of EventBridge events with the real field names.
    let first: Value =
        serde_json::from_str(fs::read_to_string(&summary.findings_path).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["source"].as_str(), first["detail-type"].as_str()),
        (Some("aws.guardduty"), Some("GuardDuty Finding"))
    );
    for key in [
        "schemaVersion",
        "accountId",
        "region",
        "partition",
        "id",
        "arn",
        "type",
        "resource",
        "service",
        "severity",
        "createdAt",
        "updatedAt",
        "title",
        "description",
    ] {
        assert!(!first["detail"][key].is_null(), "{key}");
    }
    assert_eq!(first["detail"]["service"]["serviceName"], "guardduty");
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = SimConfig { events: 2000, days: 1, findings: 10, ..SimConfig::default() };
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ipinsights_simulated_account::simulate_account(&cfg, a.path()).unwrap();
    ipinsights_simulated_account::simulate_account(&cfg, b.path()).unwrap();
    ipinsights_simulated_account::simulate_account(&SimConfig { seed: 7, ..cfg.clone() }, c.path()).unwrap();
    let rel = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        files_under(root)
            .into_iter()
            .map(|p| (p.strip_prefix(root).unwrap().to_path_buf(), fs::read(&p).unwrap()))
            .collect()
    };
    assert_eq!(rel(a.path()), rel(b.path()));
    assert_ne!(rel(a.path()), rel(c.path()));
}

#[test]
fn bad_config_names_the_field() {
    let bad = SimConfig { account_id: "12345".into(), ..SimConfig::default() };
    let msg = SimAccount::generate(&bad).unwrap_err().to_string();
    assert!(msg.contains("account_id"), "{msg}");
    let bad = SimConfig { travel_fraction: 1.5, ..SimConfig::default() };
    assert!(SimAccount::generate(&bad).unwrap_err().to_string().contains("travel_fraction"));
    let bad = SimConfig { start_unix_secs: u64::MAX - 10, ..SimConfig::default() };
    assert!(SimAccount::generate(&bad).unwrap_err().to_string().contains("start_unix_secs"));
}
