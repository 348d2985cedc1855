//! Training data for SageMaker, which reads IPv4 addresses only: a copy of a tuple CSV file without the rows whose
//! address is written in IPv6 notation, counted, so that an upload for the AWS backend never turns into a failed
//! training job. The local backend keeps those rows (the local engine reads both families).
//!
//! A row's address is its second CSV field (a quoted first field may hold commas); every other row, a header
//! included, is copied byte for byte.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ipinsights_sagemaker::{ipv6_notation, IPV4_ONLY};

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
pub fn without_ipv6_rows(file: &Path, scratch: &Path) -> Result<Option<Ipv4Copy>> {
    let read_err = |e: std::io::Error| WorkshopError::context(format!("cannot read {}", file.display()), e);
    let open = || File::open(file).map(|f| BufReader::with_capacity(1 << 20, f)).map_err(read_err);
    // A first pass finds whether there is anything to leave out, so that most files are uploaded as they are.
    let mut reader = open()?;
    let mut line = Vec::new();
    let mut number = 0u64;
    let first = loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read_err)? == 0 {
            return Ok(None);
        }
        number += 1;
        if is_ipv6_row(&line) {
            break number;
        }
    };
    let write_err = |e: std::io::Error| WorkshopError::context(format!("cannot write {}", scratch.display()), e);
    let mut out = BufWriter::new(File::create(scratch).map_err(write_err)?);
    let mut reader = open()?;
    let (mut kept, mut dropped, mut first_line) = (0u64, 0u64, true);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read_err)? == 0 {
            break;
        }
        if is_ipv6_row(&line) {
            dropped += 1;
        } else {
            out.write_all(&line).map_err(write_err)?;
            // A header is copied but is not a row.
            let header = first_line && line.trim_ascii_start().starts_with(b"entity,");
            kept += u64::from(!header && !line.iter().all(u8::is_ascii_whitespace));
        }
        first_line = false;
    }
    out.flush().map_err(write_err)?;
    Ok(Some(Ipv4Copy { path: scratch.to_path_buf(), kept, dropped, first_dropped_line: first }))
}

/// Whether a CSV row's second field is an address in IPv6 notation.
fn is_ipv6_row(line: &[u8]) -> bool {
    let Some(rest) = after_first_field(line) else { return false };
    let end = rest.iter().position(|&b| b == b',' || b == b'\n' || b == b'\r').unwrap_or(rest.len());
    let field = std::str::from_utf8(&rest[..end]).unwrap_or("").trim().trim_matches('"');
    ipv6_notation(field)
}

/// What follows the first CSV field and its comma, or `None` for a row of one field.
fn after_first_field(line: &[u8]) -> Option<&[u8]> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let line = &line[start..];
    if line.first() == Some(&b'"') {
        // A quoted field ends at a quote not followed by another (`""` is a quote inside it).
        let mut i = 1;
        while i < line.len() {
            if line[i] == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                let comma = line[i + 1..].iter().position(|&b| b == b',')?;
                return Some(&line[i + 2 + comma..]);
            }
            i += 1;
        }
        return None;
    }
    let comma = line.iter().position(|&b| b == b',')?;
    Some(&line[comma + 1..])
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
    fn files_without_ipv6_rows_are_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tuples.csv");
        std::fs::write(&file, "alice,1.2.3.4\nbob,10.0.0.1,1\nlonely\n\"unterminated,1.1.1.1\n").unwrap();
        assert!(without_ipv6_rows(&file, &dir.path().join("copy.csv")).unwrap().is_none());
        assert!(!dir.path().join("copy.csv").exists());
        assert!(is_csv(Path::new("a/B.CSV")) && !is_csv(Path::new("model.tar.gz")));
    }
}
