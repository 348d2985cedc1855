//! The AWS backend's region comes from the standard chain exactly as boto3 resolves it: with no `AWS_REGION`, the
//! `region` of the profile `AWS_PROFILE` names in `AWS_CONFIG_FILE`; `AWS_REGION` wins over it. The session reports
//! the region and the account it reaches (STS GetCallerIdentity, against a moto server). Its own test binary: it
//! sets process environment variables. Run with `--features aws`.
#![cfg(feature = "aws")]

mod moto;

use ipinsights_workshop::aws_backend::AwsBackend;
use moto::Moto;

#[test]
fn the_region_is_the_profiles_unless_the_environment_names_one() {
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
