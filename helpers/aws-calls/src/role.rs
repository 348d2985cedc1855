//! The SageMaker execution role, found like the SageMaker Python SDK's `get_execution_role()`: an explicit ARN or
//! the environment first, then the notebook's own metadata (a notebook instance's role, or Studio's), then the
//! role the caller is signed in with, its real ARN (with its IAM path) from IAM.

use std::path::Path;

use serde::Deserialize;

use crate::trust::{sagemaker_trust, SageMakerTrust};
use crate::{AwsConfig, AwsError, ServiceError};

/// The environment variables read (in this order) for the SageMaker execution role.
pub const ROLE_ENV_VARS: [&str; 2] = ["SAGEMAKER_ROLE_ARN", "IPINSIGHTS_ROLE_ARN"];

/// Role names the SageMaker console creates under the `service-role/` path.
const CONSOLE_ROLE_PREFIX: &str = "AmazonSageMaker-ExecutionRole";

/// Where the execution role came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleSource {
    /// `AwsConfig.role_arn`.
    Configured,
    /// One of [`ROLE_ENV_VARS`].
    Environment(&'static str),
    /// The notebook metadata file's own `ExecutionRoleArn`.
    Metadata,
    /// DescribeNotebookInstance of the notebook instance the metadata file names.
    NotebookInstance(String),
    /// DescribeUserProfile of the Studio user profile the metadata file names.
    StudioUserProfile(String),
    /// DescribeDomain's default user settings of the Studio domain the metadata file names.
    StudioDomain(String),
    /// The role the caller is signed in with, its ARN from IAM GetRole.
    CallerRole,
    /// The role the caller is signed in with, its ARN guessed from its name (IAM GetRole failed).
    CallerRoleGuessed,
}

impl RoleSource {
    /// Where the role came from, in words.
    pub fn describe(&self) -> String {
        match self {
            RoleSource::Configured => "from AwsConfig.role_arn".into(),
            RoleSource::Environment(name) => format!("from {name}"),
            RoleSource::Metadata => "from the notebook's metadata file".into(),
            RoleSource::NotebookInstance(name) => format!("the role of notebook instance {name}"),
            RoleSource::StudioUserProfile(name) => format!("the role of Studio user profile {name}"),
            RoleSource::StudioDomain(name) => format!("the default role of Studio domain {name}"),
            RoleSource::CallerRole | RoleSource::CallerRoleGuessed => "the role you are signed in with".into(),
        }
    }
}

/// The execution role and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionRole {
    /// The role ARN.
    pub arn: String,
    /// Where it came from.
    pub source: RoleSource,
}

/// The SageMaker execution role (see [`find_execution_role`]), without its source or the notes.
pub fn execution_role(cfg: &AwsConfig) -> Result<String, AwsError> {
    find_execution_role(cfg, &mut |_| {}).map(|role| role.arn)
}

/// The SageMaker execution role, looked up in this order:
///
/// 1. `cfg.role_arn`, then `SAGEMAKER_ROLE_ARN`, then `IPINSIGHTS_ROLE_ARN` (checked to be role ARNs);
/// 2. on a SageMaker notebook instance or in Studio, the notebook metadata file (`cfg.notebook_metadata_file`,
///    else `/opt/ml/metadata/resource-metadata.json`): its `ExecutionRoleArn`; else, without a `DomainId`, the
///    notebook instance's role (DescribeNotebookInstance `RoleArn`); with one, the user profile's role
///    (DescribeUserProfile `UserSettings.ExecutionRole`), else the domain's (DescribeDomain
///    `DefaultUserSettings.ExecutionRole`);
/// 3. the caller's own role (STS GetCallerIdentity): an assumed role `…:assumed-role/NAME/…` is looked up in IAM
///    (GetRole) for its real ARN, IAM path included.
///
/// As in the SDK, a failed SageMaker call in step 2 falls through to step 3, and a failed GetRole keeps the ARN
/// derived from the name (with the console's `service-role/` path for `AmazonSageMaker-ExecutionRole*`); each such
/// fallback is reported to `notes`, one line each. A caller that is not an assumed role is
/// [`AwsError::CallerNotARole`]; a failed STS call is [`AwsError::RoleDiscovery`]. A role of step 1 or 3 whose
/// trust policy does not let `sagemaker.amazonaws.com` assume it is [`AwsError::RoleNotAssumable`], before any job
/// (see `check_sagemaker_trust`).
pub fn find_execution_role(cfg: &AwsConfig, notes: &mut dyn FnMut(&str)) -> Result<ExecutionRole, AwsError> {
    resolve(cfg, |name| std::env::var(name).ok(), notes)
}

/// [`find_execution_role`] with the environment as a parameter.
fn resolve(
    cfg: &AwsConfig,
    env: impl Fn(&str) -> Option<String>,
    notes: &mut dyn FnMut(&str),
) -> Result<ExecutionRole, AwsError> {
    let (role, trust_policy) = if let Some(role) = configured_role(cfg.role_arn.as_deref(), env)? {
        (role, None)
    } else if let Some(role) = from_metadata(cfg, &cfg.metadata_file(), notes)? {
        (role, None)
    } else {
        caller_role(cfg, notes)?
    };
    check_sagemaker_trust(cfg, &role, trust_policy, notes)?;
    Ok(role)
}

/// Stops with [`AwsError::RoleNotAssumable`] when a role given (explicitly, by the environment) or the caller's own
/// role has a trust policy (`trust_policy`, else IAM GetRole's) that does not let SageMaker assume it (a notebook
/// instance's or Studio's role was checked by SageMaker when it was set). When IAM cannot be asked (GetRole denied,
/// a role of another account) or the policy cannot be evaluated simply, one note says so and the role is used
/// unchecked.
fn check_sagemaker_trust(
    cfg: &AwsConfig,
    role: &ExecutionRole,
    trust_policy: Option<String>,
    notes: &mut dyn FnMut(&str),
) -> Result<(), AwsError> {
    match role.source {
        RoleSource::Configured | RoleSource::Environment(_) | RoleSource::CallerRole => {}
        // GetRole was refused already, and noted.
        RoleSource::CallerRoleGuessed => return Ok(()),
        // SageMaker itself checked these when the notebook instance or Studio domain was created with them.
        RoleSource::Metadata
        | RoleSource::NotebookInstance(_)
        | RoleSource::StudioUserProfile(_)
        | RoleSource::StudioDomain(_) => return Ok(()),
    }
    let arn = &role.arn;
    let policy = match trust_policy {
        Some(policy) => Ok(policy),
        None => {
            let name = arn.rsplit('/').next().unwrap_or_default().to_string();
            cfg.run(async {
                match cfg.iam().await?.get_role().role_name(&name).send().await {
                    Ok(out) => {
                        Ok(Ok(out.role().and_then(|r| r.assume_role_policy_document()).unwrap_or_default().into()))
                    }
                    Err(e) => Ok(Err(ServiceError::from_sdk("GetRole", &e))),
                }
            })?
        }
    };
    let policy = match policy {
        Ok(policy) => policy,
        Err(e) => {
            notes(&format!(
                "Couldn't call GetRole to check that SageMaker can assume the execution role {arn} ({e}); using it \
                 unchecked."
            ));
            return Ok(());
        }
    };
    match sagemaker_trust(&policy) {
        SageMakerTrust::Allowed => Ok(()),
        SageMakerTrust::Refused(reason) => {
            Err(AwsError::RoleNotAssumable { arn: arn.clone(), source_name: role.source.describe(), reason })
        }
        SageMakerTrust::Unclear(why) => {
            notes(&format!(
                "Couldn't tell from its trust policy whether SageMaker can assume the execution role {arn} ({why}); \
                 using it unchecked."
            ));
            Ok(())
        }
    }
}

/// The role given explicitly or by the environment (checked), or `None` when neither gives one.
fn configured_role(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ExecutionRole>, AwsError> {
    let given = |v: &String| !v.trim().is_empty();
    let found = match explicit.map(String::from).filter(given) {
        Some(arn) => Some((arn, RoleSource::Configured)),
        None => {
            ROLE_ENV_VARS.iter().find_map(|name| env(name).filter(given).map(|v| (v, RoleSource::Environment(name))))
        }
    };
    let Some((arn, source)) = found else { return Ok(None) };
    let arn = arn.trim().to_string();
    check_role_arn(&arn)?;
    Ok(Some(ExecutionRole { arn, source }))
}

/// What the notebook metadata file says (the fields the SDK reads).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NotebookMetadata {
    resource_name: Option<String>,
    domain_id: Option<String>,
    user_profile_name: Option<String>,
    execution_role_arn: Option<String>,
}

/// Step 2 of [`find_execution_role`]: `None` without a metadata file, or when its SageMaker calls fail (noted).
async fn metadata_role(
    cfg: &AwsConfig,
    path: &Path,
    notes: &mut dyn FnMut(&str),
) -> Result<Option<ExecutionRole>, AwsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(AwsError::Io { action: "read", path: path.to_path_buf(), source }),
    };
    let meta: NotebookMetadata = serde_json::from_str(&text).map_err(|e| {
        AwsError::InvalidInput(format!("the notebook metadata file {} is not valid JSON: {e}", path.display()))
    })?;
    if let Some(arn) = meta.execution_role_arn.filter(|a| !a.trim().is_empty()) {
        return Ok(Some(ExecutionRole { arn, source: RoleSource::Metadata }));
    }
    let client = cfg.sagemaker().await?;
    let Some(domain) = meta.domain_id.filter(|d| !d.is_empty()) else {
        let Some(instance) = meta.resource_name.filter(|n| !n.is_empty()) else {
            notes(&format!("{} names no notebook instance or Studio domain; asking STS instead.", path.display()));
            return Ok(None);
        };
        return match client.describe_notebook_instance().notebook_instance_name(&instance).send().await {
            Ok(out) => Ok(out
                .role_arn()
                .map(|arn| ExecutionRole { arn: arn.into(), source: RoleSource::NotebookInstance(instance.clone()) })),
            Err(e) => fallback(
                notes,
                format!("notebook instance {instance}"),
                ServiceError::from_sdk("DescribeNotebookInstance", &e),
            ),
        };
    };
    if let Some(profile) = meta.user_profile_name.filter(|p| !p.is_empty()) {
        match client.describe_user_profile().domain_id(&domain).user_profile_name(&profile).send().await {
            Ok(out) => {
                if let Some(arn) = out.user_settings().and_then(|s| s.execution_role()) {
                    return Ok(Some(ExecutionRole {
                        arn: arn.into(),
                        source: RoleSource::StudioUserProfile(profile.clone()),
                    }));
                }
            }
            Err(e) => {
                let e = ServiceError::from_sdk("DescribeUserProfile", &e);
                return fallback(notes, format!("Studio user profile {profile} of domain {domain}"), e);
            }
        }
    }
    match client.describe_domain().domain_id(&domain).send().await {
        Ok(out) => Ok(out
            .default_user_settings()
            .and_then(|s| s.execution_role())
            .map(|arn| ExecutionRole { arn: arn.into(), source: RoleSource::StudioDomain(domain.clone()) })),
        Err(e) => fallback(notes, format!("Studio domain {domain}"), ServiceError::from_sdk("DescribeDomain", &e)),
    }
}

/// Notes a failed SageMaker call of step 2; the lookup goes on with STS, as in the SDK.
fn fallback(notes: &mut dyn FnMut(&str), what: String, e: ServiceError) -> Result<Option<ExecutionRole>, AwsError> {
    notes(&format!("Couldn't call {} to get the execution role of {what} ({e}); asking STS instead.", e.operation));
    Ok(None)
}

/// [`metadata_role`] as a call of its own.
fn from_metadata(cfg: &AwsConfig, path: &Path, notes: &mut dyn FnMut(&str)) -> Result<Option<ExecutionRole>, AwsError> {
    if !path.exists() {
        return Ok(None);
    }
    cfg.run(metadata_role(cfg, path, notes))
}

/// The IAM role of the caller (STS GetCallerIdentity), as SageMaker's execution role: the assumed role's ARN as IAM
/// reports it (GetRole), its path included. See [`find_execution_role`], step 3.
pub fn caller_role_arn(cfg: &AwsConfig) -> Result<String, AwsError> {
    caller_role(cfg, &mut |_| {}).map(|(role, _)| role.arn)
}

/// Step 3 of [`find_execution_role`]: the role, and its trust policy when IAM answered.
fn caller_role(cfg: &AwsConfig, notes: &mut dyn FnMut(&str)) -> Result<(ExecutionRole, Option<String>), AwsError> {
    let caller = cfg.run(async {
        let out = cfg.sts().await?.get_caller_identity().send().await.map_err(|e| AwsError::RoleDiscovery {
            source: Box::new(ServiceError::from_sdk("GetCallerIdentity", &e)),
        })?;
        Ok(out.arn().unwrap_or_default().to_string())
    })?;
    let guessed = role_arn_for_caller(&caller)?;
    let name = role_name(&caller).unwrap_or_default().to_string();
    let found = cfg.run(async {
        match cfg.iam().await?.get_role().role_name(&name).send().await {
            Ok(out) => Ok(Ok(out.role().map_or_else(Default::default, |r| {
                (r.arn().to_string(), r.assume_role_policy_document().map(String::from))
            }))),
            Err(e) => Ok(Err(ServiceError::from_sdk("GetRole", &e))),
        }
    })?;
    match found {
        Ok((arn, policy)) if is_role_arn(&arn) => Ok((ExecutionRole { arn, source: RoleSource::CallerRole }, policy)),
        Ok((arn, _)) => Err(AwsError::InvalidRoleArn { arn }),
        Err(e) => {
            notes(&format!(
                "Couldn't call GetRole to get the ARN of role {name} with its path ({e}); using {guessed}."
            ));
            Ok((ExecutionRole { arn: guessed, source: RoleSource::CallerRoleGuessed }, None))
        }
    }
}

/// The role name of an assumed-role caller ARN.
fn role_name(caller_arn: &str) -> Option<&str> {
    caller_arn.split_once(":assumed-role/").and_then(|(_, rest)| rest.split('/').next()).filter(|n| !n.is_empty())
}

/// Maps a caller identity ARN to the execution role ARN the SageMaker Python SDK derives from it when IAM cannot
/// tell the role's path (GetRole refused).
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
        let found = |explicit, env: &dyn Fn(&str) -> Option<String>| {
            configured_role(explicit, env).unwrap().map(|r| (r.arn, r.source))
        };
        assert_eq!(found(Some(ARN), &env), Some((ARN.into(), RoleSource::Configured)));
        let first = Some(("arn:aws:iam::111111111111:role/a".into(), RoleSource::Environment("SAGEMAKER_ROLE_ARN")));
        assert_eq!(found(None, &env), first);
        assert_eq!(found(Some("  "), &env), first);
        let only_second =
            |name: &str| (name == "IPINSIGHTS_ROLE_ARN").then(|| " arn:aws-cn:iam::222222222222:role/b ".into());
        assert_eq!(
            found(None, &only_second),
            Some(("arn:aws-cn:iam::222222222222:role/b".into(), RoleSource::Environment("IPINSIGHTS_ROLE_ARN")))
        );
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
        let cfg = AwsConfig {
            max_attempts: Some(1),
            notebook_metadata_file: Some("/nonexistent/resource-metadata.json".into()),
            ..AwsConfig::local_emulator("http://127.0.0.1:1")
        };
        let env = |name: &str| (name == "IPINSIGHTS_ROLE_ARN").then(|| ARN.to_string());
        let arn = |cfg: &AwsConfig, env: &dyn Fn(&str) -> Option<String>| resolve(cfg, env, &mut |_| {}).map(|r| r.arn);
        assert_eq!(arn(&cfg, &env).unwrap(), ARN);
        let explicit = AwsConfig { role_arn: Some("arn:aws:iam::123456789012:role/x".into()), ..cfg.clone() };
        assert_eq!(arn(&explicit, &|_| None).unwrap(), "arn:aws:iam::123456789012:role/x");
        let err = arn(&cfg, &|_| None).unwrap_err();
        let AwsError::RoleDiscovery { source } = &err else { panic!("{err:?}") };
        assert_eq!((source.operation, source.code.as_deref()), ("GetCallerIdentity", None));
        let shown = err.to_string();
        assert!(shown.contains("GetCallerIdentity failed: dispatch failure"), "{shown}");
        assert!(shown.contains("SAGEMAKER_ROLE_ARN") && shown.contains("AwsConfig.role_arn"), "{shown}");
    }

    #[test]
    fn role_names_come_from_assumed_role_arns() {
        assert_eq!(role_name("arn:aws:sts::123456789012:assumed-role/Team-X/alice"), Some("Team-X"));
        assert_eq!(role_name("arn:aws:sts::123456789012:user/moto"), None);
        assert_eq!(role_name("arn:aws:sts::123456789012:assumed-role//s"), None);
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
