//! Splitting many rows into request bodies that each fit under a byte limit.

use std::net::IpAddr;
use std::ops::Range;

use crate::error::SplitError;
use crate::media::RequestFormat;
use crate::writer::RowWriter;

/// One request body and the input rows it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The rows of the input encoded in `body`.
    pub rows: Range<usize>,
    /// The encoded request body, at most the limit in bytes.
    pub body: Vec<u8>,
}

/// Encodes rows into bodies of `format`, in order, each at most `max_bytes` long
/// (use [`crate::MAX_BODY_BYTES`]); no rows gives no chunks.
pub fn split_requests<S: AsRef<str>>(
    format: RequestFormat,
    rows: &[(S, IpAddr)],
    max_bytes: usize,
) -> Result<Vec<Chunk>, SplitError> {
    split_requests_with(format, rows, max_bytes, usize::MAX)
}

/// Like [`split_requests`], with at most `max_rows` rows per body (at least 1): what keeps each *response* under
/// its limit too (see [`crate::max_rows_per_response`]).
pub fn split_requests_with<S: AsRef<str>>(
    format: RequestFormat,
    rows: &[(S, IpAddr)],
    max_bytes: usize,
    max_rows: usize,
) -> Result<Vec<Chunk>, SplitError> {
    let max_rows = max_rows.max(1);
    let writer = RowWriter::new(format);
    let tail = writer.end_len();
    let capacity = max_bytes.min(crate::MAX_BODY_BYTES);
    let mut chunks = Vec::new();
    let mut body = writer.fresh(capacity);
    let mut start = 0;
    for (i, (entity, ip)) in rows.iter().enumerate() {
        let mark = body.len();
        writer.row(&mut body, i == start, entity.as_ref(), *ip);
        if body.len() + tail <= max_bytes && i - start < max_rows {
            continue;
        }
        if i > start {
            body.truncate(mark);
            writer.end(&mut body);
            chunks.push(Chunk { rows: start..i, body: std::mem::replace(&mut body, writer.fresh(capacity)) });
            start = i;
            writer.row(&mut body, true, entity.as_ref(), *ip);
        }
        if body.len() + tail > max_bytes {
            return Err(SplitError::RowTooLarge { row: i, bytes: body.len() + tail, limit: max_bytes });
        }
    }
    if start < rows.len() {
        writer.end(&mut body);
        chunks.push(Chunk { rows: start..rows.len(), body });
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_request_owned, encode_request};

    fn rows(n: usize) -> Vec<(String, IpAddr)> {
        (0..n)
            .map(|i| (format!("user{}", i % 97), IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8])))
            .collect()
    }

    #[test]
    fn chunks_fit_cover_and_decode() {
        let input = rows(5000);
        for format in [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines] {
            for limit in [100, 1000, 4096, 1 << 20] {
                let chunks = split_requests(format, &input, limit).unwrap();
                let mut next = 0;
                let mut decoded = Vec::new();
                for c in &chunks {
                    assert!(c.body.len() <= limit, "{format:?} {limit}: {} bytes", c.body.len());
                    assert_eq!(c.rows.start, next);
                    next = c.rows.end;
                    let back = decode_request_owned(format, &c.body).unwrap();
                    assert_eq!(back.len(), c.rows.len());
                    decoded.extend(back);
                }
                assert_eq!(decoded, input, "{format:?} {limit}");
                if limit == 1 << 20 {
                    assert_eq!(chunks.len(), 1);
                    assert_eq!(chunks[0].body, encode_request(format, &input));
                }
            }
        }
    }

    #[test]
    fn rows_per_body_are_capped_too() {
        let input = rows(1000);
        for format in [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines] {
            let chunks = split_requests_with(format, &input, 1 << 20, 300).unwrap();
            let sizes: Vec<usize> = chunks.iter().map(|c| c.rows.len()).collect();
            assert_eq!(sizes, [300, 300, 300, 100], "{format:?}");
            for c in &chunks {
                assert_eq!(decode_request_owned(format, &c.body).unwrap(), input[c.rows.clone()]);
            }
            let both = split_requests_with(format, &input, 2000, 300).unwrap();
            assert!(both.iter().all(|c| c.body.len() <= 2000 && c.rows.len() <= 300));
            assert_eq!(both.last().unwrap().rows.end, 1000);
            assert_eq!(split_requests_with(format, &input, 1 << 20, 0).unwrap().len(), 1000, "at least one row");
        }
    }

    #[test]
    fn a_row_over_the_limit_is_an_error() {
        let input = vec![("a".to_string(), IpAddr::from([1, 2, 3, 4])), ("b".repeat(200), IpAddr::from([1, 2, 3, 4]))];
        let err = split_requests(RequestFormat::Csv, &input, 100).unwrap_err();
        assert_eq!(err, SplitError::RowTooLarge { row: 1, bytes: 209, limit: 100 });
        assert!(split_requests(RequestFormat::Csv, &Vec::<(String, IpAddr)>::new(), 100).unwrap().is_empty());
    }
}
