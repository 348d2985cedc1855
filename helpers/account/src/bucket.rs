//! Where a bucket lives: S3 serves a bucket only from its own region, and the SDK does not follow S3's 301
//! PermanentRedirect, so the region is asked first (HeadBucket's `x-amz-bucket-region`, which S3 sends from any
//! region, on its 301 and 403 answers too).

use aws_sdk_s3::error::SdkError;

/// The header naming a bucket's region.
const BUCKET_REGION: &str = "x-amz-bucket-region";

/// The region of `bucket` as S3 tells it to `s3` (a client of any region), or `None` when S3 does not say (no such
/// bucket, or no answer): the caller then keeps its own region and the next call's error says why.
pub(crate) async fn bucket_region(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(out) => out.bucket_region().map(str::to_string),
        Err(SdkError::ServiceError(e)) => header(e.raw().headers().get(BUCKET_REGION)),
        Err(SdkError::ResponseError(e)) => header(e.raw().headers().get(BUCKET_REGION)),
        Err(_) => None,
    }
}

fn header(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}
