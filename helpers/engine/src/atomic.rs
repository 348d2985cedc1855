//! Atomic file writes: write to a temporary file in the destination's folder, then rename over the destination.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `path` atomically with `fill`: readers see the old file or the complete new one, never a partial one.
pub fn write_atomically<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut std::fs::File>) -> io::Result<()>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        fill(&mut writer)?;
        writer.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
