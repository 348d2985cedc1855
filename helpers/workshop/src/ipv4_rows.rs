//! Training data for SageMaker, which reads IPv4 addresses only: a copy of a tuple CSV file without the rows whose
//! address is written in IPv6 notation, counted, so that an upload for the AWS backend never turns into a failed
//! training job. The local backend keeps those rows (the local engine reads both families).
//!
//! A row's address is its second CSV field, read as training reads it (a quoted entity may hold commas and line
//! breaks); every other row, a header included, is copied byte for byte.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ipinsights_engine::tuples::ipv6_rows;
use ipinsights_sagemaker_facts::IPV4_ONLY;

use crate::error::{Result, WorkshopError};

/// A copy of a file without its IPv6 rows.
#[derive(Debug)]
pub struct Ipv4Copy {
    /// The copy (a scratch file: remove it once uploaded).
    pub path: PathBuf,
    /// Rows kept.
    pub kept: u64,
    /// Rows left out.
    pub dropped: u64,
    /// The line of the first row left out (1-based).
    pub first_dropped_line: u64,
}

impl Ipv4Copy {
    /// The one line telling what was left out of `file` and why.
    pub fn summary(&self, file: &Path) -> String {
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        format!(
            "Left out {} of {} rows of {name} with IPv6 addresses (the first on line {}): {IPV4_ONLY}.",
            self.dropped,
            self.kept + self.dropped,
            self.first_dropped_line
        )
    }
}

/// Whether `file` is read as tuple CSV (by its `.csv` extension).
pub fn is_csv(file: &Path) -> bool {
    file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// A copy of `file` without its IPv6 rows, in `scratch`; `None` (and no copy) when it has none.
///
/// The rows are found by the reader training uses ([`ipinsights_engine::tuples::ipv6_rows`]), so a quoted entity
/// holding commas or line breaks is one row here as it is there; the copy is the file's own bytes less those rows.
pub fn without_ipv6_rows(file: &Path, scratch: &Path) -> Result<Option<Ipv4Copy>> {
    let read_err = |e: std::io::Error| WorkshopError::io("read", file, e);
    let open = || File::open(file).map(|f| BufReader::with_capacity(1 << 20, f)).map_err(read_err);
    let found = ipv6_rows(open()?, &file.display().to_string()).map_err(|e| WorkshopError::new(e.to_string()))?;
    let Some(first_dropped_line) = found.first_line else { return Ok(None) };
    let write_err = |e: std::io::Error| WorkshopError::io("write", scratch, e);
    let mut out = BufWriter::new(File::create(scratch).map_err(write_err)?);
    let mut reader = open()?;
    let mut at = 0;
    for span in &found.spans {
        copy_exactly(&mut reader, &mut out, span.start - at).map_err(read_err)?;
        copy_exactly(&mut reader, &mut std::io::sink(), span.end - span.start).map_err(read_err)?;
        at = span.end;
    }
    std::io::copy(&mut reader, &mut out).map_err(write_err)?;
    out.flush().map_err(write_err)?;
    let dropped = found.spans.len() as u64;
    Ok(Some(Ipv4Copy { path: scratch.to_path_buf(), kept: found.rows - dropped, dropped, first_dropped_line }))
}

/// Copies the next `len` bytes of `from`; the file ending first is an error (it changed under us).
fn copy_exactly(from: &mut impl Read, to: &mut impl Write, len: u64) -> std::io::Result<()> {
    let copied = std::io::copy(&mut from.take(len), to)?;
    if copied < len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file got shorter while it was read"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_ipv6_addresses_are_left_out_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tuples.csv");
        let text = "entity,ip\nalice,1.2.3.4\n\"c,d\",2600:1f18::7\nbob, 2001:db8::1 ,extra\n\"say \"\"hi\"\", x\",10.0.0.1\ncarol,::ffff:10.0.0.2\ndave,5.6.7.8";
        std::fs::write(&file, text).unwrap();
        let copy = without_ipv6_rows(&file, &dir.path().join("copy.csv")).unwrap().unwrap();
        assert_eq!((copy.kept, copy.dropped, copy.first_dropped_line), (3, 3, 3), "the header is not a row");
        let kept = std::fs::read_to_string(&copy.path).unwrap();
        assert_eq!(kept, "entity,ip\nalice,1.2.3.4\n\"say \"\"hi\"\", x\",10.0.0.1\ndave,5.6.7.8");
        assert_eq!(
            copy.summary(&file),
            "Left out 3 of 6 rows of tuples.csv with IPv6 addresses (the first on line 3): SageMaker's IP Insights \
             takes IPv4 addresses only (decimal-dot notation)."
        );
    }

    #[test]
    fn a_quoted_entity_with_a_line_break_is_one_row_as_in_training() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tuples.csv");
        std::fs::write(&file, "alice,1.2.3.4\r\n\"multi\nbob\",2001:db8::1\r\ncarol,5.6.7.8\r\n").unwrap();
        let copy = without_ipv6_rows(&file, &dir.path().join("copy.csv")).unwrap().unwrap();
        assert_eq!((copy.kept, copy.dropped, copy.first_dropped_line), (2, 1, 2));
        assert_eq!(std::fs::read_to_string(&copy.path).unwrap(), "alice,1.2.3.4\r\ncarol,5.6.7.8\r\n");
    }

    #[test]
    fn files_without_ipv6_rows_are_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tuples.csv");
        std::fs::write(&file, "alice,1.2.3.4\nbob,10.0.0.1,1\nlonely\n\"unterminated,1.1.1.1\n").unwrap();
        assert!(without_ipv6_rows(&file, &dir.path().join("copy.csv")).unwrap().is_none());
        assert!(!dir.path().join("copy.csv").exists());
        assert!(is_csv(Path::new("a/B.CSV")) && !is_csv(Path::new("model.tar.gz")));
    }
}
