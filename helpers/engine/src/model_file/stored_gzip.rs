//! A gzip stream whose deflate blocks are stored, not compressed (RFC 1951 §3.2.4, RFC 1952): valid `.gz` for any
//! reader, written at the speed of a copy and a CRC-32. The packer uses it for model parameters, which are float
//! noise that deflate barely shrinks (miniz_oxide's own stored path ran at under 0.5 GB/s).

use std::io::{self, Write};

/// The largest stored block (its length is a 16-bit field).
const MAX_BLOCK: usize = u16::MAX as usize;

/// Writes a gzip member of stored blocks to `inner`; [`StoredGzip::finish`] writes the last block and the trailer.
pub struct StoredGzip<W: Write> {
    inner: W,
    block: Vec<u8>,
    crc: crc32fast::Hasher,
    size: u32,
}

impl<W: Write> StoredGzip<W> {
    /// Starts the member: writes the gzip header (no name, no time, OS unknown).
    pub fn new(mut inner: W) -> io::Result<StoredGzip<W>> {
        inner.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
        Ok(StoredGzip { inner, block: Vec::with_capacity(MAX_BLOCK), crc: crc32fast::Hasher::new(), size: 0 })
    }

    /// Writes the final block and the trailer (CRC-32 and length mod 2³² of the data), returning the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.emit(true)?;
        self.inner.write_all(&self.crc.finalize().to_le_bytes())?;
        self.inner.write_all(&self.size.to_le_bytes())?;
        Ok(self.inner)
    }

    /// Writes the buffered data as one stored block (`last` sets BFINAL).
    fn emit(&mut self, last: bool) -> io::Result<()> {
        let len = u16::try_from(self.block.len()).expect("a stored block holds at most 65,535 bytes");
        self.inner.write_all(&[u8::from(last)])?;
        self.inner.write_all(&len.to_le_bytes())?;
        self.inner.write_all(&(!len).to_le_bytes())?;
        self.inner.write_all(&self.block)?;
        self.block.clear();
        Ok(())
    }
}

impl<W: Write> Write for StoredGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.block.len() == MAX_BLOCK {
            self.emit(false)?;
        }
        let n = buf.len().min(MAX_BLOCK - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.size = self.size.wrapping_add(n as u32);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let mut gz = StoredGzip::new(Vec::new()).unwrap();
        // Uneven writes, so blocks fill across calls.
        for chunk in data.chunks(7_777) {
            gz.write_all(chunk).unwrap();
        }
        let bytes = gz.finish().unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out).unwrap();
        assert_eq!(bytes.len(), data.len() + 18 + 5 * data.len().div_ceil(MAX_BLOCK).max(1), "stored: no compression");
        out
    }

    #[test]
    fn any_gzip_reader_reads_it_back_at_every_block_boundary() {
        for len in [0, 1, MAX_BLOCK - 1, MAX_BLOCK, MAX_BLOCK + 1, 3 * MAX_BLOCK, 200_003] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            assert_eq!(round_trip(&data), data, "{len} bytes");
        }
    }

    #[test]
    fn a_corrupted_byte_fails_the_crc() {
        let mut gz = StoredGzip::new(Vec::new()).unwrap();
        gz.write_all(b"model parameters").unwrap();
        let mut bytes = gz.finish().unwrap();
        bytes[20] ^= 1;
        let mut out = Vec::new();
        assert!(flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out).is_err());
    }
}
