//! The input objects of a transform job, listed as SageMaker lists the objects under an S3 prefix: the regular
//! files of the input, nothing else.
//!
//! The input itself may be a link (the user named it); below it no symbolic link is followed, so no cycle of links
//! can make the walk repeat or explode, and FIFOs, sockets and devices are never opened (reading one could block
//! forever or never end). Each entry left out is counted with its reason and reported, never silently dropped.

use std::collections::{BTreeMap, HashSet};
use std::fs::FileType;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Entries left out shown by name in the job's log; the rest are counted.
const SHOWN_SKIPPED: usize = 5;

/// The input files and what was left out.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Each input file with its path relative to the input (a file: its own name), sorted by that path.
    pub files: Vec<(PathBuf, String)>,
    /// Entries that are not input files, in walk order.
    pub skipped: Vec<SkippedEntry>,
}

/// An entry under the input that is not an input file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// Where it is.
    pub path: PathBuf,
    /// Why it is left out.
    pub reason: &'static str,
}

impl Inputs {
    /// The skipped entries for the job's log: counts by reason and the first few by name; empty when none.
    pub fn skipped_report(&self) -> String {
        if self.skipped.is_empty() {
            return String::new();
        }
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        for entry in &self.skipped {
            *by_reason.entry(entry.reason).or_default() += 1;
        }
        let counts: Vec<String> = by_reason.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
        let mut report =
            format!("Skipped {} entries that are not input files: {}", self.skipped.len(), counts.join(", "));
        for entry in self.skipped.iter().take(SHOWN_SKIPPED) {
            report.push_str(&format!("\n  {}: {}", entry.path.display(), entry.reason));
        }
        if self.skipped.len() > SHOWN_SKIPPED {
            report.push_str("\n  …");
        }
        report
    }
}

/// Why an entry of this type is not an input file; `None` for regular files and folders.
fn not_an_input(kind: FileType) -> Option<&'static str> {
    if kind.is_file() || kind.is_dir() {
        None
    } else if kind.is_symlink() {
        Some("symbolic link (not followed)")
    } else if kind.is_fifo() {
        Some("FIFO (not a regular file)")
    } else if kind.is_socket() {
        Some("socket (not a regular file)")
    } else if kind.is_block_device() {
        Some("block device (not a regular file)")
    } else if kind.is_char_device() {
        Some("character device (not a regular file)")
    } else {
        Some("not a regular file")
    }
}

/// The input files of `input`: the file itself, or every regular file below the folder (at any depth).
pub fn list_inputs(input: &Path) -> Result<Inputs> {
    let meta = std::fs::metadata(input).with_context(|| format!("no input at {}", input.display()))?;
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(Inputs { files: vec![(input.to_path_buf(), name)], skipped: Vec::new() });
    }
    if let Some(reason) = not_an_input(meta.file_type()) {
        bail!("the input {} is a {reason}: give a regular file or a folder", input.display());
    }
    let mut inputs = Inputs::default();
    // Folders by (device, inode): a folder met twice (a bind mount of its parent) is walked once.
    let mut walked = HashSet::from([(meta.dev(), meta.ino())]);
    let mut folders = vec![input.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let listing = std::fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))?;
        for entry in listing {
            let entry = entry.with_context(|| format!("cannot list {}", folder.display()))?;
            let path = entry.path();
            // The entry itself, never what a link points to.
            let meta = std::fs::symlink_metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
            if let Some(reason) = not_an_input(meta.file_type()) {
                inputs.skipped.push(SkippedEntry { path, reason });
            } else if meta.is_dir() {
                if walked.insert((meta.dev(), meta.ino())) {
                    folders.push(path);
                } else {
                    inputs.skipped.push(SkippedEntry { path, reason: "folder already listed (a mount loop)" });
                }
            } else {
                let relative = path.strip_prefix(input).unwrap_or(&path).to_string_lossy().into_owned();
                inputs.files.push((path, relative));
            }
        }
    }
    if inputs.files.is_empty() {
        let skipped = inputs.skipped_report();
        bail!("no input files under {}{}{skipped}", input.display(), if skipped.is_empty() { "" } else { "\n" });
    }
    inputs.files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_inputs_and_links_are_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("day1")).unwrap();
        std::fs::write(root.join("day1/a.csv"), "u,1.2.3.4\n").unwrap();
        std::fs::write(root.join("b.csv"), "u,1.2.3.4\n").unwrap();
        std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
        std::os::unix::fs::symlink("b.csv", root.join("b-link.csv")).unwrap();
        let inputs = list_inputs(root).unwrap();
        let relative: Vec<&str> = inputs.files.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(relative, ["b.csv", "day1/a.csv"]);
        let mut reasons: Vec<_> = inputs.skipped.iter().map(|s| (s.path.file_name().unwrap(), s.reason)).collect();
        reasons.sort();
        assert_eq!(
            reasons,
            [
                ("b-link.csv".as_ref(), "symbolic link (not followed)"),
                ("loop".as_ref(), "symbolic link (not followed)")
            ]
        );
        let report = inputs.skipped_report();
        assert!(
            report.starts_with("Skipped 2 entries that are not input files: 2 symbolic link (not followed)"),
            "{report}"
        );
        // A link named as the input is the user's choice: it is followed.
        let named = list_inputs(&root.join("b-link.csv")).unwrap();
        assert_eq!(named.files.len(), 1);
        let empty = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/null", empty.path().join("null")).unwrap();
        let err = list_inputs(empty.path()).unwrap_err().to_string();
        assert!(err.contains("no input files under") && err.contains("symbolic link (not followed)"), "{err}");
        let err = list_inputs(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(err.contains("is a character device"), "{err}");
    }
}
