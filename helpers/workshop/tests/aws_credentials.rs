//! One SDK configuration per session: the AWS backend resolves its credentials once and every later call reuses
//! them (and its clients), as boto3's session does. Credentials come from a profile's `credential_process` that
//! counts its runs (what an SSO or assume-role profile costs: an STS or SSO call each time, landing in the very
//! CloudTrail the workshop reads); the session then makes 40 InvokeEndpoint calls (what scoring 240 MiB of pairs
//! sends, 6 MiB a request), lists its leftovers and checks a bucket, against a moto server. Its own test binary: it
//! sets process environment variables. Run with `--features aws`.
#![cfg(feature = "aws")]

mod moto;

use ipinsights_aws::AwsConfig;
use ipinsights_workshop::aws_backend::AwsBackend;
use ipinsights_workshop::{Backend, Session};
use moto::Moto;
use std::time::Duration;

#[test]
fn a_session_resolves_its_credentials_once_for_every_call() {
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
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
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
