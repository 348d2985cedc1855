//! Shared helpers for the end-to-end tests live in the test files themselves; this crate has no library code.
