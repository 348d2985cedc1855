//! The AWS backend's region comes from the standard chain exactly as boto3 resolves it: with no `AWS_REGION`, the
//! `region` of the profile `AWS_PROFILE` names in `AWS_CONFIG_FILE`; `AWS_REGION` wins over it. The session reports
//! the region and the account it reaches (STS GetCallerIdentity, against a moto server). And one SDK configuration
//! per session: the AWS backend resolves its credentials once and every later call reuses them (and its clients),
//! as boto3's session does. Its own test binary: its tests set process environment variables, one at a time (a
//! lock). Run with `--features aws`.
#![cfg(feature = "aws")]

use ipinsights_aws_calls::AwsConfig;
use ipinsights_test_support::moto::Moto;
use ipinsights_workshop::aws_backend::AwsBackend;
use ipinsights_workshop::{Backend, Session};
use std::sync::Mutex;
use std::time::Duration;

/// Held by each test while it sets and uses the process environment.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

#[test]
fn the_region_is_the_profiles_unless_the_environment_names_one() {
    let _environment = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[default]\nregion = us-west-1\n\n[profile workshop]\nregion = eu-west-2\naws_access_key_id = testing\n\
         aws_secret_access_key = testing\n",
    )
    .unwrap();
    // Nothing else may answer: no region or keys in the environment, no instance metadata, no other files.
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        std::env::remove_var(var);
    }
    std::env::set_var("AWS_CONFIG_FILE", &config);
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"));
    std::env::set_var("AWS_PROFILE", "workshop");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("IPINSIGHTS_AWS_ENDPOINT_URL", &moto.url);

    let backend = AwsBackend::from_env().unwrap();
    let identity = backend.identity().unwrap();
    assert_eq!((identity.region.as_str(), identity.account.as_str()), ("eu-west-2", "123456789012"));
    assert_eq!(
        identity.to_string(),
        "region eu-west-2, account 123456789012 (arn:aws:sts::123456789012:user/moto)",
        "what the setup cell prints"
    );

    // boto3's order: the environment's region comes first.
    std::env::set_var("AWS_DEFAULT_REGION", "ap-southeast-2");
    assert_eq!(AwsBackend::from_env().unwrap().identity().unwrap().region, "ap-southeast-2");
    std::env::set_var("AWS_REGION", "ca-central-1");
    assert_eq!(AwsBackend::from_env().unwrap().identity().unwrap().region, "ca-central-1");
}

/// Credentials come from a profile's `credential_process` that counts its runs (what an SSO or assume-role
/// profile costs: an STS or SSO call each time, landing in the very CloudTrail the workshop reads); the session then
/// makes 40 InvokeEndpoint calls (what scoring 240 MiB of pairs sends, 6 MiB a request), lists its leftovers and
/// checks a bucket.
#[test]
fn a_session_resolves_its_credentials_once_for_every_call() {
    let _environment = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let script = dir.path().join("credentials.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{}'\necho '{{\"Version\": 1, \"AccessKeyId\": \"testing\", \
             \"SecretAccessKey\": \"testing\"}}'\n",
            runs.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!("[profile counted]\nregion = us-east-1\ncredential_process = {}\n", script.display()),
    )
    .unwrap();
    // Whatever another test of this binary left in the environment (its profile, endpoint) does not apply here.
    for var in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "IPINSIGHTS_AWS_ENDPOINT_URL",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("AWS_CONFIG_FILE", &config);
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");

    let cfg = AwsConfig {
        profile: Some("counted".into()),
        endpoint_url: Some(moto.url.clone()),
        force_path_style: true,
        ..AwsConfig::default()
    };
    let backend = AwsBackend::new(cfg, Duration::from_millis(50)).unwrap();
    let session = Session::with_backend(backend.clone());
    println!("{}", backend.identity().unwrap());
    for i in 0..40 {
        let body = format!("user-{i},10.0.0.{i}\n").into_bytes();
        backend.invoke("ipinsights-endpoint", body, "text/csv", "application/json").unwrap();
    }
    assert!(session.leftovers().unwrap().is_empty());
    assert!(session.check_bucket("no-such-bucket-here", "p").is_err());
    let count = std::fs::read_to_string(&runs).unwrap_or_default().lines().count();
    assert_eq!(count, 1, "credential_process ran {count} times for one session");
    assert!(backend.is_connected());
}
