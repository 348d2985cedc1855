//! Reading tuple CSV files: rows to [`Tuple`]s under the entity rule, bad rows reported or counted.

use super::rows::Rows;
use super::{normalize_entity, Tuple, TupleError};
use crate::ip::parse_ip;
use std::fmt;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

/// A bad row: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file (or stream name).
    pub source: String,
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with the row.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.reason)
    }
}

/// Rows that were skipped, with the first few as examples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// How many rows were skipped.
    pub count: u64,
    /// The first skipped rows (at most 5).
    pub examples: Vec<RowError>,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {} invalid row{}", self.count, if self.count == 1 { "" } else { "s" })?;
        for e in &self.examples {
            write!(f, "\n  {e}")?;
        }
        if self.count > self.examples.len() as u64 {
            write!(f, "\n  …")?;
        }
        Ok(())
    }
}

/// Tuples read from a file, with labels when the file has them (`1` = anomalous).
#[derive(Debug, Clone, Default)]
pub struct TupleFile {
    /// The tuples in file order.
    pub tuples: Vec<Tuple>,
    /// One label per tuple, for labelled files.
    pub labels: Option<Vec<bool>>,
    /// What was skipped.
    pub skipped: Skipped,
}

/// How to read a tuple file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Skip (and count) bad rows instead of failing.
    pub skip_invalid: bool,
    /// Require a label column (`label` in the header, or the third column).
    pub labelled: bool,
    /// Read as SageMaker's IP Insights does: an address in IPv6 notation (IPv4-mapped ones included) is a bad row
    /// (see [`ipinsights_sagemaker_facts::IPV4_ONLY`]). The local engine itself reads both families.
    pub ipv4_only: bool,
}

/// Reads a tuple file.
pub fn read_tuples(path: &Path, options: ReadOptions) -> Result<TupleFile, TupleError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| TupleError::Io { source_name: name.clone(), error })?;
    parse_tuples(file, &name, options)
}

/// Reads tuples from any reader; `source_name` names it in errors.
pub fn parse_tuples(reader: impl Read, source_name: &str, options: ReadOptions) -> Result<TupleFile, TupleError> {
    let mut rows = Rows::new(reader);
    let mut out = TupleFile { labels: options.labelled.then(Vec::new), ..Default::default() };
    let mut label_column = 2;
    let mut first = true;
    loop {
        let line = rows.line();
        let start = match rows.read() {
            Ok(None) => break,
            Ok(Some(start)) => start,
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let reason = match e.kind() {
                    csv::ErrorKind::Io(io) => {
                        return Err(TupleError::Io {
                            source_name: source_name.into(),
                            error: io::Error::new(io.kind(), io.to_string()),
                        })
                    }
                    csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                    _ => e.to_string(),
                };
                skip_or_fail(&mut out.skipped, options, RowError { source: source_name.into(), line, reason })?;
                continue;
            }
        };
        let (record, line) = (&rows.record, start.line);
        if std::mem::take(&mut first) && is_header(record) {
            if let Some(i) = record.iter().position(|f| f.eq_ignore_ascii_case(b"label")) {
                label_column = i;
            }
            continue;
        }
        match parse_row(record, options.labelled.then_some(label_column), options.ipv4_only) {
            Ok((tuple, label)) => {
                out.tuples.push(tuple);
                if let (Some(labels), Some(label)) = (out.labels.as_mut(), label) {
                    labels.push(label);
                }
            }
            Err(reason) => {
                skip_or_fail(&mut out.skipped, options, RowError { source: source_name.into(), line, reason })?
            }
        }
    }
    Ok(out)
}

/// The rows of tuple CSV whose address (second field) is written in IPv6 notation, which SageMaker's IP Insights
/// refuses ([`ipinsights_sagemaker_facts::IPV4_ONLY`]), found by the reader training uses: a quoted entity holding commas
/// or line breaks is one row here exactly as it is there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ipv6Rows {
    /// Each such row's bytes in the input, in order: from its first byte to the next row's (its line ending and
    /// any blank lines after it included).
    pub spans: Vec<Range<u64>>,
    /// The line the first such row starts on (1-based).
    pub first_line: Option<u64>,
    /// Every row read, a header excepted.
    pub rows: u64,
}

/// Finds the rows of tuple CSV whose address is in IPv6 notation ([`Ipv6Rows`]); `source_name` names the input in
/// errors.
pub fn ipv6_rows(reader: impl Read, source_name: &str) -> Result<Ipv6Rows, TupleError> {
    let mut rows = Rows::new(reader);
    let mut found = Ipv6Rows::default();
    // The start of an IPv6 row whose end is where the next row (or the input) starts.
    let mut open: Option<u64> = None;
    let mut first = true;
    loop {
        let start = rows
            .read()
            .map_err(|e| TupleError::Io { source_name: source_name.into(), error: io::Error::other(e.to_string()) })?;
        if let Some(open) = open.take() {
            found.spans.push(open..start.map_or(rows.end(), |s| s.byte));
        }
        let Some(start) = start else { return Ok(found) };
        if std::mem::take(&mut first) && is_header(&rows.record) {
            continue;
        }
        found.rows += 1;
        let ip = rows.record.get(1).and_then(|f| std::str::from_utf8(f).ok()).unwrap_or_default();
        if ipinsights_sagemaker_facts::ipv6_notation(ip) {
            open = Some(start.byte);
            found.first_line.get_or_insert(start.line);
        }
    }
}

fn skip_or_fail(skipped: &mut Skipped, options: ReadOptions, error: RowError) -> Result<(), TupleError> {
    if !options.skip_invalid {
        return Err(TupleError::Row(error));
    }
    skipped.count += 1;
    if skipped.examples.len() < 5 {
        skipped.examples.push(error);
    }
    Ok(())
}

fn is_header(record: &csv::ByteRecord) -> bool {
    let field = |i: usize| record.get(i).map(|f| f.to_ascii_lowercase());
    field(0).as_deref() == Some(b"entity".as_slice()) && field(1).as_deref() == Some(b"ip".as_slice())
}

fn parse_row(
    record: &csv::ByteRecord,
    label_column: Option<usize>,
    ipv4_only: bool,
) -> Result<(Tuple, Option<bool>), String> {
    let text = |i: usize, name: &str| -> Result<&str, String> {
        let bytes = record.get(i).ok_or_else(|| format!("missing {name} field (row has {} field(s))", record.len()))?;
        let s = std::str::from_utf8(bytes).map_err(|_| format!("{name} field is not valid UTF-8"))?;
        if s.is_empty() {
            return Err(format!("empty {name} field"));
        }
        Ok(s)
    };
    // The CSV reader trims ASCII whitespace only; the entity rule trims all of it, as the inference parsers do.
    let entity = normalize_entity(text(0, "entity")?);
    if entity.is_empty() {
        return Err("entity field is only whitespace".to_string());
    }
    let raw_ip = text(1, "ip")?;
    let ip = parse_ip(raw_ip).map_err(|e| e.to_string())?;
    // SageMaker reads the text: an IPv4-mapped address in IPv6 notation is not decimal-dot notation either.
    if ipv4_only && ipinsights_sagemaker_facts::ipv6_notation(raw_ip) {
        return Err(format!("IPv6 address {}: {}", raw_ip.trim(), ipinsights_sagemaker_facts::IPV4_ONLY));
    }
    let label = match label_column {
        None => None,
        Some(i) => Some(match text(i, "label")? {
            "1" | "1.0" | "true" => true,
            "0" | "0.0" | "false" => false,
            other => return Err(format!("label {other:?} is not 0 or 1")),
        }),
    };
    Ok((Tuple::new(entity, ip), label))
}
