//! Atomic file writes: a temporary file in the target's directory, then a rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, SecurityError};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically: `fill` writes into a temporary sibling file that is renamed over `path`
/// only on success (and removed on failure). With `durable`, the data is fsync'd before the rename.
pub fn write_atomic(
    path: &Path,
    durable: bool,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<()> {
    let write_err = |source| SecurityError::Write { path: path.to_path_buf(), source };
    let tmp = temp_sibling(path);
    let result = (|| {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut out = BufWriter::new(file);
        fill(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(write_err)
}

/// A unique hidden temporary name next to `path`.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(".{}.tmp-{}-{n}", name.as_deref().unwrap_or("out"), std::process::id());
    path.with_file_name(tmp_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failure_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let err = write_atomic(&path, false, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("x.csv"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&path, true, |w| w.write_all(b"ok")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "ok");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
