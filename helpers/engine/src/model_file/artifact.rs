//! Reading a `model.tar.gz` artifact as a stream: tar headers are parsed one 512-byte block at a time, other entries
//! are skipped without being kept, and the model file's entry is read header first by [`super::read`] without
//! inflating the rest. Inflation stops at a cap and at what the compressed bytes can hold (deflate's best ratio), so
//! a bomb costs time bounded by its cap and memory bounded by the real model.

use super::read::read_model;
use super::{ModelFileError, MAX_DEFLATE_RATIO, MODEL_FILE_NAME, TAR_OVERHEAD};
use crate::model::Model;
use std::io::{self, Read};

/// Tar's block size: headers and entry data are in whole blocks.
const BLOCK: u64 = 512;

/// Reads the model file from a `model.tar.gz` of `compressed_len` bytes, inflating at most `cap` bytes of model file
/// (and [`TAR_OVERHEAD`] of tar framing, headers and skipped entries, beside it); `name` names the artifact.
pub(super) fn read_artifact(gz: impl Read, compressed_len: u64, cap: u64, name: &str) -> Result<Model, ModelFileError> {
    let artifact_err = |reason: String| ModelFileError::Artifact { path: name.to_string(), reason };
    let possible = compressed_len.saturating_mul(MAX_DEFLATE_RATIO);
    let limit = (cap + TAR_OVERHEAD).min(possible);
    let mut tar = Capped { inner: flate2::read::GzDecoder::new(gz), left: limit };
    let io_err = |e: io::Error| match e.kind() {
        io::ErrorKind::FileTooLarge => format!("it decompresses to more than {limit} bytes"),
        _ => e.to_string(),
    };
    let mut block = [0u8; BLOCK as usize];
    loop {
        if !read_block(&mut tar, &mut block).map_err(io_err).map_err(artifact_err)? {
            return Err(artifact_err(format!("the archive holds no {MODEL_FILE_NAME}")));
        }
        if block.iter().all(|&b| b == 0) {
            return Err(artifact_err(format!("the archive holds no {MODEL_FILE_NAME}")));
        }
        let header = tar::Header::from_byte_slice(&block);
        if !checksum_matches(&block) {
            return Err(artifact_err("a tar header's checksum does not match: not a tar archive".into()));
        }
        // The entry's size is only a claim: it must fit the cap and what the compressed bytes can hold.
        let size = header.entry_size().map_err(|e| artifact_err(format!("a tar header's size is invalid: {e}")))?;
        let is_model = header.entry_type().is_file()
            && header.path_bytes().rsplit(|&b| b == b'/').next() == Some(MODEL_FILE_NAME.as_bytes());
        if !is_model {
            let padded = size.checked_next_multiple_of(BLOCK).unwrap_or(u64::MAX);
            let skipped =
                io::copy(&mut (&mut tar).take(padded), &mut io::sink()).map_err(io_err).map_err(artifact_err)?;
            if skipped < padded {
                return Err(artifact_err(format!("the archive ends inside an entry of {size} bytes")));
            }
            continue;
        }
        if size > cap || size > possible {
            return Err(artifact_err(format!(
                "its {MODEL_FILE_NAME} declares {size} bytes, more than {} bytes",
                cap.min(possible)
            )));
        }
        let inner_name = format!("{name}!{MODEL_FILE_NAME}");
        return read_model(&mut tar, size, &inner_name).map_err(|e| match e {
            // What the inflater says (a corrupt stream, the cap) is about the artifact, not the model file in it.
            ModelFileError::Io { error, .. } => artifact_err(io_err(error)),
            ModelFileError::Length { expected, found, .. } if found < size => artifact_err(format!(
                "its {MODEL_FILE_NAME} is truncated: {found} of {size} bytes (the model file needs {expected})"
            )),
            other => other,
        });
    }
}

/// Reads one whole tar block; `false` when the archive ends before any byte of it.
fn read_block(reader: &mut impl Read, block: &mut [u8; BLOCK as usize]) -> io::Result<bool> {
    let mut got = 0;
    while got < block.len() {
        match reader.read(&mut block[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the archive ends inside a tar header")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Whether a tar header block's checksum field holds the sum of its bytes (the field itself counted as spaces).
fn checksum_matches(block: &[u8; BLOCK as usize]) -> bool {
    let sum: u32 = block[..148].iter().chain(&[b' '; 8]).chain(&block[156..]).map(|&b| u32::from(b)).sum();
    tar::Header::from_byte_slice(block).cksum().is_ok_and(|stored| stored == sum)
}

/// A reader that fails with [`io::ErrorKind::FileTooLarge`] once more than `left` bytes have been read.
pub(super) struct Capped<R> {
    pub(super) inner: R,
    pub(super) left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or(io::ErrorKind::FileTooLarge)?;
        Ok(n)
    }
}
