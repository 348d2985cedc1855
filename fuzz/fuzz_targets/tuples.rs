//! The engine's tuple CSV reader: never panics; skipping mode never fails on in-memory input; labels match tuples;
//! entities obey the entity rule; what is read writes back and reads back the same.
#![no_main]

use ipinsights_engine::tuples::{normalize_entity, parse_tuples, write_rows, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else { return };
    let options = ReadOptions { skip_invalid: flags & 1 == 1, labelled: flags & 2 == 2, ipv4_only: flags & 4 == 4 };
    match parse_tuples(bytes, "fuzz", options) {
        Ok(file) => {
            if let Some(labels) = &file.labels {
                assert_eq!(labels.len(), file.tuples.len());
            }
            assert!(options.skip_invalid || file.skipped.count == 0);
            assert!(file.tuples.iter().all(|t| !t.entity.is_empty() && normalize_entity(&t.entity) == t.entity));
            let mut written = Vec::new();
            write_rows(&mut written, &file.tuples).expect("writing to memory");
            let back = parse_tuples(written.as_slice(), "rewritten", ReadOptions::default()).expect("rows we wrote");
            assert_eq!(back.tuples, file.tuples);
        }
        Err(e) => {
            assert!(!options.skip_invalid, "skipping mode failed: {e}");
            let _ = e.to_string();
        }
    }
});
