//! Headerless `entity,ip` tuple CSV, the input format of IP Insights.

use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::Result;

/// Anything that is an (entity, IP) pair.
pub trait Tuple {
    /// The entity (normalised principal id).
    fn entity(&self) -> &str;
    /// The IP address.
    fn ip(&self) -> IpAddr;
}

impl Tuple for (String, IpAddr) {
    fn entity(&self) -> &str {
        &self.0
    }
    fn ip(&self) -> IpAddr {
        self.1
    }
}

/// Writes tuples as headerless `entity,ip` CSV rows to `out`.
pub fn write_tuples<W: Write, T: Tuple>(out: W, tuples: &[T]) -> io::Result<()> {
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(out);
    for t in tuples {
        csv.write_record([t.entity(), &t.ip().to_string()])?;
    }
    csv.flush()
}

/// Writes tuples as headerless `entity,ip` CSV to `path` atomically; returns the number of rows.
pub fn write_tuples_csv<T: Tuple>(path: &Path, tuples: &[T]) -> Result<usize> {
    write_atomic(path, true, |w| write_tuples(w, tuples))?;
    Ok(tuples.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_headerless_rows() {
        let rows = vec![
            ("AIDA1".to_string(), "1.2.3.4".parse().unwrap()),
            ("AROA2".to_string(), "2001:db8::1".parse().unwrap()),
        ];
        let mut out = Vec::new();
        write_tuples(&mut out, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "AIDA1,1.2.3.4\nAROA2,2001:db8::1\n");
    }
}
