//! Opening inputs: gzip detected by magic bytes, deterministic recursive directory listing.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{Result, SecurityError};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUF_SIZE: usize = 64 * 1024;

/// [`decompressing_reader`] with its error labelled by the stream's `name`.
pub(crate) fn named_stream<'a, R: Read + 'a>(reader: R, name: &str) -> Result<Box<dyn BufRead + 'a>> {
    decompressing_reader(reader).map_err(|source| SecurityError::Read {
        name: name.to_string(),
        line: 0,
        column: 0,
        source,
    })
}

/// Buffers `reader`, gunzipping it when it starts with the gzip magic bytes (whatever the file name).
pub fn decompressing_reader<'a, R: Read + 'a>(mut reader: R) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let is_gzip = got == 2 && head == GZIP_MAGIC;
    let whole = Cursor::new(head[..got].to_vec()).chain(reader);
    Ok(if is_gzip {
        Box::new(BufReader::with_capacity(BUF_SIZE, MultiGzDecoder::new(whole)))
    } else {
        Box::new(BufReader::with_capacity(BUF_SIZE, whole))
    })
}

/// Opens a file for reading, gunzipping it if it is gzip.
pub fn open_file(path: &Path) -> Result<Box<dyn BufRead>> {
    let open_err = |source| SecurityError::Open { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(open_err)?;
    decompressing_reader(file).map_err(open_err)
}

/// Files under `root` (or `root` itself if it is a file), in sorted path order, split into those
/// `accept` keeps and those it ignores. Symbolic links to files are followed; to directories, not.
pub fn list_files(root: &Path, accept: impl Fn(&Path) -> bool) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let meta = fs::metadata(root).map_err(|source| SecurityError::Open { path: root.to_path_buf(), source })?;
    let (mut kept, mut ignored) = (Vec::new(), Vec::new());
    if meta.is_dir() {
        walk(root, &accept, &mut kept, &mut ignored)?;
    } else {
        kept.push(root.to_path_buf());
    }
    Ok((kept, ignored))
}

fn walk(
    dir: &Path,
    accept: &impl Fn(&Path) -> bool,
    kept: &mut Vec<PathBuf>,
    ignored: &mut Vec<PathBuf>,
) -> Result<()> {
    let open_err = |source| SecurityError::Open { path: dir.to_path_buf(), source };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(open_err)? {
        let entry = entry.map_err(open_err)?;
        let kind = entry.file_type().map_err(open_err)?;
        entries.push((entry.file_name(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        let path = dir.join(name);
        if kind.is_dir() {
            walk(&path, accept, kept, ignored)?;
        } else if fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false) && accept(&path) {
            kept.push(path);
        } else {
            ignored.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> String {
        let mut s = String::new();
        decompressing_reader(Cursor::new(bytes)).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn detects_gzip_by_magic() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(b"{\"Records\":[]}").unwrap();
        assert_eq!(read_all(gz.finish().unwrap()), "{\"Records\":[]}");
        assert_eq!(read_all(b"{}".to_vec()), "{}");
        assert_eq!(read_all(b"x".to_vec()), "x");
        assert_eq!(read_all(Vec::new()), "");
    }
}
