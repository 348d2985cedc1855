//! GuardDuty findings in any shape (plain or gzip): never panics; every finding is counted once; every entity obeys
//! the entity rule (non-empty, trimmed); role sessions folded into their role are counted;
//! inputs over the limits (the `bomb_*` seeds) are refused.
#![no_main]

use ipinsights_engine::tuples::normalize_entity;
use ipinsights_security_logs::{FindingSkip, GuardDutyReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = GuardDutyReader::new();
    let ok = reader.add_reader(data, "fuzz").is_ok();
    let x = reader.finish();
    if !ok {
        // A bad input adds nothing.
        assert_eq!((x.files, x.findings, x.tuples.len(), x.skipped.total()), (0, 0, 0, 0));
    }
    assert_eq!(x.findings + x.skipped.get(FindingSkip::NotAFinding), x.findings_with_tuples + x.skipped.total());
    assert!(x.tuples.len() >= x.findings_with_tuples);
    for t in x.pairs() {
        assert!(!t.entity.is_empty() && normalize_entity(&t.entity) == t.entity, "{t:?}");
    }
    assert!(x.role_sessions_folded <= x.findings_with_tuples);
    let _ = x.to_string();
});
