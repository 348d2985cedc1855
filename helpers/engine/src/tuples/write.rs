//! Writing tuple CSV files: the one row writer, atomic files.

use super::{Tuple, TupleError};
use crate::atomic::write_atomically;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// Writes one headerless `entity,ip` CSV row per tuple to `out` (RFC 4180 quoting, so an entity with a comma
/// reads back whole); returns the number of rows.
pub fn write_rows<'a, W: Write>(out: W, tuples: impl IntoIterator<Item = &'a Tuple>) -> io::Result<usize> {
    write_with(out, None, tuples.into_iter().map(|t| (t, None)))
}

/// Writes headerless `entity,ip` rows to `path` atomically; returns the number of rows. The error names the file.
pub fn write_tuples<'a>(path: &Path, tuples: impl IntoIterator<Item = &'a Tuple>) -> Result<usize, TupleError> {
    let mut rows = 0;
    write_atomically(path, |w| {
        rows = write_rows(w, tuples)?;
        Ok(())
    })
    .map_err(|error| write_error(path, error))?;
    Ok(rows)
}

/// Writes `entity,ip,label` rows with a header atomically (label 1 = anomalous); returns the number of rows.
/// One label per tuple: different lengths are an error, and nothing is written.
pub fn write_labelled(path: &Path, tuples: &[Tuple], labels: &[bool]) -> Result<usize, TupleError> {
    if tuples.len() != labels.len() {
        let message = format!("{} tuples but {} labels", tuples.len(), labels.len());
        return Err(write_error(path, io::Error::new(io::ErrorKind::InvalidInput, message)));
    }
    let rows = tuples.iter().zip(labels).map(|(t, &label)| (t, Some(label)));
    write_atomically(path, |w| write_with(w, Some("entity,ip,label"), rows).map(drop))
        .map_err(|error| write_error(path, error))?;
    Ok(tuples.len())
}

/// The row writer: an optional header line, then `entity,ip[,label]` per row.
fn write_with<'a, W: Write>(
    mut out: W,
    header: Option<&str>,
    rows: impl Iterator<Item = (&'a Tuple, Option<bool>)>,
) -> io::Result<usize> {
    if let Some(header) = header {
        writeln!(out, "{header}")?;
    }
    let mut csv = csv::WriterBuilder::new().has_headers(false).flexible(true).from_writer(out);
    let mut ip = String::with_capacity(64);
    let mut count = 0;
    for (tuple, label) in rows {
        ip.clear();
        write!(ip, "{}", tuple.ip).expect("writing to a String cannot fail");
        match label {
            None => csv.write_record([tuple.entity.as_str(), &ip])?,
            Some(label) => csv.write_record([tuple.entity.as_str(), &ip, if label { "1" } else { "0" }])?,
        }
        count += 1;
    }
    csv.flush()?;
    Ok(count)
}

fn write_error(path: &Path, error: io::Error) -> TupleError {
    TupleError::Write { path: path.display().to_string(), error }
}
