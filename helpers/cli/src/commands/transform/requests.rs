//! An input object read as batch transform reads it: into requests of at most `MaxPayloadInMB`, one at a time,
//! so the memory a job needs is one request's, whatever the object's size.
//!
//! `SplitType` `Line`: one record per non-blank line; `MultiRecord` batches consecutive records while the request's
//! bytes (from its first record's start to its last record's end, blank lines between included, as the object
//! holds them) stay within the limit; `SingleRecord` sends one record per request. `None`: the whole object is one
//! request. A line longer than the limit fails the job. Blank lines are not records and are never held beyond the
//! limit: once the open request cannot take another record, it is sent.

use std::io::{BufRead, Read};

use anyhow::{anyhow, bail, Context, Result};

/// How requests are cut from an object.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// One record per line (`Line`), or the whole object as one request (`None`).
    pub split_lines: bool,
    /// One record per request (`SingleRecord`).
    pub single_record: bool,
    /// The largest request, in bytes.
    pub max_bytes: usize,
}

impl Cut {
    fn too_large(&self, what: String, bytes: u64) -> anyhow::Error {
        anyhow!(
            "{what} is {bytes} bytes, more than the {} MB payload limit (max_payload)",
            self.max_bytes / (1024 * 1024)
        )
    }
}

/// One request: its body and the input lines of its first and last records (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The body, as the object holds it.
    pub body: Vec<u8>,
    /// The line of the first record.
    pub first_line: u64,
    /// The line of the last record.
    pub last_line: u64,
}

impl Request {
    /// The whole request as one block.
    pub fn whole(&self) -> Block<'_> {
        Block { body: &self.body, first_line: self.first_line, last_line: self.last_line }
    }

    /// The request cut at line breaks into blocks of whole records, each from a record to a record and at most
    /// `max_bytes` long unless one record is longer: decoding block by block gives the request's records in order
    /// while holding only one block's. With `csv_quotes`, a line break inside a quoted field (an odd number of `"`
    /// so far) is never a cut, so a quoted entity spanning lines stays whole.
    pub fn blocks(&self, max_bytes: usize, csv_quotes: bool) -> Vec<Block<'_>> {
        let mut blocks = Vec::new();
        // The open block: where it starts and its first line; where its last record ends and that record's line.
        let mut open: Option<(usize, u64)> = None;
        let mut last = (0, self.first_line);
        let mut in_quotes = false;
        let mut offset = 0;
        for (raw, line) in self.body.split(|&b| b == b'\n').zip(self.first_line..) {
            let (start, end) = (offset, offset + raw.len());
            offset = end + 1;
            let may_cut = !in_quotes;
            if csv_quotes && raw.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                in_quotes = !in_quotes;
            }
            if is_blank(raw) {
                continue;
            }
            let (from, first) = *open.get_or_insert((start, line));
            if may_cut && end - from > max_bytes && last.0 > from {
                blocks.push(Block { body: &self.body[from..last.0], first_line: first, last_line: last.1 });
                open = Some((start, line));
            }
            last = (end, line);
        }
        if let Some((from, first)) = open {
            blocks.push(Block { body: &self.body[from..last.0], first_line: first, last_line: last.1 });
        }
        blocks
    }
}

/// Part of a request: whole records and the input lines of its first and last (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// The records, as the object holds them.
    pub body: &'a [u8],
    /// The line of the first record.
    pub first_line: u64,
    /// The line of the last record.
    pub last_line: u64,
}

impl Block<'_> {
    /// `lines A-B` of the block.
    pub fn span(&self) -> String {
        if self.first_line == self.last_line {
            format!("line {}", self.first_line)
        } else {
            format!("lines {}-{}", self.first_line, self.last_line)
        }
    }
}

fn is_blank(raw: &[u8]) -> bool {
    raw.iter().all(u8::is_ascii_whitespace)
}

/// One line as read: its full length and whether it is blank (its first bytes, up to the limit and one, are kept).
struct Line {
    len: u64,
    blank: bool,
}

/// The requests of one object, read from `reader` one at a time.
pub struct Requests<R> {
    reader: R,
    cut: Cut,
    /// The open request: the object's bytes from its first record's start to the end of the last line read.
    open: Vec<u8>,
    /// Where the open request's last record ends in `open`, and its first and last record lines.
    open_end: usize,
    open_lines: Option<(u64, u64)>,
    /// The line being read (kept up to the limit).
    line: Vec<u8>,
    /// Lines read so far.
    lines_read: u64,
    /// Requests handed out so far.
    sent: u64,
    /// The end of the object is reached (its last line is read).
    at_end: bool,
    done: bool,
}

impl<R: BufRead> Requests<R> {
    /// The requests of the object read by `reader`.
    pub fn new(reader: R, cut: Cut) -> Self {
        Requests {
            reader,
            cut,
            open: Vec::new(),
            open_end: 0,
            open_lines: None,
            line: Vec::new(),
            lines_read: 0,
            sent: 0,
            at_end: false,
            done: false,
        }
    }

    /// The next request, `None` after the last; an error when a line or the object is over the limit, the object
    /// holds no record, or reading fails.
    pub fn next_request(&mut self) -> Result<Option<Request>> {
        if self.done {
            return Ok(None);
        }
        if !self.cut.split_lines {
            self.done = true;
            return self.whole_object().map(Some);
        }
        loop {
            let Some(line) = self.read_line()? else {
                self.done = true;
                let last = self.close();
                if last.is_none() && self.sent == 0 {
                    bail!("no records (every line is blank)");
                }
                return Ok(last);
            };
            let number = self.lines_read;
            if line.blank {
                if self.open_lines.is_some() && self.open.len() as u64 + 1 + line.len > self.cut.max_bytes as u64 {
                    // No record after this line can join the open request: send it now.
                    return Ok(self.close());
                }
                if self.open_lines.is_some() {
                    self.open.push(b'\n');
                    self.open.extend_from_slice(&self.line);
                }
                continue;
            }
            if line.len > self.cut.max_bytes as u64 {
                return Err(self.cut.too_large(format!("line {number}"), line.len));
            }
            let joins = self.open_lines.is_some()
                && !self.cut.single_record
                && self.open.len() + 1 + self.line.len() <= self.cut.max_bytes;
            if joins {
                self.open.push(b'\n');
                self.open.extend_from_slice(&self.line);
                self.open_end = self.open.len();
                self.open_lines = self.open_lines.map(|(first, _)| (first, number));
                continue;
            }
            let full = self.close();
            self.open.extend_from_slice(&self.line);
            self.open_end = self.open.len();
            self.open_lines = Some((number, number));
            if full.is_some() {
                return Ok(full);
            }
        }
    }

    /// Hands out the open request (up to its last record), if any.
    fn close(&mut self) -> Option<Request> {
        let (first_line, last_line) = self.open_lines.take()?;
        self.open.truncate(self.open_end);
        let body = std::mem::take(&mut self.open);
        self.open_end = 0;
        self.sent += 1;
        Some(Request { body, first_line, last_line })
    }

    /// The whole object as one request (`SplitType` `None`).
    fn whole_object(&mut self) -> Result<Request> {
        let limit = self.cut.max_bytes as u64;
        let mut body = Vec::new();
        (&mut self.reader).take(limit + 1).read_to_end(&mut body).context("cannot read the object")?;
        if body.len() as u64 > limit {
            let mut rest = std::io::sink();
            let more = std::io::copy(&mut self.reader, &mut rest).context("cannot read the object")?;
            return Err(self
                .cut
                .too_large("the object (split_type None: one request)".into(), body.len() as u64 + more));
        }
        self.sent += 1;
        Ok(Request { body, first_line: 1, last_line: 1 })
    }

    /// Reads the next line into `self.line` (without its `\n`, at most the limit kept); `None` at the end of the
    /// object. As in the object's text split at every `\n`, the end of the object ends a last line, empty or not.
    fn read_line(&mut self) -> Result<Option<Line>> {
        if self.at_end {
            return Ok(None);
        }
        self.line.clear();
        let mut line = Line { len: 0, blank: true };
        loop {
            let buf = self.reader.fill_buf().context("cannot read the object")?;
            if buf.is_empty() {
                self.at_end = true;
                break;
            }
            let (part, ended) = match buf.iter().position(|&b| b == b'\n') {
                Some(at) => (&buf[..at], true),
                None => (buf, false),
            };
            line.len += part.len() as u64;
            line.blank = line.blank && is_blank(part);
            let room = (self.cut.max_bytes + 1).saturating_sub(self.line.len());
            self.line.extend_from_slice(&part[..part.len().min(room)]);
            let used = part.len() + usize::from(ended);
            self.reader.consume(used);
            if ended {
                break;
            }
        }
        self.lines_read += 1;
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(max_mb: usize, single: bool) -> Cut {
        Cut { split_lines: true, single_record: single, max_bytes: max_mb * 1024 * 1024 }
    }

    fn all(data: &[u8], cut: Cut) -> Result<Vec<Request>> {
        let mut requests = Requests::new(std::io::BufReader::with_capacity(7, data), cut);
        let mut out = Vec::new();
        while let Some(request) = requests.next_request()? {
            out.push(request);
        }
        Ok(out)
    }

    #[test]
    fn records_are_batched_up_to_the_payload_and_blank_lines_skipped() {
        let data = b"a,1.1.1.1\n\nb,2.2.2.2\r\nc,3.3.3.3";
        let multi = all(data, cut(1, false)).unwrap();
        assert_eq!(multi.len(), 1);
        assert_eq!(multi[0].body, data);
        assert_eq!(multi[0].whole().span(), "lines 1-4");
        let single = all(data, cut(1, true)).unwrap();
        let spans: Vec<_> = single.iter().map(|r| r.whole().span()).collect();
        assert_eq!(spans, ["line 1", "line 3", "line 4"]);
        assert_eq!(single[1].body, b"b,2.2.2.2\r");
        // Requests never pass the payload limit.
        let row = "user,10.0.0.1\n".repeat(200_000); // 2.8 MB
        let parts = all(row.as_bytes(), cut(1, false)).unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|r| r.body.len() <= 1024 * 1024));
        assert_eq!(parts.iter().map(|r| r.body.split(|&b| b == b'\n').count()).sum::<usize>(), 200_000);
        assert_eq!(parts.iter().map(|r| r.body.len() + 1).sum::<usize>(), row.len(), "every byte but the cuts' breaks");
        assert!(all(b"\n \n", cut(1, false)).unwrap_err().to_string().contains("no records"));
        assert!(all(b"", cut(1, false)).unwrap_err().to_string().contains("no records"));
    }

    #[test]
    fn blank_lines_are_never_held_beyond_the_limit_and_long_lines_are_refused() {
        let limit = 1024 * 1024;
        // A record, more blank bytes than the limit, a record: two requests, the blank lines in neither.
        let mut data = b"a,1.1.1.1\n".to_vec();
        data.extend(std::iter::repeat_n(b' ', limit + 10));
        data.extend(b"\n\n \nb,2.2.2.2\n");
        let parts = all(&data, cut(1, false)).unwrap();
        assert_eq!(parts.iter().map(|r| r.body.as_slice()).collect::<Vec<_>>(), [&b"a,1.1.1.1"[..], b"b,2.2.2.2"]);
        assert_eq!((parts[1].first_line, parts[1].last_line), (5, 5));
        // Blank lines that fit stay in the body, as the object holds them.
        let parts = all(b"a,1.1.1.1\n \n\nb,2.2.2.2\n", cut(1, false)).unwrap();
        assert_eq!(parts[0].body, b"a,1.1.1.1\n \n\nb,2.2.2.2");
        let mut long = b"a,1.1.1.1\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', limit + 1));
        let err = all(&long, cut(1, false)).unwrap_err().to_string();
        assert_eq!(err, format!("line 2 is {} bytes, more than the 1 MB payload limit (max_payload)", limit + 1));
    }

    #[test]
    fn blocks_hold_whole_records_in_order() {
        let data = b"a,1.1.1.1\n\nb,2.2.2.2\nc,3.3.3.3\n \n";
        let request = all(data, cut(1, false)).unwrap().remove(0);
        let blocks = request.blocks(20, true);
        let shown: Vec<_> = blocks.iter().map(|b| (b.body, b.span())).collect();
        let expected = [(&b"a,1.1.1.1\n\nb,2.2.2.2"[..], "lines 1-3".to_string()), (b"c,3.3.3.3", "line 4".into())];
        assert_eq!(shown, expected);
        assert_eq!(request.blocks(1 << 20, true), [request.whole()], "a request under the block size is one block");
        let long = all(b"aaaaaaaaaaaaaaaaaaaa,1.1.1.1\nb,2.2.2.2", cut(1, false)).unwrap().remove(0);
        assert_eq!(long.blocks(4, true).len(), 2, "a record longer than a block is a block of its own");
        // A quoted entity spanning lines is never cut (CSV), while JSON Lines records are lines.
        let quoted = all(b"a,1.1.1.1\n\"x\n\n\"\"y\",2.2.2.2\nc,3.3.3.3", cut(1, false)).unwrap().remove(0);
        let spans: Vec<_> = quoted.blocks(4, true).iter().map(Block::span).collect();
        assert_eq!(spans, ["line 1", "lines 2-4", "line 5"]);
        assert_eq!(quoted.blocks(4, false).len(), 4, "without quotes every non-blank line may end a block");
    }

    #[test]
    fn split_none_is_the_whole_object_within_the_limit() {
        let none = Cut { split_lines: false, single_record: false, max_bytes: 1024 * 1024 };
        let parts = all(b"{\"instances\":[]}\n\n", none).unwrap();
        assert_eq!((parts.len(), parts[0].body.as_slice()), (1, &b"{\"instances\":[]}\n\n"[..]));
        let big = vec![b' '; 1024 * 1024 + 5];
        let err = all(&big, none).unwrap_err().to_string();
        assert!(err.starts_with("the object (split_type None: one request) is 1048581 bytes"), "{err}");
    }
}
