//! Your own account's integration tests, one binary, against the emulated account (`ipinsights_test_support::account`): GuardDuty's API,
//! CloudTrail from S3, the detector's deployment, and the two benchmarks (`trail_bench`, `detector_moto`'s
//! `warm_handler_latency`) that `scripts/run-tests` runs alone.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

mod athena;
mod athena_bench;
mod detector_moto;
mod guardduty_api;
mod trail_bench;
mod trail_s3;
