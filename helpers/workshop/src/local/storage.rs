//! Local buckets: a bucket is the folder `{root}/{bucket}` and `s3://bucket/key` the file `{root}/{bucket}/key`,
//! so cells keep SageMaker's paths. Keys that would leave the bucket's folder (`..`, absolute parts) are refused.

use std::path::{Component, Path, PathBuf};

use ipinsights_sagemaker_facts::S3Uri;

use crate::backend::Output;
use crate::error::{Result, WorkshopError};

/// The local buckets under one root folder.
#[derive(Debug, Clone)]
pub struct Buckets {
    root: PathBuf,
}

impl Buckets {
    /// The buckets under `root`.
    pub fn new(root: &Path) -> Self {
        Buckets { root: root.to_path_buf() }
    }

    /// The file behind `uri`; a key that would leave the bucket's folder is an error.
    pub fn path_of(&self, uri: &S3Uri) -> Result<PathBuf> {
        let key = Path::new(&uri.key);
        if !key.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(WorkshopError::validation(format!(
                "{uri} leaves its bucket: its key may not hold `..` or `/` parts"
            )));
        }
        Ok(self.root.join(&uri.bucket).join(key))
    }

    /// The seed's bucket check: a local bucket is created on first use, then must be writable.
    pub fn check(&self, bucket: &str, out: Output<'_>) -> Result<()> {
        let dir = self.root.join(bucket);
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir).map_err(|e| WorkshopError::io("create local bucket", &dir, e))?;
            out(&format!("(local backend: created bucket folder {})\n", dir.display()));
        }
        let probe = dir.join(".ipinsights-write-check");
        if std::fs::write(&probe, b"").and_then(|_| std::fs::remove_file(&probe)).is_err() {
            return Err(WorkshopError::new(format!("Hey! You don't have permission to access the bucket, {bucket}.")));
        }
        Ok(())
    }

    /// Copies `file` to `destination`, atomically.
    pub fn upload(&self, file: &Path, destination: &S3Uri) -> Result<()> {
        let target = self.path_of(destination)?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| WorkshopError::io("create", parent, e))?;
        }
        let mut source = std::fs::File::open(file).map_err(|e| WorkshopError::io("read", file, e))?;
        ipinsights_engine::atomic::write_atomically(&target, |w| std::io::copy(&mut source, w).map(|_| ()))
            .map_err(|e| WorkshopError::context(format!("cannot write {destination} ({})", target.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_files_inside_their_bucket() {
        let buckets = Buckets::new(Path::new("/data"));
        let uri = S3Uri::parse("s3://workshop-bucket/a/b.csv").unwrap();
        assert_eq!(buckets.path_of(&uri).unwrap(), Path::new("/data/workshop-bucket/a/b.csv"));
        for escaping in
            ["s3://workshop-bucket/../../etc/passwd", "s3://workshop-bucket/a/../../x", "s3://workshop-bucket//etc"]
        {
            let err = buckets.path_of(&S3Uri::parse(escaping).unwrap()).unwrap_err();
            assert_eq!(err.kind(), &crate::ErrorKind::Validation, "{escaping}: {err}");
            assert!(err.to_string().contains("leaves its bucket"), "{escaping}: {err}");
        }
    }

    #[test]
    fn buckets_are_created_on_first_use_and_uploads_land_under_the_key() {
        let root = tempfile::tempdir().unwrap();
        let buckets = Buckets::new(root.path());
        let mut printed = String::new();
        buckets.check("workshop-bucket", &mut |s| printed.push_str(s)).unwrap();
        assert!(root.path().join("workshop-bucket").is_dir());
        assert!(printed.starts_with("(local backend: created bucket folder "), "{printed}");
        let file = root.path().join("t.csv");
        std::fs::write(&file, "u,1.1.1.1\n").unwrap();
        let uri = S3Uri::parse("s3://workshop-bucket/ipinsights/train/t.csv").unwrap();
        buckets.upload(&file, &uri).unwrap();
        assert_eq!(std::fs::read_to_string(buckets.path_of(&uri).unwrap()).unwrap(), "u,1.1.1.1\n");
        let missing = root.path().join("missing.csv");
        let err = buckets.upload(&missing, &uri).unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::Io { path: Some(missing) }, "{err}");
        assert!(err.to_string().starts_with("cannot read"), "{err}");
    }
}
