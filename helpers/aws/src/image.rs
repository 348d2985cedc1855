//! ECR image URIs of the built-in IP Insights algorithm, per region (see the `ipinsights-images` crate).

use crate::AwsError;
use ipinsights_images::ImageError;

pub use ipinsights_images::{known_regions, ALGORITHM};

/// The training and inference image of `algorithm` (only `ipinsights`) in `region`, e.g.
/// `382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1`.
pub fn image_uri(region: &str, algorithm: &str) -> Result<String, AwsError> {
    ipinsights_images::image_uri(region, algorithm).map_err(|e| match e {
        ImageError::UnknownAlgorithm { algorithm } => AwsError::UnknownAlgorithm { algorithm },
        ImageError::UnknownRegion { region, algorithm, known } => AwsError::UnknownRegion { region, algorithm, known },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_aws_errors() {
        assert_eq!(
            image_uri("us-east-1", "ipinsights").unwrap(),
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1"
        );
        assert!(matches!(image_uri("us-east-1", "xgboost"), Err(AwsError::UnknownAlgorithm { .. })));
        let err = image_uri("mars-north-1", "ipinsights").unwrap_err().to_string();
        assert!(err.contains("mars-north-1") && err.contains("us-west-2"), "{err}");
    }
}
