//! The AWS backend's integration tests, one binary: the AWS SDK for Rust against a moto server (`moto_*`) and
//! against a scripted server where moto cannot stand in for AWS (`replay*`), both from `ipinsights-test-support`.

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

mod download;
mod moto_flow;
mod moto_logs;
mod moto_role;
mod replay;
mod replay_logs;
mod sweep;
