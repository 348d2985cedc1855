//! The AWS backend's integration tests, one binary: the AWS SDK for Rust against a moto server (`moto_*`) and
//! against a scripted server where moto cannot stand in for AWS (`replay*`), both from `ipinsights-test-support`.

mod moto_flow;
mod moto_logs;
mod moto_role;
mod replay;
mod replay_logs;
