//! Algorithm container image URIs per region (`sagemaker.image_uris.retrieve`, formerly `get_image_uri`).

use crate::error::{Result, WorkshopError};

/// The training/inference image of `algorithm` (only `ipinsights`) in `region`.
pub fn image_uri(region: &str, algorithm: &str) -> Result<String> {
    ipinsights_images::image_uri(region, algorithm).map_err(|e| WorkshopError::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_regions() {
        assert_eq!(
            image_uri("us-east-1", "ipinsights").unwrap(),
            "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1"
        );
        let err = image_uri("mars-north-1", "ipinsights").unwrap_err().to_string();
        assert!(err.contains("mars-north-1") && err.contains("af-south-1"), "{err}");
    }
}
