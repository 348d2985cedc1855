//! Uploads (single PUT or multipart with CRC32 checksums, optionally with server-side encryption) and downloads
//! between local files and S3.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ServerSideEncryption as Sse};
use aws_sdk_s3::Client;
use ipinsights_atomic_file::{AtomicFile, Durability};

use crate::{AwsConfig, AwsError, S3Uri, ServerSideEncryption, ServiceError};

const MIB: u64 = 1024 * 1024;
/// S3's smallest part (all parts but the last).
const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest single PUT and largest part.
const MAX_PUT_SIZE: u64 = 5 * 1024 * MIB;
/// S3's largest number of parts.
const MAX_PARTS: u64 = 10_000;

/// The request's `ServerSideEncryption` value.
fn sse_request(sse: &ServerSideEncryption) -> Sse {
    Sse::from(sse.algorithm())
}

/// How uploads are split into parts, and encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferOptions {
    /// Files larger than this go up in parts (at most 5 GiB). Default 16 MiB.
    pub multipart_threshold: u64,
    /// The size of each part but the last (5 MiB to 5 GiB; raised when a file would need over 10,000 parts).
    /// Default 16 MiB.
    pub part_size: u64,
    /// Server-side encryption asked of S3 for the object (default: none asked; the bucket's default applies).
    pub server_side_encryption: Option<ServerSideEncryption>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions { multipart_threshold: 16 * MIB, part_size: 16 * MIB, server_side_encryption: None }
    }
}

/// What an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSummary {
    /// Where the object is now.
    pub uri: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// True when it went up as a multipart upload.
    pub multipart: bool,
    /// The number of parts (1 for a single PUT).
    pub parts: u32,
}

/// Uploads `local` to `s3_uri` with the default [`TransferOptions`]; see [`upload_file_with`].
pub fn upload_file(
    cfg: &AwsConfig,
    local: &Path,
    s3_uri: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<UploadSummary, AwsError> {
    upload_file_with(cfg, local, s3_uri, &TransferOptions::default(), progress)
}

/// Uploads `local` to `s3_uri` (a prefix URI ending in `/` gets the file's name appended), in parts above
/// the threshold; `progress(bytes_sent, total)` runs at the start and after every part.
/// A failed multipart upload is aborted so that no parts linger.
pub fn upload_file_with(
    cfg: &AwsConfig,
    local: &Path,
    s3_uri: &str,
    options: &TransferOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<UploadSummary, AwsError> {
    let mut target = S3Uri::parse(s3_uri)?;
    if target.is_prefix() {
        let name = local.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            AwsError::InvalidInput(format!("{} has no file name to append to {s3_uri}", local.display()))
        })?;
        target = target.join(name);
    }
    let mut file = File::open(local).map_err(io_err("open", local))?;
    let total = file.metadata().map_err(io_err("read the size of", local))?.len();
    let part_size = plan_parts(options, total)?;
    cfg.run(async {
        let (client, _) = cfg.s3().await?;
        progress(0, total);
        let parts = match part_size {
            None => {
                let body = read_chunk(&mut file, total, local)?;
                put(&client, &target, body, options.server_side_encryption.as_ref()).await?;
                progress(total, total);
                1
            }
            Some(part_size) => {
                let mut upload = Multipart::start(&client, &target, options.server_side_encryption.as_ref()).await?;
                let sent = upload.send_parts(&mut file, local, total, part_size, progress).await;
                match sent {
                    Ok(()) => upload.complete().await?,
                    Err(err) => {
                        upload.abort().await;
                        return Err(err);
                    }
                }
            }
        };
        Ok(UploadSummary { uri: target.to_string(), bytes: total, multipart: part_size.is_some(), parts })
    })
}

/// Downloads `s3_uri` to the file `local` (parent folders created) with the one atomic writer
/// ([`ipinsights_atomic_file`]): `local` is the old file or the whole new one, never a part, also when the
/// download fails or is interrupted; `progress(bytes_received, total)` runs at the start, every MiB and at the end.
/// Returns the size.
pub fn download_file(
    cfg: &AwsConfig,
    s3_uri: &str,
    local: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, AwsError> {
    let source = S3Uri::parse(s3_uri)?;
    if source.is_prefix() {
        return Err(AwsError::InvalidS3Uri { uri: s3_uri.into(), reason: "it names a prefix, not an object" });
    }
    if let Some(parent) = local.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_err("create the folder", parent))?;
    }
    cfg.run(async {
        let (client, _) = cfg.s3().await?;
        let out = client
            .get_object()
            .bucket(&source.bucket)
            .key(&source.key)
            .send()
            .await
            .map_err(|e| AwsError::sdk("GetObject", e))?;
        let total = out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        let mut body = out.body;
        let mut file = AtomicFile::create(local, Durability::Synced).map_err(io_err("create beside", local))?;
        let (mut received, mut reported) = (0u64, 0u64);
        progress(0, total);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| body_err(s3_uri, &e))?;
            file.write_all(&chunk).map_err(io_err("write", local))?;
            received += chunk.len() as u64;
            if received - reported >= MIB {
                progress(received, total.max(received));
                reported = received;
            }
        }
        file.commit().map_err(io_err("write", local))?;
        progress(received, total.max(received));
        Ok(received)
    })
}

/// The part size for a multipart upload of `total` bytes, or `None` for a single PUT.
fn plan_parts(options: &TransferOptions, total: u64) -> Result<Option<u64>, AwsError> {
    let (multipart_threshold, part_size) = (options.multipart_threshold, options.part_size);
    if !(MIN_PART_SIZE..=MAX_PUT_SIZE).contains(&part_size) || multipart_threshold > MAX_PUT_SIZE {
        return Err(AwsError::InvalidInput(format!(
            "invalid transfer options {options:?}: part_size must be 5 MiB to 5 GiB and multipart_threshold at \
             most 5 GiB"
        )));
    }
    if total <= multipart_threshold {
        return Ok(None);
    }
    // Grow the parts (in whole MiB) so the file fits in 10,000 of them.
    let needed = total.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    let part = part_size.max(needed);
    if part > MAX_PUT_SIZE {
        return Err(AwsError::InvalidInput(format!("{total} bytes is more than S3's 5 TiB object limit")));
    }
    Ok(Some(part))
}

async fn put(
    client: &Client,
    target: &S3Uri,
    body: Vec<u8>,
    sse: Option<&ServerSideEncryption>,
) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(&target.bucket)
        .key(&target.key)
        .set_server_side_encryption(sse.map(sse_request))
        .set_ssekms_key_id(sse.and_then(|s| s.kms_key_id()).map(String::from))
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| AwsError::sdk("PutObject", e))?;
    Ok(())
}

/// An open multipart upload.
struct Multipart<'a> {
    client: &'a Client,
    target: &'a S3Uri,
    upload_id: String,
    parts: Vec<CompletedPart>,
}

impl<'a> Multipart<'a> {
    async fn start(
        client: &'a Client,
        target: &'a S3Uri,
        sse: Option<&ServerSideEncryption>,
    ) -> Result<Multipart<'a>, AwsError> {
        let out = client
            .create_multipart_upload()
            .bucket(&target.bucket)
            .key(&target.key)
            .set_server_side_encryption(sse.map(sse_request))
            .set_ssekms_key_id(sse.and_then(|s| s.kms_key_id()).map(String::from))
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| AwsError::sdk("CreateMultipartUpload", e))?;
        let upload_id = out
            .upload_id()
            .ok_or_else(|| AwsError::InvalidInput(format!("CreateMultipartUpload for {target} returned no upload id")))?
            .to_string();
        Ok(Multipart { client, target, upload_id, parts: Vec::new() })
    }

    async fn send_parts(
        &mut self,
        file: &mut File,
        path: &Path,
        total: u64,
        part_size: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), AwsError> {
        let mut sent = 0;
        while sent < total {
            let len = part_size.min(total - sent);
            let body = read_chunk(file, len, path)?;
            let number = self.parts.len() as i32 + 1;
            let out = self
                .client
                .upload_part()
                .bucket(&self.target.bucket)
                .key(&self.target.key)
                .upload_id(&self.upload_id)
                .part_number(number)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| AwsError::sdk("UploadPart", e))?;
            let part = CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(String::from))
                .set_checksum_crc32(out.checksum_crc32().map(String::from))
                .build();
            self.parts.push(part);
            sent += len;
            progress(sent, total);
        }
        Ok(())
    }

    /// Completes the upload; returns the number of parts.
    async fn complete(self) -> Result<u32, AwsError> {
        let count = self.parts.len() as u32;
        self.client
            .complete_multipart_upload()
            .bucket(&self.target.bucket)
            .key(&self.target.key)
            .upload_id(&self.upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(self.parts)).build())
            .send()
            .await
            .map_err(|e| AwsError::sdk("CompleteMultipartUpload", e))?;
        Ok(count)
    }

    /// Best-effort abort after a failure (the original error is what the caller needs to see).
    async fn abort(self) {
        let _ = self
            .client
            .abort_multipart_upload()
            .bucket(&self.target.bucket)
            .key(&self.target.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
    }
}

fn read_chunk(file: &mut File, len: u64, path: &Path) -> Result<Vec<u8>, AwsError> {
    let len = usize::try_from(len).map_err(|_| AwsError::InvalidInput(format!("part of {len} bytes is too big")))?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).map_err(io_err("read", path))?;
    Ok(buf)
}

/// A GetObject body that broke off mid-stream.
fn body_err(s3_uri: &str, e: &dyn std::error::Error) -> AwsError {
    AwsError::Service(Box::new(ServiceError {
        operation: "GetObject",
        code: None,
        message: None,
        request_id: None,
        http_status: None,
        detail: format!("reading the body of {s3_uri} failed: {}", DisplayErrorContext(e)),
    }))
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> AwsError + 'a {
    move |source| AwsError::Io { action, path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(threshold: u64, part: u64) -> TransferOptions {
        TransferOptions { multipart_threshold: threshold, part_size: part, server_side_encryption: None }
    }

    #[test]
    fn plans_single_puts_and_parts() {
        let d = TransferOptions::default();
        assert_eq!(plan_parts(&d, 0).unwrap(), None);
        assert_eq!(plan_parts(&d, 16 * MIB).unwrap(), None);
        assert_eq!(plan_parts(&d, 16 * MIB + 1).unwrap(), Some(16 * MIB));
        // 200 GiB in 16 MiB parts would be 12,800 parts: grow them to 21 MiB.
        assert_eq!(plan_parts(&d, 200 * 1024 * MIB).unwrap(), Some(21 * MIB));
        assert!(plan_parts(&d, 6 * 1024 * 1024 * 1024 * MIB).is_err(), "over 5 TiB");
        assert!(plan_parts(&opts(MIB, MIB), 10).is_err(), "parts below 5 MiB");
        assert!(plan_parts(&opts(6 * 1024 * MIB, 8 * MIB), 10).is_err(), "threshold over 5 GiB");
        assert_eq!(plan_parts(&opts(0, 5 * MIB), 1).unwrap(), Some(5 * MIB));
    }

    #[test]
    fn missing_local_files_and_bad_uris_fail_before_any_call() {
        let cfg = AwsConfig::default();
        let err =
            upload_file(&cfg, Path::new("/nonexistent/f.csv"), "s3://workshop-bucket/k", &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/f.csv"), "{err}");
        let err = download_file(&cfg, "s3://workshop-bucket/prefix/", Path::new("x"), &mut |_, _| {}).unwrap_err();
        assert!(matches!(err, AwsError::InvalidS3Uri { .. }), "{err}");
    }
}
