//! The local backend's moving parts: the `ipinsights` release binary, training jobs and endpoints as processes.
//!
//! Training and serving run in the release-built `ipinsights` binary rather than inside the notebook, so their
//! speed never depends on how the notebook kernel compiled this crate.

pub mod endpoint;
pub mod job;

use crate::error::{Result, WorkshopError};
use std::path::PathBuf;
use std::process::Command;

/// The repository this crate was built from.
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(|p| p.parent()).map(PathBuf::from).unwrap_or(manifest)
}

/// The `ipinsights` binary: `IPINSIGHTS_BIN`, else the repository's release build (built or refreshed by cargo
/// first; a no-op when it is up to date).
pub fn ipinsights_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("IPINSIGHTS_BIN") {
        return Ok(PathBuf::from(path));
    }
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let binary = target.join("release").join("ipinsights");
    if !binary.is_file() {
        println!("Building the local ipinsights tools (release, first run only; a few minutes)…");
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "ipinsights-cli"])
        .current_dir(&root)
        .status()
        .map_err(|e| WorkshopError::context("cannot run cargo to build the ipinsights tools", e))?;
    if !status.success() || !binary.is_file() {
        return Err(WorkshopError::new(format!(
            "building the ipinsights tools failed ({status}); run `cargo build --release -p ipinsights-cli` in {} to see why",
            root.display()
        )));
    }
    Ok(binary)
}
