//! The workshop's bucket check (HeadBucket), with the seed notebook's messages.

use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::head_bucket::HeadBucketError;

use crate::{is_valid_bucket_name, AwsConfig, AwsError};

/// A bucket that exists and that this session may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketCheck {
    /// The bucket.
    pub bucket: String,
    /// The key prefix for the workshop's files.
    pub prefix: String,
    /// The session's region (the bucket's too).
    pub region: String,
}

impl fmt::Display for BucketCheck {
    /// The seed's success message: `Training input/output will be stored in: s3://{bucket}/{prefix}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Training input/output will be stored in: s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Checks that `bucket` exists and is accessible (HeadBucket); names S3 would refuse (see
/// [`ipinsights_sagemaker_facts::s3`]) fail before any call. Success displays as the seed's
/// "Training input/output will be stored in: …"; the errors display as the seed's messages:
/// [`AwsError::InvalidBucketName`] (also for HTTP 400), [`AwsError::BucketForbidden`] (403),
/// [`AwsError::BucketNotFound`] (404), [`AwsError::BucketInOtherRegion`] (301); anything else is
/// [`AwsError::Service`].
pub fn check_bucket(cfg: &AwsConfig, bucket: &str, prefix: &str) -> Result<BucketCheck, AwsError> {
    if !is_valid_bucket_name(bucket) {
        return Err(AwsError::InvalidBucketName { bucket: bucket.into() });
    }
    cfg.run(async {
        let (client, region) = cfg.s3().await?;
        match client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(BucketCheck { bucket: bucket.into(), prefix: prefix.into(), region }),
            Err(err) => Err(classify(bucket, &region, err)),
        }
    })
}

/// Maps a HeadBucket failure by its raw HTTP status (HeadBucket errors carry no body).
fn classify(bucket: &str, region: &str, err: SdkError<HeadBucketError, HttpResponse>) -> AwsError {
    let Some(response) = err.raw_response() else {
        return AwsError::sdk("HeadBucket", err);
    };
    let bucket_region = response.headers().get("x-amz-bucket-region").map(String::from);
    let other_region = |bucket_region: Option<String>| AwsError::BucketInOtherRegion {
        bucket: bucket.into(),
        bucket_region: bucket_region.unwrap_or_else(|| "unknown".into()),
        region: region.into(),
    };
    match response.status().as_u16() {
        301 => other_region(bucket_region),
        // A request signed for the wrong region can also come back 400 with the bucket's region.
        400 if bucket_region.as_deref().is_some_and(|r| r != region) => other_region(bucket_region),
        400 => AwsError::InvalidBucketName { bucket: bucket.into() },
        403 => AwsError::BucketForbidden { bucket: bucket.into() },
        404 => AwsError::BucketNotFound { bucket: bucket.into() },
        _ => AwsError::sdk("HeadBucket", err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_fail_before_any_call() {
        // No region, no endpoint, no credentials: only the local check can answer.
        for bad in ["", "<<your bucket name>>", "My_Bucket"] {
            let err = check_bucket(&AwsConfig::default(), bad, "ipinsights").unwrap_err();
            assert_eq!(
                err.to_string(),
                "Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!"
            );
        }
    }

    #[test]
    fn success_message_is_the_seeds() {
        let ok = BucketCheck { bucket: "b".into(), prefix: "ipinsights".into(), region: "us-east-1".into() };
        assert_eq!(ok.to_string(), "Training input/output will be stored in: s3://b/ipinsights");
    }
}
