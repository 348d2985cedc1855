//! Small output helpers shared by subcommands.

use anyhow::{Context, Result};
use ipinsights_engine::tuples::{read_tuples, ReadOptions, TupleFile};
use std::path::Path;

/// Reads a tuple file, reporting skipped rows on stderr.
pub fn read_reporting(path: &Path, options: ReadOptions) -> Result<TupleFile> {
    let file = read_tuples(path, options)?;
    if file.skipped.count > 0 {
        eprintln!("{}: {}", path.display(), file.skipped);
    }
    anyhow::ensure!(!file.tuples.is_empty(), "{}: no tuples to read", path.display());
    Ok(file)
}

/// Writes `text` to `path` atomically, or to stdout when there is no path.
pub fn write_text(path: Option<&Path>, text: &str) -> Result<()> {
    use std::io::Write;
    match path {
        Some(p) => ipinsights_engine::atomic::write_atomically(p, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).context("cannot write to stdout")
        }
    }
}

/// Peak resident memory of this process in bytes (Linux), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
