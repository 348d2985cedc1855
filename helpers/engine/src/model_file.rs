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
//! Files are written atomically; loading checks magic, version, length, checksum and that the tensor shapes agree
//! with the hyperparameters, so a truncated, corrupted, wrong-version or foreign file is a clear error.

use crate::hyperparams::HyperParameters;
use crate::ip::IpLayout;
use crate::model::{Dense, Model};
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The model file's name inside a model directory.
pub const MODEL_FILE_NAME: &str = "model.ipinsights";
/// The packed artifact's name (as SageMaker's training output).
pub const ARTIFACT_NAME: &str = "model.tar.gz";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"IPINSMDL";

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
    /// Serialises the model in the file format above.
    pub fn write_to(&self, writer: impl Write) -> io::Result<()> {
        let list = tensors(self);
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
        let json = serde_json::to_vec(&header)?;
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

    /// Parses a model from bytes of the format above; `name` names the source in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelFileError> {
        let path = name.to_string();
        let header_err = |reason: String| ModelFileError::Header { path: path.clone(), reason };
        let magic_len = bytes.len().min(MAGIC.len());
        if bytes[..magic_len] != MAGIC[..magic_len] || bytes.is_empty() {
            return Err(ModelFileError::Foreign { path });
        }
        if bytes.len() < 16 {
            return Err(ModelFileError::Length { path, expected: 16, found: bytes.len() as u64 });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(ModelFileError::Version { path, found: version });
        }
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
        let header_end = 16usize.checked_add(header_len).filter(|&e| e <= bytes.len());
        let Some(header_end) = header_end else {
            return Err(ModelFileError::Length {
                path,
                expected: 16 + header_len as u64 + 4,
                found: bytes.len() as u64,
            });
        };
        let header: Header = serde_json::from_slice(&bytes[16..header_end]).map_err(|e| header_err(format!("{e}")))?;
        let values: u64 = header.tensors.iter().map(|t| t.shape.iter().product::<u64>()).sum();
        let expected = header_end as u64 + values * 4 + 4;
        if expected != bytes.len() as u64 {
            return Err(ModelFileError::Length { path, expected, found: bytes.len() as u64 });
        }
        let body_end = bytes.len() - 4;
        let stored = u32::from_le_bytes(bytes[body_end..].try_into().expect("4 bytes"));
        if crc32fast::hash(&bytes[..body_end]) != stored {
            return Err(ModelFileError::Checksum { path });
        }
        let hp = HyperParameters::from_map(&header.hyperparameters).map_err(|e| header_err(e.to_string()))?;
        let mut model = Model {
            hyperparameters: hp,
            hash_seed: header.hash_seed,
            layout: header.layout,
            entity: Vec::new(),
            ip_table: Vec::new(),
            layers: Vec::new(),
        };
        let dim = model.vector_dim();
        model.layers =
            (0..model.hyperparameters.num_ip_encoder_layers).map(|_| Dense { w: vec![], b: vec![] }).collect();
        let expected_info: Vec<TensorInfo> =
            tensors(&model).into_iter().map(|(name, shape, _)| TensorInfo { name, shape }).collect();
        if expected_info != header.tensors {
            return Err(header_err(format!(
                "tensors {:?} do not match the hyperparameters (expected {:?})",
                header.tensors, expected_info
            )));
        }
        let mut offset = header_end;
        let mut take = |len: usize| -> Vec<f32> {
            let out = bytes[offset..offset + len * 4]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            offset += len * 4;
            out
        };
        model.entity = take(model.hyperparameters.num_entity_vectors as usize * dim);
        model.ip_table = take(model.layout.rows() as usize * dim);
        for layer in &mut model.layers {
            layer.w = take(dim * dim);
            layer.b = take(dim);
        }
        Ok(model)
    }

    /// Loads a model file, or a `model.tar.gz` artifact holding one (detected by content).
    pub fn load(path: &Path) -> Result<Model, ModelFileError> {
        let bytes = std::fs::read(path).map_err(|error| io_error(path, error))?;
        let name = path.display().to_string();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let inner = unpack_model(&bytes).map_err(|error| io_error(path, error))?;
            return Model::from_bytes(&inner, &format!("{name}!{MODEL_FILE_NAME}"));
        }
        Model::from_bytes(&bytes, &name)
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

/// Packs `dir/model.ipinsights` into `dir/model.tar.gz` (atomically) and returns the artifact's path.
pub fn pack_artifact(dir: &Path) -> Result<PathBuf, ModelFileError> {
    let model_path = dir.join(MODEL_FILE_NAME);
    let artifact = dir.join(ARTIFACT_NAME);
    crate::atomic::write_atomically(&artifact, |w| {
        let gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut file = std::fs::File::open(&model_path)?;
        tar.append_file(MODEL_FILE_NAME, &mut file)?;
        tar.into_inner()?.finish()?;
        Ok(())
    })
    .map_err(|error| io_error(&artifact, error))?;
    Ok(artifact)
}

/// Extracts the model file's bytes from a `model.tar.gz` artifact.
fn unpack_model(gz_bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz_bytes));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let is_model = entry.path()?.file_name().is_some_and(|n| n == MODEL_FILE_NAME);
        if is_model {
            let mut out = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut out)?;
            return Ok(out);
        }
    }
    Err(io::Error::new(io::ErrorKind::NotFound, format!("the archive holds no {MODEL_FILE_NAME}")))
}

#[cfg(test)]
mod tests;
