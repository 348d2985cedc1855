//! End-to-end tests of the endpoint over real HTTP on 127.0.0.1.

mod common;
mod concurrency;
mod errors;
mod formats;
mod hardening;
mod lifecycle;
mod loadgen;
mod predict;
mod property;
