//! The live detector on arbitrary findings input: never panics; every record is counted once and typed.
#![no_main]

use std::net::IpAddr;

use ipinsights_detect::scorer::{Pair, ScoreError};
use ipinsights_detect::{DetectSummary, Detector, Scorer, Verdict};
use libfuzzer_sys::fuzz_target;

/// Scores from the address bytes, so verdicts vary; a few non-finite ones.
struct ByAddress;

impl Scorer for ByAddress {
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        Ok(pairs
            .iter()
            .map(|(_, ip)| match ip {
                IpAddr::V4(v4) if v4.octets()[0] == 0 => f32::NAN,
                IpAddr::V4(v4) => f32::from(v4.octets()[0]) - 128.0,
                IpAddr::V6(v6) => f32::from(v6.octets()[0]) - 128.0,
            })
            .collect())
    }
    fn describe(&self) -> String {
        "by-address".into()
    }
}

fuzz_target!(|data: &[u8]| {
    let detector = Detector::new(ByAddress, 0.0).unwrap();
    let mut summary = DetectSummary::default();
    let mut emitted = 0;
    let _ = detector.detect_reader(data, "fuzz", &mut summary, |r| {
        emitted += 1;
        match r.verdict {
            Verdict::Skipped => assert!(r.skip_reason.is_some() && r.explanation.is_none()),
            _ => assert!(r.ip.is_some() && r.score.is_some() && r.explanation.is_some()),
        }
        // Every record serialises (the CLI and the Lambda print them).
        serde_json::to_string(r).expect("a record serialises");
        Ok(())
    });
    assert_eq!(emitted, summary.records());
});
