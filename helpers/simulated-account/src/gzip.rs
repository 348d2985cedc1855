//! Gzip members written with one reused deflate state (allocating a compressor per small file
//! dominated the simulation's run time).

use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// Gzip header: magic, deflate, no flags, no mtime (reproducible bytes), no extra flags, OS unknown.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Compresses many small buffers into gzip files, reusing the compressor.
pub(crate) struct GzipPacker {
    encoder: DeflateEncoder<Vec<u8>>,
}

impl GzipPacker {
    /// A packer at the fast compression level.
    pub fn new() -> Self {
        GzipPacker { encoder: DeflateEncoder::new(Vec::new(), Compression::fast()) }
    }

    /// Writes `data` as one complete gzip member to `out`.
    pub fn write(&mut self, data: &[u8], out: &mut impl Write) -> io::Result<()> {
        let mut crc = Crc::new();
        crc.update(data);
        self.encoder.write_all(data)?;
        let deflated = self.encoder.reset(Vec::new())?;
        out.write_all(&HEADER)?;
        out.write_all(&deflated)?;
        out.write_all(&crc.sum().to_le_bytes())?;
        out.write_all(&crc.amount().to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn members_decode() {
        let mut packer = GzipPacker::new();
        for text in ["first file", "", "second, longer file ".repeat(100).as_str()] {
            let mut gz = Vec::new();
            packer.write(text.as_bytes(), &mut gz).unwrap();
            let mut back = String::new();
            flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut back).unwrap();
            assert_eq!(back, text);
        }
    }
}
