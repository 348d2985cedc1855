//! The model artifact: one self-describing, checksummed file, optionally packed as `model.tar.gz`.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `IPINSMDL` |
//! | 4 | format version (`1`) |
//! | 4 | header length `H` |
//! | H | JSON header: hyperparameters (SageMaker string map), hash seed, IP layout, tensor names and shapes |
//! | … | every tensor's `f32` values in header order |
//! | 4 | CRC-32 of everything before it |
//!
//! Files are written atomically. Loading trusts nothing it reads, and reads header first, as a stream ([`read`],
//! [`artifact`]): the magic, the version, the JSON header's length and every size it declares (the tensor shapes, a
//! tar entry's size) are checked against the bytes the source holds and a cap before anything large is allocated;
//! tar headers are parsed block by block and other entries skipped without being kept; inflation stops at
//! [`MAX_MODEL_FILE_BYTES`] and at what the compressed bytes can hold; tensors grow as their bytes arrive, so memory
//! follows the real model and a claim larger than the stream fails at the truncation. The hyperparameters, the IP
//! layout and the model's total size ([`MAX_MODEL_BYTES`]) are validated; every weight must be finite, and the
//! weights must keep every score finite ([`crate::model::MAX_SCORE_BOUND`]: the bound the largest weights give on
//! any value the scorer computes is at most `10³⁰`). A truncated, corrupted, wrong-version, foreign, hostile or
//! inconsistent file is a clear error, never a panic or an abort.

use crate::hyperparams::HyperParameters;
use crate::ip::IpLayout;
use crate::model::{Model, MAX_MODEL_BYTES};
use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

mod artifact;
mod read;
pub mod stored_gzip;

/// The model file's name inside a model directory.
pub const MODEL_FILE_NAME: &str = "model.ipinsights";
/// The packed artifact's name (as SageMaker's training output).
pub const ARTIFACT_NAME: &str = "model.tar.gz";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"IPINSMDL";
/// The largest JSON header a model file may have (a real one is a few kilobytes).
pub const MAX_HEADER_BYTES: u32 = 1 << 20;
/// The largest model file: the largest model's tensors, the largest header, and the magic, version, header length
/// and checksum (20 bytes).
pub const MAX_MODEL_FILE_BYTES: u64 = MAX_MODEL_BYTES + MAX_HEADER_BYTES as u64 + 20;
/// The most rows a hashed segment of the IP table may have (format v1 writes 65,536): keeps the table's row count
/// far inside `u32`; the model-size limit binds long before.
pub const MAX_HASHED_BUCKETS: u32 = 1 << 28;
/// Deflate's best compression ratio is below 1,032 : 1, so no gzip stream of `n` bytes holds more than `1032 · n`.
const MAX_DEFLATE_RATIO: u64 = 1032;
/// Bytes of tar framing allowed beside the model file when unpacking an artifact.
const TAR_OVERHEAD: u64 = 1 << 20;

/// Why a model file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// An I/O error on the file.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        error: io::Error,
    },
    /// The file is not an IP Insights model.
    #[error("{path}: not an IP Insights model file (unknown magic bytes)")]
    Foreign {
        /// The file.
        path: String,
    },
    /// A format version this build cannot read.
    #[error("{path}: model format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
    Version {
        /// The file.
        path: String,
        /// The version in the file.
        found: u32,
    },
    /// The file is shorter or longer than its header says.
    #[error("{path}: model file is truncated or has trailing data: expected {expected} bytes, found {found}")]
    Length {
        /// The file.
        path: String,
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The checksum does not match: the file is corrupted.
    #[error("{path}: model file is corrupted (checksum mismatch)")]
    Checksum {
        /// The file.
        path: String,
    },
    /// The header is malformed or disagrees with the tensors.
    #[error("{path}: invalid model header: {reason}")]
    Header {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `model.tar.gz` that cannot be unpacked, or whose model file is missing or too large.
    #[error("{path}: invalid model artifact: {reason}")]
    Artifact {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A file larger than any model file can be.
    #[error("{path}: {found} bytes is larger than any model file can be ({MAX_MODEL_FILE_BYTES} bytes at most)")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        found: u64,
    },
    /// A model too large for the memory this process may use.
    #[error("{path}: cannot allocate {bytes} bytes for the model's tensors (more than this process may use)")]
    OutOfMemory {
        /// The file.
        path: String,
        /// The bytes its tensors would have reached.
        bytes: u64,
    },
    /// Neither a model file nor an artifact in a directory.
    #[error("{dir}: no {MODEL_FILE_NAME} or {ARTIFACT_NAME} in this directory")]
    NotFound {
        /// The directory.
        dir: String,
    },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    hyperparameters: BTreeMap<String, String>,
    hash_seed: u64,
    layout: IpLayout,
    tensors: Vec<TensorInfo>,
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct TensorInfo {
    name: String,
    shape: Vec<u64>,
}

/// The tensors a model with these hyperparameters and IP layout holds, names and shapes in file order.
fn expected_tensors(hp: &HyperParameters, layout: &IpLayout) -> Vec<TensorInfo> {
    let dim = u64::from(hp.vector_dim);
    let mut out = vec![
        TensorInfo { name: "entity".into(), shape: vec![u64::from(hp.num_entity_vectors), dim] },
        TensorInfo { name: "ip_table".into(), shape: vec![u64::from(layout.rows()), dim] },
    ];
    for i in 0..hp.num_ip_encoder_layers {
        out.push(TensorInfo { name: format!("layer{i}.weight"), shape: vec![dim, dim] });
        out.push(TensorInfo { name: format!("layer{i}.bias"), shape: vec![dim] });
    }
    out
}

fn tensors(model: &Model) -> Vec<(String, Vec<u64>, &[f32])> {
    let dim = model.vector_dim() as u64;
    let mut out = vec![
        ("entity".to_string(), vec![u64::from(model.hyperparameters.num_entity_vectors), dim], model.entity.as_slice()),
        ("ip_table".to_string(), vec![u64::from(model.layout.rows()), dim], model.ip_table.as_slice()),
    ];
    for (i, layer) in model.layers.iter().enumerate() {
        out.push((format!("layer{i}.weight"), vec![dim, dim], layer.w.as_slice()));
        out.push((format!("layer{i}.bias"), vec![dim], layer.b.as_slice()));
    }
    out
}

/// The tar header of an artifact's one entry: `model.ipinsights`, `len` bytes, mode 0644, modified now.
fn tar_header(len: u64) -> io::Result<tar::Header> {
    let mut header = tar::Header::new_gnu();
    header.set_path(MODEL_FILE_NAME)?;
    header.set_size(len);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    header.set_mtime(now);
    header.set_cksum();
    Ok(header)
}

/// Counts the bytes written through it.
struct Counted<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes CRC-32 of everything written through it.
struct Crc<W: Write> {
    inner: W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Model {
    /// The JSON header of this model's file.
    fn header_json(&self, list: &[(String, Vec<u64>, &[f32])]) -> io::Result<Vec<u8>> {
        let header = Header {
            format: "ipinsights-model".into(),
            hyperparameters: self.hyperparameters.to_map(),
            hash_seed: self.hash_seed,
            layout: self.layout,
            tensors: list
                .iter()
                .map(|(name, shape, _)| TensorInfo { name: name.clone(), shape: shape.clone() })
                .collect(),
        };
        Ok(serde_json::to_vec(&header)?)
    }

    /// The size in bytes of this model's file: magic, version, header length, header, tensors and checksum.
    pub fn file_len(&self) -> io::Result<u64> {
        let list = tensors(self);
        let values: u64 = list.iter().map(|(_, _, data)| data.len() as u64).sum();
        Ok(16 + self.header_json(&list)?.len() as u64 + 4 * values + 4)
    }

    /// Serialises the model in the file format above.
    pub fn write_to(&self, writer: impl Write) -> io::Result<()> {
        let list = tensors(self);
        let json = self.header_json(&list)?;
        let mut w = Crc { inner: writer, hasher: crc32fast::Hasher::new() };
        w.write_all(MAGIC)?;
        w.write_all(&FORMAT_VERSION.to_le_bytes())?;
        w.write_all(&(json.len() as u32).to_le_bytes())?;
        w.write_all(&json)?;
        let mut buf = Vec::with_capacity(1 << 16);
        for (_, _, data) in &list {
            for chunk in data.chunks(1 << 14) {
                buf.clear();
                buf.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
                w.write_all(&buf)?;
            }
        }
        let crc = w.hasher.clone().finalize();
        w.inner.write_all(&crc.to_le_bytes())?;
        w.flush()
    }

    /// Saves the model to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        crate::atomic::write_atomically(path, |w| self.write_to(w)).map_err(|error| io_error(path, error))
    }

    /// Saves `model.ipinsights` into `dir` (created if needed) and returns its path.
    pub fn save_dir(&self, dir: &Path) -> Result<PathBuf, ModelFileError> {
        std::fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
        let path = dir.join(MODEL_FILE_NAME);
        self.save(&path)?;
        Ok(path)
    }

    /// Saves the model packed as SageMaker's training output, `model.tar.gz` holding `model.ipinsights`, into `dir`
    /// (created if needed) atomically, and returns the artifact's path. Nothing else is written: the model file
    /// streams straight into the archive.
    ///
    /// The gzip stream stores the tar without compressing it ([`stored_gzip`], still a valid `.tar.gz` for any
    /// reader): a trained model's parameters are float noise that deflate's fastest level shrinks by under 10 %, for
    /// 0.8 s of a 2 s job on the workshop's model.
    pub fn save_artifact(&self, dir: &Path) -> Result<PathBuf, ModelFileError> {
        std::fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
        let artifact = dir.join(ARTIFACT_NAME);
        crate::atomic::write_atomically(&artifact, |w| {
            let len = self.file_len()?;
            let mut gz = stored_gzip::StoredGzip::new(w)?;
            gz.write_all(tar_header(len)?.as_bytes())?;
            let mut counted = Counted { inner: &mut gz, written: 0 };
            self.write_to(&mut counted)?;
            if counted.written != len {
                return Err(io::Error::other(format!("wrote {} bytes of a {len}-byte model file", counted.written)));
            }
            // The entry is padded to a 512-byte block, and two zero blocks end the archive.
            let padding = (512 - len % 512) % 512;
            gz.write_all(&[0; 512][..padding as usize])?;
            gz.write_all(&[0; 1024])?;
            gz.finish()?;
            Ok(())
        })
        .map_err(|error| io_error(&artifact, error))?;
        Ok(artifact)
    }

    /// Parses a model from bytes of the format above; `name` names the source in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelFileError> {
        read::read_model(bytes, bytes.len() as u64, name)
    }

    /// Parses a model file, or a `model.tar.gz` artifact holding one (detected by content); `name` names the source
    /// in errors.
    pub fn from_file_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelFileError> {
        Model::read_from(bytes, bytes.len() as u64, name)
    }

    /// Reads a model file, or a `model.tar.gz` artifact holding one (detected by content), from a source of `len`
    /// bytes, header first (see the module docs).
    fn read_from(reader: impl Read, len: u64, name: &str) -> Result<Model, ModelFileError> {
        let mut reader = io::BufReader::with_capacity(1 << 16, reader);
        let start = reader.fill_buf().map_err(|error| ModelFileError::Io { path: name.to_string(), error })?;
        if start.starts_with(&[0x1f, 0x8b]) {
            artifact::read_artifact(reader, len, MAX_MODEL_FILE_BYTES, name)
        } else {
            read::read_model(reader, len, name)
        }
    }

    /// Loads a model file, or a `model.tar.gz` artifact holding one (detected by content), streaming it header
    /// first: memory follows the real model, whatever sizes the file claims.
    pub fn load(path: &Path) -> Result<Model, ModelFileError> {
        let file = std::fs::File::open(path).map_err(|error| io_error(path, error))?;
        let size = file.metadata().map_err(|error| io_error(path, error))?.len();
        if size > MAX_MODEL_FILE_BYTES {
            return Err(ModelFileError::TooLarge { path: path.display().to_string(), found: size });
        }
        Model::read_from(file, size, &path.display().to_string())
    }

    /// Loads from a model directory: `model.ipinsights`, else `model.tar.gz`.
    pub fn load_dir(dir: &Path) -> Result<Model, ModelFileError> {
        for name in [MODEL_FILE_NAME, ARTIFACT_NAME] {
            let path = dir.join(name);
            if path.is_file() {
                return Model::load(&path);
            }
        }
        if dir.is_file() {
            return Model::load(dir);
        }
        Err(ModelFileError::NotFound { dir: dir.display().to_string() })
    }
}

fn io_error(path: &Path, error: io::Error) -> ModelFileError {
    ModelFileError::Io { path: path.display().to_string(), error }
}

/// Checks what the IP layout of a loaded model must satisfy: hashed segments of `1..=MAX_HASHED_BUCKETS` rows and
/// the model's own hash seed.
fn check_layout(layout: &IpLayout, hash_seed: u64) -> Result<(), String> {
    if !(1..=MAX_HASHED_BUCKETS).contains(&layout.hashed_buckets) {
        return Err(format!("layout hashed_buckets = {} (expected 1..={MAX_HASHED_BUCKETS})", layout.hashed_buckets));
    }
    if layout.hash_seed != hash_seed {
        return Err(format!("layout hash_seed {} differs from the model's hash_seed {hash_seed}", layout.hash_seed));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
