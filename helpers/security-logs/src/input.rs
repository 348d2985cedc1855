//! Opening inputs: gzip detected by magic bytes, every input bounded (decompressed size and compression ratio),
//! deterministic recursive directory listing.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use crate::error::{Result, SecurityError};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUF_SIZE: usize = 64 * 1024;
/// Compressed bytes the gzip decoder pulls at once: small, so the ratio check sees the input it has really used.
const GZIP_INPUT_BUF: usize = 8 * 1024;

/// The most one CloudTrail log file or GuardDuty findings file may hold once decompressed: 128 MiB.
///
/// CloudTrail delivers a file per account, region and ~5 minutes, at most a few tens of MB decompressed even for
/// busy accounts; GuardDuty findings are at most 256 KB each (an EventBridge event's limit), so a file this size
/// holds hundreds of thousands of them. Larger inputs are refused with [`SecurityError::TooLarge`], naming the
/// file: split them. Plain files count their own size.
pub const MAX_DECOMPRESSED_BYTES: u64 = 128 << 20;

/// The most a gzip input may expand (decompressed ÷ compressed bytes), checked once it has given
/// [`RATIO_CHECKED_AFTER`] bytes: 100.
///
/// Real CloudTrail and GuardDuty JSON compresses 5–20 times (ids, times and request ids differ in every record);
/// zeros or one tiny record repeated compress 200–1000 times, the signature of a decompression bomb.
pub const MAX_COMPRESSION_RATIO: u64 = 100;

/// Decompressed bytes after which [`MAX_COMPRESSION_RATIO`] applies (8 MiB): small, highly compressible files are
/// harmless whatever their ratio.
pub const RATIO_CHECKED_AFTER: u64 = 8 << 20;

/// Why an input was refused before it could use unbounded memory (carried inside the `io::Error` of the read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputTooLarge {
    /// More than [`MAX_DECOMPRESSED_BYTES`] once decompressed (or read, for a plain file).
    Size {
        /// Whether the input is gzip.
        gzip: bool,
    },
    /// A gzip input that expanded more than [`MAX_COMPRESSION_RATIO`] times.
    Ratio {
        /// Decompressed bytes when the check failed.
        decompressed: u64,
        /// Compressed bytes read by then.
        compressed: u64,
    },
    /// One JSON value (a finding or event) of a findings input larger than [`MAX_FINDING_BYTES`](crate::guardduty::MAX_FINDING_BYTES).
    Finding {
        /// 1-based index of the top-level JSON value (or NDJSON line) it is in.
        item: usize,
    },
}

impl fmt::Display for InputTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1 << 20;
        match self {
            InputTooLarge::Size { gzip: true } => write!(
                f,
                "decompresses to more than {} MiB, the limit for one CloudTrail or GuardDuty file (split it)",
                MAX_DECOMPRESSED_BYTES / MIB
            ),
            InputTooLarge::Size { gzip: false } => write!(
                f,
                "more than {} MiB, the limit for one CloudTrail or GuardDuty file (split it)",
                MAX_DECOMPRESSED_BYTES / MIB
            ),
            InputTooLarge::Ratio { decompressed, compressed } => write!(
                f,
                "decompression bomb: {compressed} compressed bytes expanded to {decompressed} bytes, more than \
                 {MAX_COMPRESSION_RATIO} times (real logs and findings compress 5-20 times)"
            ),
            InputTooLarge::Finding { item } => write!(
                f,
                "item {item}: a finding or event of more than {} KiB (GuardDuty findings are at most 256 KB)",
                crate::guardduty::MAX_FINDING_BYTES >> 10
            ),
        }
    }
}

impl std::error::Error for InputTooLarge {}

impl InputTooLarge {
    /// The refusal carried by `err`, if it is one.
    pub fn in_io_error(err: &io::Error) -> Option<&InputTooLarge> {
        err.get_ref().and_then(|inner| inner.downcast_ref::<InputTooLarge>())
    }

    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Counts the bytes read through it (the compressed side of a gzip input).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Refuses to give more than [`MAX_DECOMPRESSED_BYTES`], or a gzip input expanding more than
/// [`MAX_COMPRESSION_RATIO`] times; the refusal is an `io::Error` carrying an [`InputTooLarge`].
struct Bounded<R> {
    inner: R,
    given: u64,
    /// Compressed bytes read, for a gzip input.
    compressed: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte beyond the limit is asked for, so an input of exactly the limit passes.
        let room = (MAX_DECOMPRESSED_BYTES + 1 - self.given).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.given += n as u64;
        if self.given > MAX_DECOMPRESSED_BYTES {
            return Err(InputTooLarge::Size { gzip: self.compressed.is_some() }.into_io());
        }
        if let Some(compressed) = &self.compressed {
            let compressed = compressed.load(Ordering::Relaxed).max(1);
            if self.given > RATIO_CHECKED_AFTER && self.given > compressed.saturating_mul(MAX_COMPRESSION_RATIO) {
                return Err(InputTooLarge::Ratio { decompressed: self.given, compressed }.into_io());
            }
        }
        Ok(n)
    }
}

/// [`decompressing_reader`] with its error labelled by the stream's `name`.
pub(crate) fn named_stream<'a, R: Read + 'a>(reader: R, name: &str) -> Result<Box<dyn BufRead + 'a>> {
    decompressing_reader(reader).map_err(|source| SecurityError::Read {
        name: name.to_string(),
        line: 0,
        column: 0,
        source,
    })
}

/// Buffers `reader`, gunzipping it when it starts with the gzip magic bytes (whatever the file name), and bounds
/// it: reading more than [`MAX_DECOMPRESSED_BYTES`], or a gzip input expanding more than [`MAX_COMPRESSION_RATIO`]
/// times, fails with an `io::Error` carrying an [`InputTooLarge`].
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
        let count = Arc::new(AtomicU64::new(0));
        let compressed = BufReader::with_capacity(GZIP_INPUT_BUF, Counting { inner: whole, count: count.clone() });
        let inflated = Bounded { inner: MultiGzDecoder::new(compressed), given: 0, compressed: Some(count) };
        Box::new(BufReader::with_capacity(BUF_SIZE, inflated))
    } else {
        Box::new(BufReader::with_capacity(BUF_SIZE, Bounded { inner: whole, given: 0, compressed: None }))
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
