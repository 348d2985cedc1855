//! The SageMaker execution role, found like the SageMaker Python SDK's `get_execution_role()`: an explicit ARN,
//! then the environment, then the caller's own assumed role (STS GetCallerIdentity).

use crate::runtime::run;
use crate::{AwsConfig, AwsError, ServiceError};

/// The environment variables read (in this order) for the SageMaker execution role.
pub const ROLE_ENV_VARS: [&str; 2] = ["SAGEMAKER_ROLE_ARN", "IPINSIGHTS_ROLE_ARN"];

/// Role names the SageMaker console creates under the `service-role/` path.
const CONSOLE_ROLE_PREFIX: &str = "AmazonSageMaker-ExecutionRole";

/// The SageMaker execution role: `cfg.role_arn`, else `SAGEMAKER_ROLE_ARN`, else `IPINSIGHTS_ROLE_ARN`, else the
/// role the caller is signed in with (see [`caller_role_arn`]).
///
/// Fails with [`AwsError::InvalidRoleArn`] for a configured value that is not a role ARN, and as
/// [`caller_role_arn`] does when nothing is configured.
pub fn execution_role(cfg: &AwsConfig) -> Result<String, AwsError> {
    resolve(cfg, |name| std::env::var(name).ok())
}

/// [`execution_role`] with the environment as a parameter.
fn resolve(cfg: &AwsConfig, env: impl Fn(&str) -> Option<String>) -> Result<String, AwsError> {
    match configured_role(cfg.role_arn.as_deref(), env)? {
        Some(arn) => Ok(arn),
        None => caller_role_arn(cfg),
    }
}

/// The role given explicitly or by the environment (checked), or `None` when neither gives one.
fn configured_role(explicit: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Option<String>, AwsError> {
    let from_env = || ROLE_ENV_VARS.iter().find_map(|name| env(name).filter(|v| !v.trim().is_empty()));
    let Some(arn) = explicit.filter(|v| !v.trim().is_empty()).map(String::from).or_else(from_env) else {
        return Ok(None);
    };
    let arn = arn.trim().to_string();
    check_role_arn(&arn)?;
    Ok(Some(arn))
}

/// The IAM role of the caller (STS GetCallerIdentity), as SageMaker's execution role.
///
/// An assumed role `arn:<partition>:sts::<account>:assumed-role/<name>/<session>` gives
/// `arn:<partition>:iam::<account>:role/<name>` (see [`role_arn_for_caller`]). Any other caller (an IAM user,
/// the root user, a federated user) is [`AwsError::CallerNotARole`]; a failed STS call is
/// [`AwsError::RoleDiscovery`]. Both say how to configure a role instead.
pub fn caller_role_arn(cfg: &AwsConfig) -> Result<String, AwsError> {
    let caller = run(async {
        let out = cfg.sts().await?.get_caller_identity().send().await.map_err(|e| AwsError::RoleDiscovery {
            source: Box::new(ServiceError::from_sdk("GetCallerIdentity", &e)),
        })?;
        Ok(out.arn().unwrap_or_default().to_string())
    })?;
    role_arn_for_caller(&caller)
}

/// Maps a caller identity ARN to the execution role ARN the SageMaker Python SDK derives from it.
///
/// Only assumed roles map: `arn:aws:sts::123456789012:assumed-role/MyRole/session` gives
/// `arn:aws:iam::123456789012:role/MyRole`, and names starting with `AmazonSageMaker-ExecutionRole` (made by the
/// SageMaker console) get the console's `service-role/` path. Anything else is [`AwsError::CallerNotARole`].
pub fn role_arn_for_caller(caller_arn: &str) -> Result<String, AwsError> {
    let not_a_role = || AwsError::CallerNotARole { caller_arn: caller_arn.to_string() };
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    let ["arn", partition, "sts", "", account, resource] = parts.as_slice() else { return Err(not_a_role()) };
    let Some((name, session)) = resource.strip_prefix("assumed-role/").and_then(|r| r.split_once('/')) else {
        return Err(not_a_role());
    };
    if name.is_empty() || session.is_empty() {
        return Err(not_a_role());
    }
    let path = if name.starts_with(CONSOLE_ROLE_PREFIX) { "service-role/" } else { "" };
    let arn = format!("arn:{partition}:iam::{account}:role/{path}{name}");
    if !is_role_arn(&arn) {
        return Err(not_a_role());
    }
    Ok(arn)
}

/// Fails with [`AwsError::InvalidRoleArn`] unless `arn` looks like an IAM role ARN.
pub(crate) fn check_role_arn(arn: &str) -> Result<(), AwsError> {
    if is_role_arn(arn) {
        Ok(())
    } else {
        Err(AwsError::InvalidRoleArn { arn: arn.into() })
    }
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";

    #[test]
    fn role_comes_from_explicit_then_env_in_order() {
        let env = |name: &str| match name {
            "SAGEMAKER_ROLE_ARN" => Some("arn:aws:iam::111111111111:role/a".to_string()),
            "IPINSIGHTS_ROLE_ARN" => Some("arn:aws:iam::222222222222:role/b".to_string()),
            _ => None,
        };
        let found = |explicit, env: &dyn Fn(&str) -> Option<String>| configured_role(explicit, env).unwrap();
        assert_eq!(found(Some(ARN), &env).as_deref(), Some(ARN));
        assert_eq!(found(None, &env).as_deref(), Some("arn:aws:iam::111111111111:role/a"));
        assert_eq!(found(Some("  "), &env).as_deref(), Some("arn:aws:iam::111111111111:role/a"));
        let only_second =
            |name: &str| (name == "IPINSIGHTS_ROLE_ARN").then(|| " arn:aws-cn:iam::222222222222:role/b ".into());
        assert_eq!(found(None, &only_second).as_deref(), Some("arn:aws-cn:iam::222222222222:role/b"));
        assert_eq!(found(None, &|_: &str| Some(" ".into())), None);
    }

    #[test]
    fn malformed_configured_roles_are_clear_errors() {
        for bad in ["AmazonSageMaker-ExecutionRole", "arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x"] {
            let err = configured_role(Some(bad), |_| None).unwrap_err();
            assert!(matches!(err, AwsError::InvalidRoleArn { .. }), "{bad}: {err}");
            let err = configured_role(None, |_| Some(bad.to_string())).unwrap_err();
            assert!(matches!(err, AwsError::InvalidRoleArn { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn sts_is_asked_only_when_nothing_is_configured() {
        // Nothing listens on port 1: reaching STS fails, so an answer proves STS was not asked.
        let cfg = AwsConfig { max_attempts: Some(1), ..AwsConfig::local_emulator("http://127.0.0.1:1") };
        let env = |name: &str| (name == "IPINSIGHTS_ROLE_ARN").then(|| ARN.to_string());
        assert_eq!(resolve(&cfg, env).unwrap(), ARN);
        let explicit = AwsConfig { role_arn: Some("arn:aws:iam::123456789012:role/x".into()), ..cfg.clone() };
        assert_eq!(resolve(&explicit, |_| None).unwrap(), "arn:aws:iam::123456789012:role/x");
        let err = resolve(&cfg, |_| None).unwrap_err();
        let AwsError::RoleDiscovery { source } = &err else { panic!("{err:?}") };
        assert_eq!((source.operation, source.code.as_deref()), ("GetCallerIdentity", None));
        let shown = err.to_string();
        assert!(shown.contains("GetCallerIdentity failed: dispatch failure"), "{shown}");
        assert!(shown.contains("SAGEMAKER_ROLE_ARN") && shown.contains("AwsConfig.role_arn"), "{shown}");
    }

    #[test]
    fn assumed_roles_map_to_role_arns_in_every_partition() {
        let cases = [
            (
                "arn:aws:sts::123456789012:assumed-role/WorkshopRole/alice",
                "arn:aws:iam::123456789012:role/WorkshopRole",
            ),
            ("arn:aws-cn:sts::123456789012:assumed-role/R/i-0abc", "arn:aws-cn:iam::123456789012:role/R"),
            (
                "arn:aws-us-gov:sts::123456789012:assumed-role/R/s/with/slashes",
                "arn:aws-us-gov:iam::123456789012:role/R",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-20191216T233904/SageMaker",
                "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20191216T233904",
            ),
            (
                "arn:aws-cn:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole/s",
                "arn:aws-cn:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
            ),
        ];
        for (caller, role) in cases {
            assert_eq!(role_arn_for_caller(caller).unwrap(), role, "{caller}");
        }
    }

    #[test]
    fn other_callers_are_clear_errors_naming_the_caller() {
        for caller in [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:sts::123456789012:user/moto",
            "arn:aws:iam::123456789012:root",
            "arn:aws:sts::123456789012:federated-user/bob",
            "arn:aws:sts::123456789012:assumed-role/NoSession",
            "arn:aws:sts::123456789012:assumed-role//s",
            "arn:aws:sts::12345:assumed-role/R/s",
            "",
        ] {
            let err = role_arn_for_caller(caller).unwrap_err();
            assert!(matches!(&err, AwsError::CallerNotARole { caller_arn } if caller_arn == caller), "{err:?}");
            let shown = err.to_string();
            assert!(shown.contains(&format!("`{caller}`")), "{shown}");
            assert!(shown.contains("SAGEMAKER_ROLE_ARN") && shown.contains("AwsConfig.role_arn"), "{shown}");
        }
    }
}
