//! Atomic file writes, the one writer every crate uses for files a reader might see half-written: whole with
//! [`write_atomically`], or piece by piece (a download's chunks) with an [`AtomicFile`] and its
//! [`AtomicFile::commit`]. `ipinsights_engine::atomic` is this crate.
//!
//! The steps, in order: a temporary file in the destination's own folder (so the rename stays on one file
//! system), the data written and flushed, the file's data and metadata synced to disk, a rename over the
//! destination, and on Unix the folder synced so the rename itself survives a crash. A reader sees the old file or
//! the complete new one, never a partial one. On any error before the rename the temporary file is removed and the
//! destination is untouched.
//!
//! Like `std::fs::write`, a new file gets the default mode (`0666` less the umask) and a replaced file keeps its
//! mode.
//!
//! Bulk output that is regenerated rather than recovered (the simulated account's thousands of CloudTrail files)
//! may skip the two syncs with [`Durability::Unsynced`]: readers still never see a partial file, but a crash may
//! lose the newest files. Syncing costs about 8 ms a file on the workshop machines (2,014 simulated log files:
//! 16–19 s synced, 3–5 s not).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Prefix of the temporary files (hidden, so directory listings and globs skip a write in progress).
const TEMP_PREFIX: &str = ".tmp-";

/// How far a write reaches before [`write_atomically_with`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The data and the rename are synced to disk: the new file survives a crash (the default).
    #[default]
    Synced,
    /// Left to the operating system: atomic for readers, but a crash may lose the file (regenerable bulk output).
    Unsynced,
}

/// Writes `path` atomically and durably with `fill`: readers see the old file or the complete new one, never a
/// partial one, also after a crash.
pub fn write_atomically<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    write_atomically_with(path, Durability::Synced, fill)
}

/// [`write_atomically`] with a choice of [`Durability`].
pub fn write_atomically_with<F>(path: &Path, durability: Durability, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> io::Result<()>,
{
    let mut file = AtomicFile::create(path, durability)?;
    {
        let mut writer = BufWriter::with_capacity(1 << 20, file.as_file_mut());
        fill(&mut writer)?;
        writer.flush()?;
    }
    file.commit()
}

/// A write in progress: a temporary file beside the destination, written through [`Write`] (unbuffered: wrap it in
/// a `BufWriter` for small writes); [`AtomicFile::commit`] puts it in place, dropping it (an error, a panic)
/// removes it and leaves the destination as it was.
#[derive(Debug)]
pub struct AtomicFile {
    temp: NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
    durability: Durability,
}

impl AtomicFile {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path, durability: Durability) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // tempfile's default is 0600; ask for what `File::create` gives (the umask still applies).
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir)?;
        Ok(AtomicFile { temp, path: path.to_path_buf(), dir: dir.to_path_buf(), durability })
    }

    /// The temporary file.
    pub fn as_file_mut(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Puts the written file in place: the old file's mode kept, synced per the [`Durability`], renamed over the
    /// destination.
    pub fn commit(self) -> io::Result<()> {
        let AtomicFile { temp, path, dir, durability } = self;
        if let Ok(existing) = std::fs::metadata(&path) {
            temp.as_file().set_permissions(existing.permissions())?;
        }
        if durability == Durability::Synced {
            temp.as_file().sync_all()?;
        }
        temp.persist(&path).map_err(|e| e.error)?;
        match durability {
            Durability::Synced => sync_dir(&dir),
            Durability::Unsynced => Ok(()),
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.as_file_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.as_file_mut().flush()
    }
}

/// Makes a rename in `dir` durable (Unix; elsewhere the rename is as durable as the platform makes it).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir)?.sync_all() {
        // Some file systems cannot sync a directory; the rename is done, as durable as they allow.
        Err(e) if e.kind() == io::ErrorKind::InvalidInput || e.kind() == io::ErrorKind::Unsupported => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |w| w.write_all(b"first")).unwrap();
        write_atomically(&path, |w| w.write_all(b"second")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(names(dir.path()), ["out.txt"], "no temporary file left behind");
    }

    #[test]
    fn unsynced_writes_are_whole_files_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically_with(&path, Durability::Unsynced, |w| w.write_all(b"bulk")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "bulk");
        assert_eq!(names(dir.path()), ["out.txt"]);
    }

    #[test]
    fn a_failing_fill_leaves_the_old_file_and_no_temporary_file() {
        for durability in [Durability::Synced, Durability::Unsynced] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("out.txt");
            fs::write(&path, "old").unwrap();
            let err = write_atomically_with(&path, durability, |w| {
                // More than the buffer, so part of it really reaches the temporary file before the failure.
                w.write_all(&vec![b'x'; 3 << 20])?;
                Err(io::Error::other("disk on fire"))
            })
            .unwrap_err();
            assert_eq!(err.to_string(), "disk on fire");
            assert_eq!(fs::read_to_string(&path).unwrap(), "old");
            assert_eq!(names(dir.path()), ["out.txt"], "{durability:?}");
        }
    }

    #[test]
    fn an_interrupted_write_leaves_the_old_file_or_none_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old.txt"), dir.path().join("new.txt"));
        fs::write(&old, "old").unwrap();
        for path in [&old, &new] {
            let interrupted = std::panic::catch_unwind(|| {
                let mut file = AtomicFile::create(path, Durability::Synced).unwrap();
                file.write_all(&vec![b'x'; 3 << 20]).unwrap();
                panic!("interrupted before the commit");
            });
            assert!(interrupted.is_err());
        }
        assert_eq!(fs::read_to_string(&old).unwrap(), "old");
        assert_eq!(names(dir.path()), ["old.txt"], "the new file absent, no temporary file");
        let mut file = AtomicFile::create(&new, Durability::Synced).unwrap();
        file.write_all(b"whole").unwrap();
        assert_eq!(names(dir.path()).len(), 2, "only the hidden temporary file until the commit");
        assert!(!new.exists());
        file.commit().unwrap();
        assert_eq!(fs::read_to_string(&new).unwrap(), "whole");
        assert_eq!(names(dir.path()), ["new.txt", "old.txt"]);
    }

    #[test]
    fn a_failing_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty folder cannot be replaced by a file: the rename fails after the data was written.
        let path = dir.path().join("taken");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), "x").unwrap();
        assert!(write_atomically(&path, |w| w.write_all(b"data")).is_err());
        assert_eq!(names(dir.path()), ["taken"]);
        assert!(path.join("inside").is_file());
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(&dir.path().join("no/such/dir/out.txt"), |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    }

    #[test]
    fn a_bare_file_name_writes_in_the_current_folder() {
        // `Path::parent` of a bare name is "", which must mean ".", not an error. Only the folder logic is
        // checked here (changing the process's current folder would race other tests).
        let name = format!("atomic-test-{}.txt", std::process::id());
        write_atomically(Path::new(&name), |w| w.write_all(b"here")).unwrap();
        assert_eq!(fs::read_to_string(&name).unwrap(), "here");
        fs::remove_file(&name).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn modes_follow_the_umask_for_new_files_and_are_kept_for_replaced_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let reference = dir.path().join("reference");
        File::create(&reference).unwrap();
        let new = dir.path().join("new");
        write_atomically(&new, |w| w.write_all(b"x")).unwrap();
        assert_eq!(mode(&new), mode(&reference), "a new file gets what File::create gives");
        fs::set_permissions(&new, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&new, |w| w.write_all(b"y")).unwrap();
        assert_eq!(mode(&new), 0o640);
    }
}
