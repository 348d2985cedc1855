//! The notebook facade's integration tests, one binary: the local backend end to end, and with the `aws` feature
//! the AWS backend against moto and against the emulated account. (`aws_region` stays a binary of its own: it sets
//! process-wide environment variables.)

mod aws_emulated;
mod aws_moto;
mod local_failures;
mod local_flow;
mod local_rerun;
mod own_account;
