//! `s3://bucket/key` URIs.

use std::fmt;
use std::str::FromStr;

use crate::bucket::is_valid_bucket_name;
use crate::AwsError;

/// A parsed `s3://bucket/key` URI; the key may be empty or end with `/` (a prefix).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct S3Uri {
    /// The bucket.
    pub bucket: String,
    /// The key or prefix, without the leading `/`.
    pub key: String,
}

impl S3Uri {
    /// Parses `s3://bucket/key`, checking the bucket name.
    pub fn parse(uri: &str) -> Result<S3Uri, AwsError> {
        let invalid = |reason| AwsError::InvalidS3Uri { uri: uri.into(), reason };
        let rest = uri.strip_prefix("s3://").ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_valid_bucket_name(bucket) {
            return Err(invalid("the bucket name is missing or invalid"));
        }
        Ok(S3Uri { bucket: bucket.into(), key: key.into() })
    }

    /// True when the key names a prefix (empty or ending with `/`) rather than an object.
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// This URI with `/name` appended (one `/` between them).
    pub fn join(&self, name: &str) -> S3Uri {
        let key = match (self.key.trim_end_matches('/'), name.trim_start_matches('/')) {
            ("", name) => name.to_string(),
            (key, name) => format!("{key}/{name}"),
        };
        S3Uri { bucket: self.bucket.clone(), key }
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

impl FromStr for S3Uri {
    type Err = AwsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        S3Uri::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_displays_and_joins() {
        let uri = S3Uri::parse("s3://my-bucket/ipinsights/train/cloudtrail_tuples.csv").unwrap();
        assert_eq!((uri.bucket.as_str(), uri.key.as_str()), ("my-bucket", "ipinsights/train/cloudtrail_tuples.csv"));
        assert_eq!(uri.to_string(), "s3://my-bucket/ipinsights/train/cloudtrail_tuples.csv");
        assert!(!uri.is_prefix());
        let root = S3Uri::parse("s3://my-bucket").unwrap();
        assert!(root.is_prefix());
        assert_eq!(root.join("a.csv").to_string(), "s3://my-bucket/a.csv");
        let prefix: S3Uri = "s3://my-bucket/ipinsights/".parse().unwrap();
        assert_eq!(prefix.join("/output").to_string(), "s3://my-bucket/ipinsights/output");
    }

    #[test]
    fn rejects_what_is_not_an_s3_uri() {
        for bad in ["", "my-bucket/key", "https://my-bucket/key", "s3://", "s3:///key", "s3://<<bucket>>/key"] {
            assert!(matches!(S3Uri::parse(bad), Err(AwsError::InvalidS3Uri { .. })), "{bad}");
        }
    }
}
