//! The engine's tuple CSV reader: never panics; skipping mode never fails on in-memory input; labels match tuples.
#![no_main]

use ipinsights_engine::tuples::{parse_tuples, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else { return };
    let options = ReadOptions { skip_invalid: flags & 1 == 1, labelled: flags & 2 == 2 };
    match parse_tuples(bytes, "fuzz", options) {
        Ok(file) => {
            if let Some(labels) = &file.labels {
                assert_eq!(labels.len(), file.tuples.len());
            }
            assert!(options.skip_invalid || file.skipped.count == 0);
            assert!(file.tuples.iter().all(|t| !t.entity.is_empty()));
        }
        Err(e) => {
            assert!(!options.skip_invalid, "skipping mode failed: {e}");
            let _ = e.to_string();
        }
    }
});
