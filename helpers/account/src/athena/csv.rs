//! Athena's CSV result files, parsed as they stream in: every value in double quotes (a quote inside doubled), a
//! SQL NULL as an empty unquoted field, rows ending in `\n` (or `\r\n`), quoted values may span lines. Memory is one
//! row, each value at most [`MAX_FIELD_BYTES`].

/// Bytes one value may have: CloudTrail's principal ids, ARNs and addresses are far shorter.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Values one row may have: the query's columns, with room for none more.
const MAX_FIELDS: usize = 64;

/// Where the parser is inside a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// A quote inside a quoted field: the end of it, or the first of a doubled quote.
    QuoteInQuoted,
    /// After a carriage return ending a row.
    CarriageReturn,
}

/// An incremental CSV parser: feed it chunks, take whole rows (`None` values are SQL NULLs).
#[derive(Debug)]
pub struct CsvRows {
    state: State,
    field: Vec<u8>,
    quoted: bool,
    row: Vec<Option<String>>,
    rows_done: usize,
}

impl Default for CsvRows {
    fn default() -> Self {
        CsvRows { state: State::FieldStart, field: Vec::new(), quoted: false, row: Vec::new(), rows_done: 0 }
    }
}

impl CsvRows {
    /// Parses `chunk`, calling `each` with every row it completes; an error names the row (1-based, the header
    /// is row 1) and what is wrong.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut dyn FnMut(Vec<Option<String>>) -> Result<(), String>,
    ) -> Result<(), String> {
        for &b in chunk {
            match (self.state, b) {
                (State::CarriageReturn, b'\n') => {
                    self.state = State::FieldStart;
                    continue;
                }
                (State::CarriageReturn, _) => self.state = State::FieldStart,
                _ => {}
            }
            match (self.state, b) {
                (State::FieldStart, b'"') => {
                    self.quoted = true;
                    self.state = State::Quoted;
                }
                (State::FieldStart | State::Unquoted, b',') => self.end_field()?,
                (State::FieldStart | State::Unquoted, b'\n' | b'\r') => {
                    self.end_row(each)?;
                    self.state = if b == b'\r' { State::CarriageReturn } else { State::FieldStart };
                }
                (State::FieldStart | State::Unquoted, _) => {
                    self.push(b)?;
                    self.state = State::Unquoted;
                }
                (State::Quoted, b'"') => self.state = State::QuoteInQuoted,
                (State::Quoted, _) => self.push(b)?,
                (State::QuoteInQuoted, b'"') => {
                    self.push(b'"')?;
                    self.state = State::Quoted;
                }
                (State::QuoteInQuoted, b',') => {
                    self.end_field()?;
                    self.state = State::FieldStart;
                }
                (State::QuoteInQuoted, b'\n' | b'\r') => {
                    self.end_row(each)?;
                    self.state = if b == b'\r' { State::CarriageReturn } else { State::FieldStart };
                }
                (State::QuoteInQuoted, other) => {
                    return Err(self.bad(&format!("{:?} after a closing quote", other as char)));
                }
                (State::CarriageReturn, _) => unreachable!("handled above"),
            }
        }
        Ok(())
    }

    /// Ends the input: a last row without a newline is completed; an open quote is an error.
    pub fn finish(mut self, each: &mut dyn FnMut(Vec<Option<String>>) -> Result<(), String>) -> Result<(), String> {
        match self.state {
            State::Quoted => Err(self.bad("the file ends inside a quoted value (truncated?)")),
            State::FieldStart if self.row.is_empty() && self.field.is_empty() => Ok(()),
            State::CarriageReturn => Ok(()),
            _ => self.end_row(each),
        }
    }

    fn push(&mut self, b: u8) -> Result<(), String> {
        if self.field.len() >= MAX_FIELD_BYTES {
            return Err(self.bad(&format!("a value longer than {MAX_FIELD_BYTES} bytes")));
        }
        self.field.push(b);
        Ok(())
    }

    fn end_field(&mut self) -> Result<(), String> {
        if self.row.len() >= MAX_FIELDS {
            return Err(self.bad(&format!("more than {MAX_FIELDS} values")));
        }
        let bytes = std::mem::take(&mut self.field);
        let value = match (self.quoted, bytes.is_empty()) {
            (false, true) => None,
            _ => Some(String::from_utf8(bytes).map_err(|_| self.bad("a value that is not UTF-8"))?),
        };
        self.quoted = false;
        self.row.push(value);
        self.state = State::FieldStart;
        Ok(())
    }

    fn end_row(&mut self, each: &mut dyn FnMut(Vec<Option<String>>) -> Result<(), String>) -> Result<(), String> {
        self.end_field()?;
        self.rows_done += 1;
        let row = std::mem::take(&mut self.row);
        each(row).map_err(|e| format!("row {}: {e}", self.rows_done))
    }

    fn bad(&self, what: &str) -> String {
        format!("row {}: {what}", self.rows_done + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Result<Vec<Vec<Option<String>>>, String> {
        let mut rows = Vec::new();
        let mut csv = CsvRows::default();
        let mut each = |row| {
            rows.push(row);
            Ok(())
        };
        for chunk in chunks {
            csv.feed(chunk, &mut each)?;
        }
        csv.finish(&mut each)?;
        Ok(rows)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn quotes_nulls_and_rows_split_anywhere() {
        let text = b"\"a\",\"b\"\n\"x \"\"q\"\", y\",\n\"\",\"multi\nline\"\r\n\"z\",\"1\"";
        let whole = parse(&[text]).unwrap();
        assert_eq!(
            whole,
            [vec![s("a"), s("b")], vec![s("x \"q\", y"), None], vec![s(""), s("multi\nline")], vec![s("z"), s("1")]]
        );
        for cut in 0..text.len() {
            assert_eq!(parse(&[&text[..cut], &text[cut..]]).unwrap(), whole, "split at {cut}");
        }
    }

    #[test]
    fn bad_files_are_named_by_row() {
        let err = parse(&[b"\"a\"\n\"open"]).unwrap_err();
        assert!(err.contains("row 2: the file ends inside a quoted value"), "{err}");
        let err = parse(&[b"\"a\"x\n"]).unwrap_err();
        assert!(err.contains("row 1: 'x' after a closing quote"), "{err}");
        let long = vec![b'a'; MAX_FIELD_BYTES + 1];
        let err = parse(&[&long]).unwrap_err();
        assert!(err.contains("longer than"), "{err}");
    }
}
