//! The `--events FILE` option of the job commands (`train`, `transform`): the job's events for programs, as JSON
//! lines of the process contract, with a failure reported there too.

use std::path::Path;

use anyhow::{Context, Result};
use ipinsights_contract::EventWriter;
use serde::Serialize;

/// Runs `job` with an event sink writing to `path` (or nowhere); when the job fails, `failed(reason)` is the last
/// event written.
pub fn run_reporting<E: Serialize>(
    path: Option<&Path>,
    failed: impl FnOnce(String) -> E,
    job: impl FnOnce(&mut dyn FnMut(E) -> Result<()>) -> Result<()>,
) -> Result<()> {
    let mut events = match path {
        Some(path) => Some(
            EventWriter::create(path).with_context(|| format!("cannot create the events file {}", path.display()))?,
        ),
        None => None,
    };
    let result = job(&mut |event| match events.as_mut() {
        Some(writer) => writer.emit(&event).context("cannot write the events file"),
        None => Ok(()),
    });
    if let (Err(error), Some(writer)) = (&result, events.as_mut()) {
        if let Err(write) = writer.emit(&failed(format!("{error:#}"))) {
            eprintln!("cannot report the failure in the events file: {write}");
        }
    }
    result
}
