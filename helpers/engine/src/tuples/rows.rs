//! Rows of tuple CSV as every tuple reader reads them: the one CSV reader configuration, and where each row really
//! starts. The CSV reader reports a row at the end of the row before it, so a `\n` after a `\r` or blank lines in
//! between would otherwise be counted into the row; here a row starts at its first byte and its line is the line
//! that byte is on.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::Range;

/// Where a row starts: its first byte's offset in the input and that byte's line (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowStart {
    /// Offset of the row's first byte.
    pub byte: u64,
    /// The line it is on.
    pub line: u64,
}

/// The rows of an input, read with the tuple CSV settings.
pub(super) struct Rows<R: Read> {
    csv: csv::Reader<Terminators<R>>,
    /// The row last read.
    pub record: csv::ByteRecord,
}

impl<R: Read> Rows<R> {
    /// Rows of `reader`: no header assumed (a header row is recognised by its fields), rows of any length, fields
    /// trimmed, RFC 4180 quoting.
    pub fn new(reader: R) -> Rows<R> {
        let tap = Terminators { inner: reader, offset: 0, open: None, runs: VecDeque::new(), line_feeds_passed: 0 };
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .buffer_capacity(1 << 20)
            .from_reader(tap);
        Rows { csv, record: csv::ByteRecord::new() }
    }

    /// Reads the next row into [`Rows::record`] and says where it starts; `None` at the end of the input.
    pub fn read(&mut self) -> Result<Option<RowStart>, csv::Error> {
        if !self.csv.read_byte_record(&mut self.record)? {
            return Ok(None);
        }
        let reported = self.record.position().map_or(0, csv::Position::byte);
        Ok(Some(self.csv.get_mut().row_start(reported)))
    }

    /// The line the reader is on (for errors the CSV reader reports without a row).
    pub fn line(&self) -> u64 {
        self.csv.position().line()
    }

    /// Bytes read, once [`Rows::read`] has returned `None`: the input's length.
    pub fn end(&self) -> u64 {
        self.csv.position().byte()
    }
}

/// Passes bytes through and notes the runs of line terminators (`\r`, `\n`) and how many `\n`s each holds, as far
/// back as the CSV reader may still report a row (it reads at most a buffer ahead).
struct Terminators<R> {
    inner: R,
    /// Bytes passed through so far.
    offset: u64,
    /// The run the input currently ends in: where it began and its `\n`s so far.
    open: Option<(u64, u64)>,
    /// Closed runs not yet behind a row start, with their `\n`s.
    runs: VecDeque<(Range<u64>, u64)>,
    /// The `\n`s of the runs already behind a row start.
    line_feeds_passed: u64,
}

impl<R> Terminators<R> {
    /// Where a row the CSV reader reports at `reported` starts, and its line; forgets the runs before it.
    fn row_start(&mut self, reported: u64) -> RowStart {
        let mut byte = reported;
        while let Some((run, line_feeds)) = self.runs.front() {
            if run.start > byte {
                break;
            }
            // A reported offset inside a run (after a `\r`, or on a blank line): the row starts after the run.
            byte = byte.max(run.end);
            self.line_feeds_passed += line_feeds;
            self.runs.pop_front();
        }
        RowStart { byte, line: self.line_feeds_passed + 1 }
    }
}

impl<R: Read> Read for Terminators<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = &buf[..n];
        let mut i = 0;
        while i < n {
            if let Some((start, mut line_feeds)) = self.open {
                while let Some(&b @ (b'\r' | b'\n')) = bytes.get(i) {
                    line_feeds += u64::from(b == b'\n');
                    i += 1;
                }
                if i == n {
                    self.open = Some((start, line_feeds));
                    break;
                }
                self.runs.push_back((start..self.offset + i as u64, line_feeds));
                self.open = None;
            }
            // Row content up to the next terminator is skipped at memchr's speed.
            match memchr::memchr2(b'\r', b'\n', &bytes[i..]) {
                Some(j) => {
                    i += j;
                    self.open = Some((self.offset + i as u64, 0));
                }
                None => break,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}
