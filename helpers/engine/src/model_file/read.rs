//! Reading a model file header first, as a stream: the magic, the version, the header's length, the header and the
//! sizes it declares are checked against the caps and the source's length before any tensor is allocated; tensors
//! then grow as their bytes arrive, so a source shorter than its claim fails without the claimed memory.

use super::{check_layout, expected_tensors, Header, ModelFileError, FORMAT_VERSION, MAGIC, MAX_HEADER_BYTES};
use crate::hyperparams::HyperParameters;
use crate::model::{check_size, Dense, Model, MAX_MODEL_BYTES};
use std::io::{self, Read};

/// Values read per step while filling a tensor (64 KiB).
const CHUNK_VALUES: usize = 1 << 14;

/// Reads one model file from `reader`, a source claiming `len` bytes (a file's size, a tar entry's size); no byte
/// past `len` is read. `name` names the source in errors.
pub(super) fn read_model(reader: impl Read, len: u64, name: &str) -> Result<Model, ModelFileError> {
    let mut source = Source { inner: reader.take(len), crc: crc32fast::Hasher::new(), read: 0, path: name };
    let path = || name.to_string();
    let header_err = |reason: String| ModelFileError::Header { path: path(), reason };
    let (header, header_end) = source.header(len)?;
    let expected = declared_length(&header, header_end, name)?;
    if expected != len {
        return Err(ModelFileError::Length { path: path(), expected, found: len });
    }
    let hp = HyperParameters::from_map(&header.hyperparameters).map_err(|e| header_err(e.to_string()))?;
    check_layout(&header.layout, header.hash_seed).map_err(header_err)?;
    check_size(&hp, &header.layout).map_err(|e| header_err(e.to_string()))?;
    let expected_info = expected_tensors(&hp, &header.layout);
    if expected_info != header.tensors {
        return Err(header_err(format!(
            "tensors {:?} do not match the hyperparameters (expected {:?})",
            header.tensors, expected_info
        )));
    }
    // Every length below is one of the header's tensor shapes, whose sum matches the source's claimed length; the
    // values are only trusted once the checksum matches.
    let dim = hp.vector_dim as usize;
    let mut first_bad = None;
    let mut take = |source: &mut Source<'_, _>, name: &str, count: usize| {
        let (values, bad) = source.tensor(count, expected)?;
        if first_bad.is_none() {
            first_bad = bad.map(|(at, value)| (name.to_string(), at, value));
        }
        Ok::<_, ModelFileError>(values)
    };
    let entity = take(&mut source, "entity", hp.num_entity_vectors as usize * dim)?;
    let ip_table = take(&mut source, "ip_table", header.layout.rows() as usize * dim)?;
    let mut layers = Vec::with_capacity(hp.num_ip_encoder_layers as usize);
    for i in 0..hp.num_ip_encoder_layers {
        let w = take(&mut source, &format!("layer{i}.weight"), dim * dim)?;
        let b = take(&mut source, &format!("layer{i}.bias"), dim)?;
        layers.push(Dense { w, b });
    }
    let computed = source.crc.clone().finalize();
    let mut stored = [0u8; 4];
    source.read_exact(&mut stored, expected)?;
    if u32::from_le_bytes(stored) != computed {
        return Err(ModelFileError::Checksum { path: path() });
    }
    if let Some((tensor, at, value)) = first_bad {
        return Err(header_err(format!("tensor {tensor} holds a non-finite value ({value}) at index {at}")));
    }
    let model =
        Model { hyperparameters: hp, hash_seed: header.hash_seed, layout: header.layout, entity, ip_table, layers };
    crate::model::check_score_bound(&model).map_err(|e| header_err(e.to_string()))?;
    Ok(model)
}

/// The file length the header declares: header, tensors and checksum, the tensors' total size checked against
/// SageMaker's model-size limit before it is used.
fn declared_length(header: &Header, header_end: u64, name: &str) -> Result<u64, ModelFileError> {
    let values = header
        .tensors
        .iter()
        .try_fold(0u64, |sum, t| t.shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d))?.checked_add(sum))
        .filter(|&v| v <= MAX_MODEL_BYTES / 4)
        .ok_or_else(|| ModelFileError::Header {
            path: name.to_string(),
            reason: format!(
                "the {} tensors declare more than SageMaker's 8 GB model-size limit ({MAX_MODEL_BYTES} bytes)",
                header.tensors.len()
            ),
        })?;
    Ok(header_end + values * 4 + 4)
}

/// The model file's bytes as they are read: counted and checksummed.
struct Source<'a, R> {
    inner: io::Take<R>,
    crc: crc32fast::Hasher,
    read: u64,
    path: &'a str,
}

impl<R: Read> Source<'_, R> {
    /// Reads and checks the magic, the version and the header's length (against the caps and the source's claimed
    /// `len`), then parses the header; returns it with the offset where the tensors start.
    fn header(&mut self, len: u64) -> Result<(Header, u64), ModelFileError> {
        let path = || self.path.to_string();
        let header_err = |reason: String| ModelFileError::Header { path: self.path.to_string(), reason };
        let mut prefix = [0u8; 16];
        let got = self.fill(&mut prefix)?;
        if got == 0 || !MAGIC.starts_with(&prefix[..got.min(MAGIC.len())]) {
            return Err(ModelFileError::Foreign { path: path() });
        }
        if got < prefix.len() {
            return Err(ModelFileError::Length { path: path(), expected: 16, found: got as u64 });
        }
        let version = u32::from_le_bytes(prefix[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(ModelFileError::Version { path: path(), found: version });
        }
        let header_len = u32::from_le_bytes(prefix[12..16].try_into().expect("4 bytes"));
        if header_len > MAX_HEADER_BYTES {
            return Err(header_err(format!("header length {header_len} exceeds {MAX_HEADER_BYTES} bytes")));
        }
        let header_end = 16 + u64::from(header_len);
        if header_end + 4 > len {
            return Err(ModelFileError::Length { path: path(), expected: header_end + 4, found: len });
        }
        // At most MAX_HEADER_BYTES, and no more than the source claims to hold.
        let mut json = vec![0u8; header_len as usize];
        self.read_exact(&mut json, header_end + 4)?;
        let header: Header = serde_json::from_slice(&json).map_err(|e| header_err(format!("{e}")))?;
        Ok((header, header_end))
    }

    /// Reads until `buf` is full or the source ends; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, ModelFileError> {
        let mut got = 0;
        while got < buf.len() {
            match self.inner.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ModelFileError::Io { path: self.path.to_string(), error }),
            }
        }
        self.crc.update(&buf[..got]);
        self.read += got as u64;
        Ok(got)
    }

    /// Fills `buf`, or fails as a file shorter than the `expected` bytes it should hold.
    fn read_exact(&mut self, buf: &mut [u8], expected: u64) -> Result<(), ModelFileError> {
        if self.fill(buf)? < buf.len() {
            return Err(ModelFileError::Length { path: self.path.to_string(), expected, found: self.read });
        }
        Ok(())
    }

    /// The next `count` values, read chunk by chunk (memory grows with the bytes really present, not the claim),
    /// and the first non-finite one with its index.
    #[allow(clippy::type_complexity)]
    fn tensor(&mut self, count: usize, expected: u64) -> Result<(Vec<f32>, Option<(usize, f32)>), ModelFileError> {
        let mut values: Vec<f32> = Vec::new();
        let mut bad = None;
        let mut buf = vec![0u8; 4 * CHUNK_VALUES.min(count)];
        while values.len() < count {
            let n = CHUNK_VALUES.min(count - values.len());
            self.read_exact(&mut buf[..4 * n], expected)?;
            let start = values.len();
            if values.capacity() - start < n {
                // Doubling, but never past the tensor's size: no capacity beyond what the file really held.
                let more = values.capacity().max(CHUNK_VALUES).min(count - start);
                values.try_reserve_exact(more).map_err(|_| ModelFileError::OutOfMemory {
                    path: self.path.to_string(),
                    bytes: 4 * (start + more) as u64,
                })?;
            }
            values.extend(buf[..4 * n].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))));
            if bad.is_none() {
                bad = values[start..].iter().position(|v| !v.is_finite()).map(|at| (start + at, values[start + at]));
            }
        }
        Ok((values, bad))
    }
}
