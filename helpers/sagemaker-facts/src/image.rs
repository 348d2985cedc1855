//! ECR image URIs of the built-in IP Insights algorithm per region (`sagemaker.image_uris.retrieve`, the SageMaker
//! Python SDK's table), for every partition: `aws`, `aws-cn`, `aws-us-gov` and the isolated ones.

/// The built-in algorithm.
pub const ALGORITHM: &str = "ipinsights";

/// Why there is no image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not the IP Insights algorithm.
    #[error("unknown algorithm {algorithm:?}: this workshop provides \"ipinsights\"")]
    UnknownAlgorithm {
        /// The name asked for.
        algorithm: String,
    },
    /// A region without the image.
    #[error("no {algorithm} image in region {region:?}; known regions: {known}")]
    UnknownRegion {
        /// The region asked for.
        region: String,
        /// The algorithm.
        algorithm: String,
        /// The known regions, comma-separated.
        known: String,
    },
}

/// Region → the AWS account that publishes the `ipinsights:1` image there.
const ACCOUNTS: [(&str, &str); 37] = [
    ("af-south-1", "455444449433"),
    ("ap-east-1", "286214385809"),
    ("ap-northeast-1", "351501993468"),
    ("ap-northeast-2", "835164637446"),
    ("ap-northeast-3", "867004704886"),
    ("ap-south-1", "991648021394"),
    ("ap-south-2", "628508329040"),
    ("ap-southeast-1", "475088953585"),
    ("ap-southeast-2", "712309505854"),
    ("ap-southeast-3", "951798379941"),
    ("ap-southeast-4", "106583098589"),
    ("ca-central-1", "469771592824"),
    ("ca-west-1", "190319476487"),
    ("cn-north-1", "390948362332"),
    ("cn-northwest-1", "387376663083"),
    ("eu-central-1", "664544806723"),
    ("eu-central-2", "680994064768"),
    ("eu-north-1", "669576153137"),
    ("eu-south-1", "257386234256"),
    ("eu-south-2", "104374241257"),
    ("eu-west-1", "438346466558"),
    ("eu-west-2", "644912444149"),
    ("eu-west-3", "749696950732"),
    ("il-central-1", "898809789911"),
    ("me-central-1", "272398656194"),
    ("me-south-1", "249704162688"),
    ("sa-east-1", "855470959533"),
    ("us-east-1", "382416733822"),
    ("us-east-2", "404615174143"),
    ("us-gov-east-1", "237065988967"),
    ("us-gov-west-1", "226302683700"),
    ("us-iso-east-1", "490574956308"),
    ("us-isob-east-1", "765400339828"),
    ("us-isof-east-1", "108575199400"),
    ("us-isof-south-1", "124985052026"),
    ("us-west-1", "632365934929"),
    ("us-west-2", "174872318107"),
];

/// The regions that publish the IP Insights image, in alphabetical order.
pub fn known_regions() -> impl Iterator<Item = &'static str> {
    ACCOUNTS.iter().map(|(region, _)| *region)
}

/// The training and inference image of `algorithm` (only `ipinsights`) in `region`, e.g.
/// `382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1`.
pub fn image_uri(region: &str, algorithm: &str) -> Result<String, ImageError> {
    if algorithm != ALGORITHM {
        return Err(ImageError::UnknownAlgorithm { algorithm: algorithm.into() });
    }
    let Some((_, account)) = ACCOUNTS.iter().find(|(r, _)| *r == region) else {
        return Err(ImageError::UnknownRegion {
            region: region.into(),
            algorithm: algorithm.into(),
            known: known_regions().collect::<Vec<_>>().join(", "),
        });
    };
    Ok(format!("{account}.dkr.ecr.{region}.{}/{algorithm}:1", domain(region)))
}

/// The DNS suffix of the region's partition.
fn domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isof-") {
        "csp.hci.ic.gov"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else {
        "amazonaws.com"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_of_the_reference_table() {
        let expected = [
            ("af-south-1", "455444449433.dkr.ecr.af-south-1.amazonaws.com/ipinsights:1"),
            ("us-east-1", "382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1"),
            ("us-west-2", "174872318107.dkr.ecr.us-west-2.amazonaws.com/ipinsights:1"),
            ("cn-north-1", "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/ipinsights:1"),
            ("cn-northwest-1", "387376663083.dkr.ecr.cn-northwest-1.amazonaws.com.cn/ipinsights:1"),
            ("us-gov-west-1", "226302683700.dkr.ecr.us-gov-west-1.amazonaws.com/ipinsights:1"),
            ("us-iso-east-1", "490574956308.dkr.ecr.us-iso-east-1.c2s.ic.gov/ipinsights:1"),
            ("us-isob-east-1", "765400339828.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/ipinsights:1"),
            ("us-isof-east-1", "108575199400.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/ipinsights:1"),
            ("us-isof-south-1", "124985052026.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/ipinsights:1"),
            ("il-central-1", "898809789911.dkr.ecr.il-central-1.amazonaws.com/ipinsights:1"),
        ];
        for (region, uri) in expected {
            assert_eq!(image_uri(region, "ipinsights").unwrap(), uri);
        }
        assert_eq!(known_regions().count(), 37);
        let mut sorted: Vec<_> = known_regions().collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, known_regions().collect::<Vec<_>>(), "sorted and unique");
        for region in known_regions() {
            let uri = image_uri(region, "ipinsights").unwrap();
            let account = uri.split('.').next().unwrap();
            assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()), "{uri}");
            assert!(uri.contains(&format!(".dkr.ecr.{region}.")) && uri.ends_with("/ipinsights:1"), "{uri}");
        }
    }

    #[test]
    fn unknown_regions_and_algorithms_are_errors() {
        let err = image_uri("mars-north-1", "ipinsights").unwrap_err().to_string();
        assert!(err.contains("mars-north-1") && err.contains("af-south-1") && err.contains("us-west-2"), "{err}");
        assert!(matches!(image_uri("us-east-1", "xgboost"), Err(ImageError::UnknownAlgorithm { .. })));
        assert!(image_uri("", "ipinsights").is_err());
    }
}
