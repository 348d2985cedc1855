//! GuardDuty findings from its API against the emulated account (moto's detectors plus a faithful ListFindings /
//! GetFindings): every page of at most 50 ids, GetFindings' own order undone, throttling retried and reported, and
//! the same pairs as reading the findings from the file GuardDuty's events were written to.

use ipinsights_account::{read_findings, FindingQuery};
use ipinsights_security_logs::{read_guardduty, FindingTuple};
use ipinsights_simulated_account::{simulate_account, SimConfig};
use ipinsights_test_support::account::{AccountEmulator, Options};

/// A simulated account with `findings` findings; returns (tempdir, findings NDJSON path).
fn account(findings: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig { events: 3_000, findings, ..SimConfig::default() };
    let sim = simulate_account(&config, dir.path()).unwrap();
    let path = sim.findings_path.clone();
    (dir, path)
}

/// Tuples in a canonical order (the API sorts by update time, the file is in generation order).
fn sorted(mut tuples: Vec<FindingTuple>) -> Vec<FindingTuple> {
    tuples.sort_by(|a, b| (&a.finding_id, a.tuple.ip).cmp(&(&b.finding_id, b.tuple.ip)));
    tuples
}

#[test]
fn every_finding_through_pages_of_fifty_gives_the_pairs_of_the_file() {
    let (_dir, findings) = account(130);
    let emu = AccountEmulator::with(&Options {
        findings: Some(&findings),
        throttle: vec!["guardduty:GetFindings=2", "guardduty:ListFindings=3"],
        ..Options::default()
    });
    let from_file = read_guardduty(&findings).unwrap();
    let read = read_findings(&emu.cfg(), &FindingQuery::default()).unwrap();
    assert_eq!(read.detector_id, emu.detector_id);
    assert_eq!((read.list_calls, read.get_calls), (3, 3), "130 findings: pages of 50, 50 and 30");
    assert_eq!(read.findings.len(), 130);
    assert_eq!(read.extract.findings, from_file.findings);
    assert_eq!(read.extract.skipped, from_file.skipped);
    assert_eq!(sorted(read.extract.tuples.clone()), sorted(from_file.tuples.clone()));
    // Oldest update first, whatever order GetFindings answered in.
    let times: Vec<&str> = read.findings.iter().map(|f| f["UpdatedAt"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let refused = emu.stats()["refused"].clone();
    let throttled =
        refused["guardduty:GetFindings"].as_u64().unwrap() + refused["guardduty:ListFindings"].as_u64().unwrap();
    assert!(throttled >= 2, "{refused}");
    assert_eq!(read.attempts.throttled(), throttled, "{}", read.attempts);

    // The written GetFindings JSON reads back to the same pairs.
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("findings.json");
    read.write_json(&path).unwrap();
    assert_eq!(read_guardduty(&path).unwrap().tuples, read.extract.tuples);
}

#[test]
fn filters_by_time_and_type() {
    let (_dir, findings) = account(80);
    let emu = AccountEmulator::with(&Options { findings: Some(&findings), ..Options::default() });
    let all = read_guardduty(&findings).unwrap();
    let first = all.tuples.iter().filter_map(|t| t.updated_at.clone()).min().unwrap();
    let day = &first[..10];
    let finding_type = all.tuples[0].finding_type.clone();

    let one_day = read_findings(&emu.cfg(), &FindingQuery::days(day, day).unwrap()).unwrap();
    let expected: Vec<&FindingTuple> =
        all.tuples.iter().filter(|t| t.updated_at.as_deref().is_some_and(|u| u.starts_with(day))).collect();
    assert!(!expected.is_empty() && expected.len() < all.tuples.len());
    assert_eq!(one_day.extract.tuples.len(), expected.len());

    let of_type = read_findings(&emu.cfg(), &FindingQuery::default().types(&[&finding_type])).unwrap();
    assert!(of_type.extract.tuples.iter().all(|t| t.finding_type == finding_type));
    assert_eq!(of_type.extract.tuples.len(), all.tuples.iter().filter(|t| t.finding_type == finding_type).count());

    let unknown =
        FindingQuery { detector_id: Some("0123456789abcdef0123456789abcdef".into()), ..FindingQuery::default() };
    let err = read_findings(&emu.cfg(), &unknown).unwrap_err().to_string();
    assert!(err.contains("ListFindings failed: BadRequestException") && err.contains("not owned"), "{err}");
}
