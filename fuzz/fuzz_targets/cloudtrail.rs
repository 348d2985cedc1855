//! CloudTrail log parsing (plain or gzip): never panics, every record is a tuple, a skip or a duplicate, every
//! entity obeys the entity rule (non-empty, trimmed), role sessions folded into their role are counted; inputs over
//! the limits (the `bomb_*` seeds) are refused.
#![no_main]

use ipinsights_engine::tuples::normalize_entity;
use ipinsights_security_logs::{CloudTrailReader, TupleMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else { return };
    let mode = if mode & 1 == 0 { TupleMode::AllEvents } else { TupleMode::UniquePairs };
    let mut reader = CloudTrailReader::new(mode);
    let ok = reader.add_reader(bytes, "fuzz").is_ok();
    let x = reader.finish();
    assert_eq!(x.records, x.tuples.len() + x.skipped.total() + x.duplicates);
    assert_eq!(x.files, usize::from(ok));
    assert!(x.unique_pairs <= x.records);
    for t in x.pairs() {
        assert!(!t.entity.is_empty() && normalize_entity(&t.entity) == t.entity, "{t:?}");
    }
    assert!(x.role_sessions_folded <= x.tuples.len() + x.duplicates);
    let _ = x.to_string();
});
