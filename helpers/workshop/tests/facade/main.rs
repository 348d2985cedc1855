//! The notebook facade's integration tests, one binary: the local backend end to end, and with the `aws` feature
//! the AWS backend against moto and against the emulated account. (`aws_region` stays a binary of its own: it sets
//! process-wide environment variables.)

// A test tells one story, step by step: test functions are exempt from `too_many_lines` (the 60-line limit,
// clippy.toml, is for the helpers' own code).
#![allow(clippy::too_many_lines)]

mod aws_emulated;
mod aws_moto;
mod backend_seam;
mod error_kinds;
mod local_failures;
mod local_flow;
mod local_rerun;
mod own_account;
