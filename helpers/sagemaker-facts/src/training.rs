//! The rules of SageMaker's request options (tags, VPC, stopping condition, KMS keys), which the requests'
//! `check` applies, named as the SDK's `Estimator` and `TrainingInput` name them, so
//! both backends refuse what SageMaker would refuse before any call.

/// Most tags on one SageMaker resource.
pub const MAX_TAGS: usize = 50;
/// Most subnets in a `VpcConfig`.
pub const MAX_SUBNETS: usize = 16;
/// Most security groups in a `VpcConfig`.
pub const MAX_SECURITY_GROUPS: usize = 5;

/// An option SageMaker would refuse, with the SDK's name of the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {rule}")]
pub struct OptionError {
    /// The option (the SDK's name, e.g. `max_wait`).
    pub option: &'static str,
    /// What is wrong.
    pub rule: String,
}

fn refuse<T>(option: &'static str, rule: impl Into<String>) -> Result<T, OptionError> {
    Err(OptionError { option, rule: rule.into() })
}

/// Checks tags: at most 50, keys 1–128 characters and unique, values at most 256, no key starting with `aws:`
/// (reserved for AWS).
pub(crate) fn check_tags(tags: &[(String, String)]) -> Result<(), OptionError> {
    if tags.len() > MAX_TAGS {
        return refuse("tags", format!("{} tags; a SageMaker resource takes at most {MAX_TAGS}", tags.len()));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if !(1..=128).contains(&key.chars().count()) {
            return refuse("tags", format!("tag {key:?}: keys are 1 to 128 characters"));
        }
        if value.chars().count() > 256 {
            return refuse("tags", format!("tag {key:?}: values are at most 256 characters"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return refuse("tags", format!("tag {key:?}: the prefix aws: is reserved for AWS"));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return refuse("tags", format!("tag {key:?} is given twice"));
        }
    }
    Ok(())
}

/// Checks a VPC configuration: subnets and security groups both given (1–16 subnets, 1–5 groups) or both empty.
pub(crate) fn check_vpc(subnets: &[String], security_group_ids: &[String]) -> Result<(), OptionError> {
    match (subnets.is_empty(), security_group_ids.is_empty()) {
        (true, true) => return Ok(()),
        (false, true) => {
            return refuse("security_group_ids", "a VPC configuration needs security groups with its subnets")
        }
        (true, false) => return refuse("subnets", "a VPC configuration needs subnets with its security groups"),
        (false, false) => {}
    }
    if subnets.len() > MAX_SUBNETS {
        return refuse(
            "subnets",
            format!("{} subnets; a VPC configuration takes at most {MAX_SUBNETS}", subnets.len()),
        );
    }
    if security_group_ids.len() > MAX_SECURITY_GROUPS {
        return refuse(
            "security_group_ids",
            format!(
                "{} security groups; a VPC configuration takes at most {MAX_SECURITY_GROUPS}",
                security_group_ids.len()
            ),
        );
    }
    for (option, ids, prefix) in [("subnets", subnets, "subnet-"), ("security_group_ids", security_group_ids, "sg-")] {
        if let Some(bad) = ids.iter().find(|id| !id.starts_with(prefix) || id.len() <= prefix.len()) {
            return refuse(option, format!("{bad:?} is not an id starting with {prefix}"));
        }
    }
    Ok(())
}

/// Checks the stopping condition: `max_run` ≥ 1 s; with `use_spot_instances`, `max_wait` is required and at least
/// `max_run`; without it, `max_wait` must not be set (SageMaker refuses a wait time without spot training).
pub(crate) fn check_stopping(max_run: u32, use_spot_instances: bool, max_wait: Option<u32>) -> Result<(), OptionError> {
    if max_run == 0 {
        return refuse("max_run", "the training time limit must be at least 1 second");
    }
    match (use_spot_instances, max_wait) {
        (true, None) => refuse("max_wait", "spot training (use_spot_instances) needs max_wait, at least max_run"),
        (true, Some(wait)) if wait < max_run => refuse(
            "max_wait",
            format!("{wait} s is less than max_run ({max_run} s): spot training waits at least as long as it runs"),
        ),
        (false, Some(_)) => refuse("max_wait", "max_wait applies to spot training only: set use_spot_instances too"),
        _ => Ok(()),
    }
}

/// Checks a KMS key given to `option`: not blank (a key id, alias, or ARN).
pub(crate) fn check_kms_key(option: &'static str, key: &str) -> Result<(), OptionError> {
    if key.trim().is_empty() || key.len() > 2048 {
        return refuse(option, "give a KMS key id, alias or ARN (at most 2048 characters)");
    }
    Ok(())
}

/// Checks the `output_kms_key` and `volume_kms_key` that are set.
pub(crate) fn check_kms_keys(
    output_kms_key: &Option<String>,
    volume_kms_key: &Option<String>,
) -> Result<(), OptionError> {
    for (option, key) in [("output_kms_key", output_kms_key), ("volume_kms_key", volume_kms_key)] {
        if let Some(key) = key {
            check_kms_key(option, key)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tags_follow_sagemakers_rules() {
        let tag = |k: &str, v: &str| (k.to_string(), v.to_string());
        check_tags(&[tag("team", "secops"), tag("cost-center", "")]).unwrap();
        let too_many: Vec<_> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        let cases = [
            (too_many, "at most 50"),
            (vec![tag("", "v")], "1 to 128"),
            (vec![tag(&"k".repeat(129), "v")], "1 to 128"),
            (vec![tag("k", &"v".repeat(257))], "at most 256"),
            (vec![tag("AWS:owner", "x")], "reserved"),
            (vec![tag("a", "1"), tag("a", "2")], "twice"),
        ];
        for (tags, expected) in cases {
            let err = check_tags(&tags).unwrap_err().to_string();
            assert!(err.starts_with("tags: ") && err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn vpc_needs_both_lists_of_real_ids() {
        check_vpc(&[], &[]).unwrap();
        check_vpc(&strings(&["subnet-0abc"]), &strings(&["sg-0abc"])).unwrap();
        assert!(check_vpc(&strings(&["subnet-0abc"]), &[]).unwrap_err().to_string().starts_with("security_group_ids"));
        assert!(check_vpc(&[], &strings(&["sg-1"])).unwrap_err().to_string().starts_with("subnets"));
        assert!(check_vpc(&strings(&["vpc-1"]), &strings(&["sg-1"])).unwrap_err().to_string().contains("subnet-"));
        let many: Vec<String> = (0..17).map(|i| format!("subnet-{i}")).collect();
        assert!(check_vpc(&many, &strings(&["sg-1"])).unwrap_err().to_string().contains("at most 16"));
    }

    #[test]
    fn spot_training_needs_a_long_enough_max_wait() {
        check_stopping(86_400, false, None).unwrap();
        check_stopping(3600, true, Some(7200)).unwrap();
        check_stopping(3600, true, Some(3600)).unwrap();
        assert!(check_stopping(0, false, None).is_err());
        assert!(check_stopping(3600, true, None).unwrap_err().to_string().starts_with("max_wait: spot training"));
        assert!(check_stopping(3600, true, Some(60)).unwrap_err().to_string().contains("less than max_run"));
        assert!(check_stopping(3600, false, Some(7200)).unwrap_err().to_string().contains("use_spot_instances"));
    }

    #[test]
    fn kms_keys_are_not_blank() {
        check_kms_key("output_kms_key", "alias/workshop").unwrap();
        assert!(check_kms_key("volume_kms_key", " ").unwrap_err().to_string().starts_with("volume_kms_key: "));
    }
}
