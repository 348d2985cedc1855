//! SageMaker resource names: the SDK's timestamped names and the naming rule of jobs, models, endpoint
//! configurations and endpoints.

use std::time::SystemTime;

/// SageMaker's limit on training job, model, endpoint config and endpoint names.
pub const MAX_NAME_LEN: usize = 63;

/// A name SageMaker would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid {kind} name `{name}`: use 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit"
)]
pub struct NameError {
    /// What the name is for (`training job`, `endpoint`, …).
    pub kind: String,
    /// The name as given.
    pub name: String,
}

/// `{base}-YYYY-MM-DD-HH-MM-SS-mmm` in UTC, the base cut so the name fits 63 characters: the SDK's
/// `name_from_base`, used for training jobs, models and endpoints on both backends.
pub fn name_from_base(base: &str, at: SystemTime) -> String {
    let stamp = crate::utc::name_stamp(at);
    let base: String = base.chars().take(MAX_NAME_LEN.saturating_sub(stamp.len() + 1)).collect();
    format!("{base}-{stamp}")
}

/// The base name the SDK derives from an image URI (`base_name_from_image`): the repository's last path segment
/// without its tag, e.g. `ipinsights` for `382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1`.
pub fn base_name_from_image(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split(':').next().unwrap_or(last);
    if base.is_empty() {
        image
    } else {
        base
    }
}

/// Checks a SageMaker resource name: 1–63 letters, digits and hyphens, starting and ending with a letter or digit.
pub fn validate_resource_name(kind: &str, name: &str) -> Result<(), NameError> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let valid = (1..=MAX_NAME_LEN).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && alnum(name.chars().next())
        && alnum(name.chars().last());
    if valid {
        Ok(())
    } else {
        Err(NameError { kind: kind.into(), name: name.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis)
    }

    #[test]
    fn training_job_names_match_the_sdk() {
        assert_eq!(name_from_base("ipinsights", at(1_576_540_098, 52)), "ipinsights-2019-12-16-23-48-18-052");
        assert_eq!(name_from_base("ipinsights", at(0, 0)), "ipinsights-1970-01-01-00-00-00-000");
        assert_eq!(name_from_base("ipinsights", at(951_825_600, 999)), "ipinsights-2000-02-29-12-00-00-999");
    }

    #[test]
    fn long_bases_are_cut_to_fit_63_characters() {
        let name = name_from_base(&"x".repeat(80), at(1_576_540_098, 52));
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("x-2019-12-16-23-48-18-052"));
        validate_resource_name("training job", &name).unwrap();
    }

    #[test]
    fn base_names_come_from_the_image_repository() {
        assert_eq!(base_name_from_image("382416733822.dkr.ecr.us-east-1.amazonaws.com/ipinsights:1"), "ipinsights");
        assert_eq!(base_name_from_image("390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/ipinsights:1"), "ipinsights");
        assert_eq!(base_name_from_image("my-image"), "my-image");
        assert_eq!(base_name_from_image("registry:5000/team/algo:latest"), "algo");
    }

    #[test]
    fn resource_names_follow_sagemaker_rules() {
        for good in ["a", "ipinsights-2019-12-16-23-48-18-052", "A-b--c9", &"z".repeat(63)] {
            validate_resource_name("endpoint", good).unwrap();
        }
        for bad in ["", "-a", "a-", "a_b", "a.b", "é", &"z".repeat(64)] {
            let err = validate_resource_name("endpoint", bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid endpoint name"), "{err}");
        }
    }
}
