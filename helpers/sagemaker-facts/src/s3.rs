//! S3's bucket naming rules and `s3://bucket/key` URIs.
//!
//! The bucket rules are those of general purpose buckets
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>): 3–63 characters of lowercase
//! letters, digits, `.` and `-`, starting and ending with a letter or digit, no two adjacent periods, not an IP
//! address, none of the reserved prefixes (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffixes (`-s3alias`, `--ol-s3`,
//! `.mrap`, `--x-s3`, `--table-s3`). Buckets created under the legacy us-east-1 rules (capitals, underscores) are
//! refused: SageMaker needs names that work in virtual-hosted-style URLs.

use std::fmt;
use std::str::FromStr;

/// Prefixes S3 reserves.
const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes S3 reserves for access point aliases, Object Lambda, Multi-Region Access Points, directory and table
/// buckets.
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// A bucket name S3 would refuse, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid bucket name {bucket:?}: {rule}")]
pub struct BucketNameError {
    /// The name as given.
    pub bucket: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

/// Checks `name` against S3's bucket naming rules (see the module docs), naming the first rule it breaks.
pub fn check_bucket_name(name: &str) -> Result<(), BucketNameError> {
    let broken = |rule| Err(BucketNameError { bucket: name.into(), rule });
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return broken("bucket names are 3 to 63 characters long");
    }
    if !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-')) {
        return broken("bucket names hold only lowercase letters, digits, '.' and '-'");
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return broken("bucket names begin and end with a letter or digit");
    }
    if name.contains("..") {
        return broken("bucket names have no two adjacent periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return broken("bucket names are not IP addresses");
    }
    if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return broken("the prefixes xn--, sthree- and amzn-s3-demo- are reserved");
    }
    if RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return broken("the suffixes -s3alias, --ol-s3, .mrap, --x-s3 and --table-s3 are reserved");
    }
    Ok(())
}

/// Whether `name` follows S3's bucket naming rules.
pub fn is_valid_bucket_name(name: &str) -> bool {
    check_bucket_name(name).is_ok()
}

/// A malformed `s3://bucket/key` URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid S3 URI `{uri}`: {reason}")]
pub struct S3UriError {
    /// The URI as given.
    pub uri: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A parsed `s3://bucket/key` URI; the key may be empty or end with `/` (a prefix).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct S3Uri {
    /// The bucket (valid under S3's rules).
    pub bucket: String,
    /// The key or prefix, without the leading `/`.
    pub key: String,
}

impl S3Uri {
    /// Parses `s3://bucket/key`, checking the bucket name.
    pub fn parse(uri: &str) -> Result<S3Uri, S3UriError> {
        let invalid = |reason| S3UriError { uri: uri.into(), reason };
        let rest = uri.strip_prefix("s3://").ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket_name(bucket).map_err(|e| invalid(e.rule))?;
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
    type Err = S3UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        S3Uri::parse(s)
    }
}

/// Server-side encryption of uploaded objects: what the SDK's `upload_data(..., extra_args=
/// {"ServerSideEncryption": ..., "SSEKMSKeyId": ...})` asks S3 for, so that buckets whose policy requires
/// encrypted uploads accept the workshop's files.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerSideEncryption {
    /// `AES256`: keys managed by S3 (SSE-S3).
    Aes256,
    /// `aws:kms`: a KMS key (SSE-KMS), by id, alias or ARN; `None` uses the account's default `aws/s3` key.
    Kms {
        /// `SSEKMSKeyId`.
        key_id: Option<String>,
    },
}

impl ServerSideEncryption {
    /// SSE-KMS with this key (id, alias or ARN).
    pub fn kms(key_id: impl Into<String>) -> Self {
        ServerSideEncryption::Kms { key_id: Some(key_id.into()) }
    }

    /// The `x-amz-server-side-encryption` value: `AES256` or `aws:kms`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            ServerSideEncryption::Aes256 => "AES256",
            ServerSideEncryption::Kms { .. } => "aws:kms",
        }
    }

    /// The KMS key id, for `aws:kms` with a key.
    pub fn kms_key_id(&self) -> Option<&str> {
        match self {
            ServerSideEncryption::Kms { key_id } => key_id.as_deref(),
            ServerSideEncryption::Aes256 => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in ["my-bucket", "abc", "a.b-c.123", "ipinsights-workshop-bucket", &"a".repeat(63), "xn-a", "s3alias"]
        {
            check_bucket_name(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        let cases = [
            ("", "3 to 63"),
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("<<your bucket name>>", "lowercase letters"),
            ("MyBucket", "lowercase letters"),
            ("my_bucket", "lowercase letters"),
            ("bücket", "lowercase letters"),
            ("-abc", "begin and end"),
            ("abc-", "begin and end"),
            ("a..b", "adjacent periods"),
            ("192.168.1.1", "IP addresses"),
            ("xn--bucket", "prefixes"),
            ("sthree-bucket", "prefixes"),
            ("amzn-s3-demo-bucket", "prefixes"),
            ("bucket-s3alias", "suffixes"),
            ("bucket--ol-s3", "suffixes"),
            ("bucket.mrap", "suffixes"),
            ("bucket--x-s3", "suffixes"),
            ("bucket--table-s3", "suffixes"),
        ];
        for (bad, rule) in cases {
            let err = check_bucket_name(bad).unwrap_err();
            assert!(err.rule.contains(rule), "{bad}: {err}");
            assert!(!is_valid_bucket_name(bad));
        }
    }

    #[test]
    fn uris_parse_display_and_join() {
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
    fn encryption_names_its_algorithm_and_key() {
        assert_eq!(
            (ServerSideEncryption::Aes256.algorithm(), ServerSideEncryption::Aes256.kms_key_id()),
            ("AES256", None)
        );
        let kms = ServerSideEncryption::kms("alias/workshop");
        assert_eq!((kms.algorithm(), kms.kms_key_id()), ("aws:kms", Some("alias/workshop")));
        assert_eq!(ServerSideEncryption::Kms { key_id: None }.kms_key_id(), None);
    }

    #[test]
    fn rejects_what_is_not_an_s3_uri() {
        for bad in
            ["", "my-bucket/key", "https://my-bucket/key", "s3://", "s3:///key", "s3://<<bucket>>/key", "s3://b/k"]
        {
            let err = S3Uri::parse(bad).unwrap_err();
            assert_eq!(err.uri, bad);
        }
        let err = S3Uri::parse("s3://My_Bucket/key").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid S3 URI `s3://My_Bucket/key`: bucket names hold only lowercase letters, digits, '.' and '-'"
        );
    }
}
