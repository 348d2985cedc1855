//! The session: which backend, where data lives, the bucket check and uploads.
//!
//! Local backend: a bucket is a folder `{local_root}/{bucket}` and `s3://bucket/key` is the file
//! `{local_root}/{bucket}/key`, so cells keep SageMaker's paths. Local buckets are created on first use.

use crate::error::{Result, WorkshopError};
use std::path::{Path, PathBuf};

/// Which services the cells talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Everything on this machine (no AWS account needed).
    Local,
    /// Amazon S3 and SageMaker.
    Aws,
}

/// Plain configuration shared by the cells (cheap to clone; holds no clients or runtimes).
#[derive(Debug, Clone)]
pub struct Session {
    /// The backend.
    pub backend: Backend,
    /// Local backend: the folder holding the local buckets, training jobs and endpoints.
    pub local_root: PathBuf,
    /// AWS region (the local backend reports `us-east-1`, for image URIs).
    pub region: String,
    /// AWS backend: an AWS-protocol endpoint to use instead of AWS (e.g. a moto server), from
    /// `IPINSIGHTS_AWS_ENDPOINT_URL`.
    pub aws_endpoint_url: Option<String>,
    /// AWS backend: how often to poll training jobs and endpoints (`IPINSIGHTS_POLL_SECONDS`, default 15).
    pub poll_interval: std::time::Duration,
}

/// The role the local backend reports: local jobs assume no role.
const LOCAL_ROLE: &str = "arn:aws:iam::000000000000:role/local-ipinsights-execution-role";

/// The seed notebook's message for a missing or invalid bucket name.
pub const INVALID_BUCKET: &str =
    "Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!";

impl Session {
    /// The backend named by `IPINSIGHTS_BACKEND` (`local`, the default, or `aws`).
    pub fn new() -> Result<Session> {
        match std::env::var("IPINSIGHTS_BACKEND").unwrap_or_default().trim().to_ascii_lowercase().as_str() {
            "" | "local" => Ok(Session::local()),
            "aws" => Session::aws(),
            other => Err(WorkshopError::new(format!(
                "IPINSIGHTS_BACKEND={other:?} is not a backend: use \"local\" or \"aws\""
            ))),
        }
    }

    /// The local backend, rooted at `IPINSIGHTS_LOCAL_ROOT` or `out/local-aws` in the repository.
    pub fn local() -> Session {
        let root = std::env::var_os("IPINSIGHTS_LOCAL_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::local::repo_root().join("out").join("local-aws"));
        Session::local_at(&root)
    }

    /// The local backend rooted at `root`.
    pub fn local_at(root: &Path) -> Session {
        Session {
            backend: Backend::Local,
            local_root: root.to_path_buf(),
            region: "us-east-1".into(),
            aws_endpoint_url: None,
            poll_interval: std::time::Duration::from_secs(15),
        }
    }

    /// The AWS backend (region from `AWS_REGION` / `AWS_DEFAULT_REGION`).
    pub fn aws() -> Result<Session> {
        with_aws!(Ok::<(), WorkshopError>(()))?;
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into());
        let poll = std::env::var("IPINSIGHTS_POLL_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()).unwrap_or(15.0);
        Ok(Session {
            backend: Backend::Aws,
            local_root: crate::local::repo_root().join("out").join("aws-cache"),
            region,
            aws_endpoint_url: std::env::var("IPINSIGHTS_AWS_ENDPOINT_URL").ok().filter(|u| !u.trim().is_empty()),
            poll_interval: std::time::Duration::from_secs_f64(poll.max(0.01)),
        })
    }

    /// The execution role (`get_execution_role()`). AWS: `SAGEMAKER_ROLE_ARN`, `IPINSIGHTS_ROLE_ARN`, else the
    /// role the notebook is signed in with (the rule of `ipinsights_aws::execution_role`). Local: a placeholder,
    /// since local jobs assume no role.
    pub fn execution_role(&self) -> Result<String> {
        match self.backend {
            Backend::Local => Ok(LOCAL_ROLE.into()),
            Backend::Aws => with_aws!(crate::aws_backend::execution_role(self)),
        }
    }

    /// The seed's bucket check: prints where training input/output will be stored, or why not.
    pub fn check_bucket(&self, bucket: &str, prefix: &str) -> Result<()> {
        if !valid_bucket_name(bucket) {
            println!("{INVALID_BUCKET}");
            return Err(WorkshopError::new(INVALID_BUCKET));
        }
        match self.backend {
            Backend::Local => self.check_local_bucket(bucket)?,
            Backend::Aws => return with_aws!(crate::aws_backend::check_bucket(self, bucket, prefix)),
        }
        println!("Training input/output will be stored in: s3://{bucket}/{prefix}");
        Ok(())
    }

    fn check_local_bucket(&self, bucket: &str) -> Result<()> {
        let dir = self.local_root.join(bucket);
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| WorkshopError::context(format!("cannot create local bucket {}", dir.display()), e))?;
            println!("(local backend: created bucket folder {})", dir.display());
        }
        let probe = dir.join(".ipinsights-write-check");
        if std::fs::write(&probe, b"").and_then(|_| std::fs::remove_file(&probe)).is_err() {
            let message = format!("Hey! You don't have permission to access the bucket, {bucket}.");
            println!("{message}");
            return Err(WorkshopError::new(message));
        }
        Ok(())
    }

    /// The local file behind an `s3://bucket/key` URI (local backend).
    pub fn local_path(&self, uri: &str) -> Result<PathBuf> {
        let (bucket, key) = split_s3_uri(uri)?;
        Ok(self.local_root.join(bucket).join(key))
    }

    /// Uploads a local file to `s3://bucket/key` (local backend: copies it there) and returns the URI.
    pub fn upload_data(&self, file: &Path, bucket: &str, key: &str) -> Result<String> {
        let uri = format!("s3://{bucket}/{key}");
        match self.backend {
            Backend::Local => {
                let target = self.local_path(&uri)?;
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let bytes = std::fs::read(file)
                    .map_err(|e| WorkshopError::context(format!("cannot read {}", file.display()), e))?;
                ipinsights_engine::atomic::write_atomically(&target, |w| std::io::Write::write_all(w, &bytes))?;
            }
            Backend::Aws => with_aws!(crate::aws_backend::upload(self, file, &uri))?,
        }
        Ok(uri)
    }
}

/// Splits `s3://bucket/key` into its parts.
pub fn split_s3_uri(uri: &str) -> Result<(&str, &str)> {
    let rest = uri.strip_prefix("s3://").ok_or_else(|| WorkshopError::new(format!("{uri:?} is not an s3:// URI")))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if !valid_bucket_name(bucket) || key.split('/').any(|part| part == "..") {
        return Err(WorkshopError::new(format!("{uri:?} is not a valid s3://bucket/key URI")));
    }
    Ok((bucket, key))
}

/// S3's bucket naming rules: 3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit, not an IP address.
pub fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(root: &Path) -> Session {
        Session::local_at(root)
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in ["my-bucket", "abc", "a.b-c.123"] {
            assert!(valid_bucket_name(good), "{good}");
        }
        for bad in
            ["", "ab", "<<your bucket name>>", "MyBucket", "-abc", "abc-", "a..b", "192.168.1.1", &"a".repeat(64)]
        {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn local_buckets_are_folders_and_uploads_land_under_the_key() {
        let root = tempfile::tempdir().unwrap();
        let s = session(root.path());
        s.check_bucket("workshop-bucket", "ipinsights").unwrap();
        assert!(root.path().join("workshop-bucket").is_dir());
        let err = s.check_bucket("Bad_Name", "p").unwrap_err().to_string();
        assert_eq!(err, INVALID_BUCKET);
        let file = root.path().join("t.csv");
        std::fs::write(&file, "u,1.1.1.1\n").unwrap();
        let uri = s.upload_data(&file, "workshop-bucket", "ipinsights/train/cloudtrail_tuples.csv").unwrap();
        assert_eq!(uri, "s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv");
        assert_eq!(std::fs::read_to_string(s.local_path(&uri).unwrap()).unwrap(), "u,1.1.1.1\n");
        assert!(split_s3_uri("s3://workshop-bucket/../../etc/passwd").is_err());
        assert!(split_s3_uri("http://x/y").is_err());
    }
}
