//! The `ipinsights` release binary the local backend runs: found, never built, from a notebook.
//!
//! `scripts/setup` builds it once (`cargo build --release -p ipinsights-cli`). Before using it the facade checks
//! that it exists, that it is not older than any source file it was built from (cargo's own list,
//! `target/release/ipinsights.d`), and that it speaks this build's process contract (`ipinsights contract`);
//! otherwise the error names the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use ipinsights_contract::ContractInfo;

use crate::error::{Result, WorkshopError};

/// The command that builds the binary.
pub const BUILD_COMMAND: &str = "cargo build --release -p ipinsights-cli";

/// The repository this crate was built from.
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(Path::parent).map(PathBuf::from).unwrap_or(manifest)
}

/// The binary to run: `IPINSIGHTS_BIN` if set, else the repository's release build (in `CARGO_TARGET_DIR` when
/// that is set), checked as the module docs say.
pub fn locate() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("IPINSIGHTS_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(WorkshopError::new(format!("IPINSIGHTS_BIN={} is not a file", path.display())));
        }
        check_contract(&path)?;
        return Ok(path);
    }
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let path = target.join("release").join("ipinsights");
    check(&path, &root)?;
    Ok(path)
}

/// Checks a cargo-built binary: present, up to date with its sources, speaking this contract.
pub fn check(path: &Path, root: &Path) -> Result<()> {
    let rebuild = format!("`{BUILD_COMMAND}` in {}", root.display());
    let built = match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(time) => time,
        Err(_) => {
            return Err(WorkshopError::new(format!(
                "the local backend runs the ipinsights binary, and {} does not exist yet: build it once with \
                 {rebuild} (scripts/setup does this)",
                path.display()
            )))
        }
    };
    if let Some(newer) = newer_source(path, built) {
        return Err(WorkshopError::new(format!(
            "the ipinsights binary {} is older than its source {}: rebuild it with {rebuild}",
            path.display(),
            newer.display()
        )));
    }
    check_contract(path).map_err(|e| WorkshopError::new(format!("{e}: rebuild it with {rebuild}")))
}

/// The first source file listed in cargo's dep-info next to the binary (`ipinsights.d`) that changed after it
/// was built; none when there is no dep-info (a binary not built by cargo).
fn newer_source(binary: &Path, built: SystemTime) -> Option<PathBuf> {
    let dep_info = std::fs::read_to_string(binary.with_extension("d")).ok()?;
    dep_info_sources(&dep_info).into_iter().find(|source| {
        // A source that is gone changed too (the binary was built from something that no longer exists).
        std::fs::metadata(source).and_then(|m| m.modified()).map_or(true, |modified| modified > built)
    })
}

/// The prerequisites of a Makefile-style dep-info line (`target: a b\ c`), spaces escaped with `\`.
fn dep_info_sources(dep_info: &str) -> Vec<PathBuf> {
    let first = dep_info.lines().next().unwrap_or_default();
    let Some((_, prerequisites)) = first.split_once(": ") else { return Vec::new() };
    let mut sources = Vec::new();
    let mut current = String::new();
    let mut chars = prerequisites.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => sources.extend((!current.is_empty()).then(|| PathBuf::from(std::mem::take(&mut current)))),
            c => current.push(c),
        }
    }
    sources.extend((!current.is_empty()).then(|| PathBuf::from(current)));
    sources
}

/// Runs `ipinsights contract` and checks the version it speaks.
fn check_contract(path: &Path) -> Result<()> {
    let output = Command::new(path).arg("contract").output().map_err(|e| WorkshopError::io("run", path, e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(WorkshopError::new(format!(
            "the ipinsights binary {} does not speak the process contract (version {})",
            path.display(),
            ipinsights_contract::CONTRACT_VERSION
        )));
    }
    ipinsights_contract::decode::<ContractInfo>(stdout.trim(), &format!("the ipinsights binary {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dep_info_lists_every_source_with_escaped_spaces() {
        let text = "/t/release/ipinsights: /r/a.rs /r/my\\ dir/b.rs /r/c.rs\n\n/r/a.rs:\n";
        let sources = dep_info_sources(text);
        assert_eq!(sources, ["/r/a.rs", "/r/my dir/b.rs", "/r/c.rs"].map(PathBuf::from));
        assert!(dep_info_sources("garbage").is_empty());
    }

    #[test]
    fn a_missing_binary_names_the_command_that_builds_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = check(&dir.path().join("ipinsights"), dir.path()).unwrap_err().to_string();
        assert!(err.contains("does not exist yet") && err.contains(BUILD_COMMAND), "{err}");
    }

    #[test]
    fn a_binary_older_than_a_source_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let (binary, source) = (dir.path().join("ipinsights"), dir.path().join("lib.rs"));
        std::fs::write(&source, "// source").unwrap();
        std::fs::write(&binary, "#!/bin/sh\n").unwrap();
        std::fs::write(binary.with_extension("d"), format!("{}: {}\n", binary.display(), source.display())).unwrap();
        let built = std::fs::metadata(&binary).unwrap().modified().unwrap();
        assert_eq!(newer_source(&binary, built), None);
        let later = built + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&source).unwrap().set_modified(later).unwrap();
        assert_eq!(newer_source(&binary, built), Some(source.clone()));
        let err = check(&binary, dir.path()).unwrap_err().to_string();
        assert!(err.contains("is older than its source") && err.contains(BUILD_COMMAND), "{err}");
        std::fs::remove_file(&source).unwrap();
        assert_eq!(newer_source(&binary, built), Some(source), "a deleted source counts as changed");
    }

    #[test]
    fn a_binary_that_does_not_speak_the_contract_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("ipinsights");
        let fake = |script: &str| {
            std::fs::write(&binary, script).unwrap();
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
            check(&binary, dir.path()).unwrap_err().to_string()
        };
        let err = fake("#!/bin/sh\necho \"error: unrecognized subcommand 'contract'\" >&2\nexit 2\n");
        assert!(err.contains("does not speak the process contract") && err.contains(BUILD_COMMAND), "{err}");
        let err = fake("#!/bin/sh\necho '{\"version\": 99, \"package_version\": \"9.9.9\"}'\n");
        assert!(err.contains("speaks version 99") && err.contains(BUILD_COMMAND), "{err}");
    }
}
