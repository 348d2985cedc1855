//! GuardDuty extraction on hand-written fixtures in every supported shape.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipinsights_security_logs::{read_guardduty, FindingScope, FindingSkip, GuardDutyExtract, GuardDutyReader};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Every finding of `path`, samples and archived ones included (two fixtures are GuardDuty's sample findings).
fn read_all(path: &Path) -> GuardDutyExtract {
    let mut reader = GuardDutyReader::new().with_scope(FindingScope { include_archived: true, include_samples: true });
    reader.add_path(path).unwrap();
    reader.finish()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pairs(x: &ipinsights_security_logs::GuardDutyExtract) -> Vec<(&str, IpAddr)> {
    x.pairs().map(|t| (t.entity.as_str(), t.ip)).collect()
}

#[test]
fn eventbridge_event_keeps_finding_context() {
    // A sample finding: skipped and counted by default, read when asked for.
    let x = read_guardduty(&fixture("eventbridge_event.json")).unwrap();
    assert_eq!((x.findings, x.findings_with_tuples, x.skipped.get(FindingSkip::Sample)), (1, 0, 1));
    assert_eq!(x.skipped.to_string(), "skipped 1 findings: 1 sample");
    let x = read_all(&fixture("eventbridge_event.json"));
    assert_eq!((x.files, x.findings, x.findings_with_tuples, x.skipped.total()), (1, 1, 1, 0));
    let t = &x.tuples[0];
    assert_eq!((t.tuple.entity.as_str(), t.tuple.ip), ("AIDACKCEVSQ6C2EXAMPLE", ip("198.51.100.23")));
    assert_eq!(t.finding_id, "16afba5c5c43e07c9e3e5e2e544e95df");
    assert_eq!(t.finding_type, "Recon:IAMUser/MaliciousIPCaller");
    assert_eq!(t.severity, Some(5.0));
    assert_eq!(t.created_at.as_deref(), Some("2024-03-05T14:07:02.413Z"));
    assert_eq!(t.account_id.as_deref(), Some("123456789012"));
    assert_eq!(t.region.as_deref(), Some("us-east-1"));
    assert_eq!(t.action_type, "AWS_API_CALL");
    assert_eq!(t.access_key_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(t.user_name.as_deref(), Some("alice"));
    assert_eq!(t.user_type.as_deref(), Some("IAMUser"));
    let org = t.organization.as_ref().unwrap();
    assert_eq!(org.asn.as_deref(), Some("14061"));
    assert_eq!(org.asn_org.as_deref(), Some("DIGITALOCEAN-ASN"));
    assert_eq!(org.isp.as_deref(), Some("DigitalOcean"));
    assert_eq!(org.org.as_deref(), Some("DigitalOcean, LLC"));
    assert_eq!(t.country.as_deref(), Some("Netherlands"));
    assert_eq!(t.city.as_deref(), Some("Amsterdam"));
}

#[test]
fn get_findings_output_in_pascal_case() {
    let x = read_guardduty(&fixture("get_findings.json")).unwrap();
    assert_eq!((x.findings, x.findings_with_tuples), (2, 1));
    assert_eq!(x.skipped.get(FindingSkip::NoAccessKeyDetails), 1);
    let t = &x.tuples[0];
    // The assumed-role session maps to its role, as in CloudTrail.
    assert_eq!((t.tuple.entity.as_str(), t.tuple.ip), ("AROA3XFRBF535PLBIFPI4", ip("203.0.113.77")));
    assert_eq!(t.principal_id, "AROA3XFRBF535PLBIFPI4:i-0123456789abcdef0");
    assert_eq!(t.finding_type, "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
    assert_eq!(t.severity, Some(8.0));
    assert_eq!(t.updated_at.as_deref(), Some("2024-03-06T08:30:00.000Z"));
    assert_eq!(t.region.as_deref(), Some("us-west-2"));
    assert_eq!(t.user_type.as_deref(), Some("AssumedRole"));
    assert_eq!(t.organization.as_ref().and_then(|o| o.asn_org.as_deref()), Some("OVH"));
    assert_eq!(t.country.as_deref(), Some("France"));
}

#[test]
fn bare_finding_with_ipv6_and_lenient_numbers() {
    let x = read_guardduty(&fixture("finding.json")).unwrap();
    assert_eq!(pairs(&x), vec![("AIDAJQABLZS4A3QDU576Q", ip("2001:db8:85a3::8a2e:370:7334"))]);
    let t = &x.tuples[0];
    assert_eq!(t.severity, Some(5.0)); // written as the string "5.0"
    assert_eq!(t.organization.as_ref().and_then(|o| o.asn.as_deref()), Some("60729"));
    // written as a number
}

#[test]
fn array_with_port_probe_details_and_network_connection() {
    let x = read_guardduty(&fixture("findings_array.json")).unwrap();
    assert_eq!(
        pairs(&x),
        vec![
            ("AIDAPROBEDUSER0000001", ip("198.51.100.5")),
            ("AIDAPROBEDUSER0000001", ip("198.51.100.6")), // written as ::ffff:198.51.100.6
            ("AROANETWORKROLE000001", ip("192.0.2.99")),
        ]
    );
    assert_eq!(x.tuples[0].action_type, "PORT_PROBE");
    assert_eq!(x.tuples[1].organization.as_ref().and_then(|o| o.asn.as_deref()), Some("4134"));
    assert_eq!(x.tuples[2].action_type, "NETWORK_CONNECTION");
    assert_eq!(x.tuples[2].access_key_id, None);
    assert_eq!((x.findings, x.findings_with_tuples), (3, 2));
    assert_eq!(x.skipped.get(FindingSkip::NoAccessKeyDetails), 1);
}

#[test]
fn ndjson_counts_every_skip_reason() {
    let x = read_all(&fixture("findings.jsonl"));
    assert_eq!(pairs(&x), vec![("AROAEVENTROLE00000001", ip("203.0.113.9"))]);
    assert_eq!((x.findings, x.findings_with_tuples), (4, 1));
    for reason in
        [FindingSkip::NotAFinding, FindingSkip::NoRemoteIp, FindingSkip::UnsupportedAction, FindingSkip::InvalidIp]
    {
        assert_eq!(x.skipped.get(reason), 1, "{reason:?}");
    }
    assert_eq!(
        x.skipped.to_string(),
        "skipped 4 findings: 1 not a GuardDuty finding, 1 action without remote IP, 1 no remote IP, 1 invalid IP"
    );
}

#[test]
fn directory_reads_all_shapes_in_name_order() {
    let x = read_all(&fixture(""));
    assert_eq!(x.files, 5);
    assert_eq!(x.tuples.len(), 7);
    // eventbridge_event.json < finding.json < findings.jsonl < findings_array.json < get_findings.json
    let first: Vec<&str> = x.pairs().map(|t| t.entity.as_str()).collect();
    assert_eq!(
        first,
        [
            "AIDACKCEVSQ6C2EXAMPLE",
            "AIDAJQABLZS4A3QDU576Q",
            "AROAEVENTROLE00000001",
            "AIDAPROBEDUSER0000001",
            "AIDAPROBEDUSER0000001",
            "AROANETWORKROLE000001",
            "AROA3XFRBF535PLBIFPI4"
        ]
    );
    // Invariant between findings, tuples and skips.
    let not_findings = x.skipped.get(FindingSkip::NotAFinding);
    assert_eq!(x.findings + not_findings, x.findings_with_tuples + x.skipped.total());
}

#[test]
fn gzip_stream_without_gz_name() {
    let plain = std::fs::read(fixture("findings_array.json")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let mut reader = GuardDutyReader::new();
    reader.add_reader(gz.finish().unwrap().as_slice(), "stdin").unwrap();
    assert_eq!(reader.finish().tuples.len(), 3);
}

#[test]
fn an_empty_ipv4_address_falls_back_to_ipv6() {
    let finding = serde_json::json!({
        "id": "v6", "resource": {"accessKeyDetails": {"principalId": "AIDAALICE", "userType": "IAMUser"}},
        "service": {"action": {"actionType": "AWS_API_CALL",
            "awsApiCallAction": {"remoteIpDetails": {"ipAddressV4": "", "ipAddressV6": "2001:db8::7"}}}}
    });
    let mut reader = GuardDutyReader::new();
    reader.add_reader(finding.to_string().as_bytes(), "v6.json").unwrap();
    let x = reader.finish();
    assert_eq!(pairs(&x), [("AIDAALICE", ip("2001:db8::7"))], "{x}");
    assert_eq!(x.skipped.total(), 0, "{x}");
}

#[test]
fn a_pairs_only_read_gives_the_same_pairs_and_counts_without_the_context() {
    let full = read_guardduty(&fixture("")).unwrap();
    let mut reader = GuardDutyReader::pairs_only();
    reader.add_path(&fixture("")).unwrap();
    let bare = reader.finish();
    assert!(full.tuple_count() > 0 && bare.tuples.is_empty());
    assert_eq!(bare.pairs().collect::<Vec<_>>(), full.pairs().collect::<Vec<_>>());
    assert_eq!((bare.pairs().len(), bare.tuple_count()), (full.tuples.len(), full.tuples.len()));
    assert_eq!(bare.to_string(), full.to_string());
}
