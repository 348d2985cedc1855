//! Writing rows into a request body of one format (its framing and row separators), for encoding and splitting.

use std::net::IpAddr;

use crate::media::RequestFormat;

/// Writes the framing and rows of one request format.
#[derive(Clone, Copy)]
pub(crate) struct RowWriter(RequestFormat);

impl RowWriter {
    pub(crate) fn new(format: RequestFormat) -> Self {
        Self(format)
    }

    /// An empty body with its opening framing written, with room for `capacity` bytes.
    pub(crate) fn fresh(self, capacity: usize) -> Vec<u8> {
        let mut body = Vec::with_capacity(capacity);
        self.begin(&mut body);
        body
    }

    /// Appends the opening framing.
    pub(crate) fn begin(self, out: &mut Vec<u8>) {
        if self.0 == RequestFormat::Json {
            out.extend_from_slice(b"{\"instances\":[");
        }
    }

    /// Appends one row; `first` is whether it is the body's first row.
    pub(crate) fn row(self, out: &mut Vec<u8>, first: bool, entity: &str, ip: IpAddr) {
        match self.0 {
            RequestFormat::Csv => crate::csv::write_row(out, entity, ip),
            RequestFormat::Json => {
                if !first {
                    out.push(b',');
                }
                crate::json::write_instance(out, entity, ip);
            }
            RequestFormat::JsonLines => {
                crate::json::write_instance(out, entity, ip);
                out.push(b'\n');
            }
        }
    }

    /// Bytes that [`RowWriter::end`] appends.
    pub(crate) fn end_len(self) -> usize {
        if self.0 == RequestFormat::Json {
            2
        } else {
            0
        }
    }

    /// Appends the closing framing.
    pub(crate) fn end(self, out: &mut Vec<u8>) {
        if self.0 == RequestFormat::Json {
            out.extend_from_slice(b"]}");
        }
    }
}
