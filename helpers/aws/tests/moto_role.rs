//! Execution-role discovery against moto: an IAM user is a clear error naming it; an assumed role (IAM
//! CreateRole, then STS AssumeRole) gives the role's ARN as IAM reports it.

mod moto;

use ipinsights_aws::*;
use moto::{block_on, Moto};

/// Our configuration signed with the credentials of `role_arn` assumed through moto's STS.
fn assumed(moto: &Moto, role_arn: &str) -> AwsConfig {
    let out = block_on(moto.sts().assume_role().role_arn(role_arn).role_session_name("workshop-notebook").send())
        .expect("moto assumes the role");
    let creds = out.credentials().expect("AssumeRole returns credentials");
    assert!(creds.access_key_id() != "testing");
    AwsConfig {
        credentials: Some(StaticCredentials {
            access_key_id: creds.access_key_id().into(),
            secret_access_key: creds.secret_access_key().into(),
            session_token: Some(creds.session_token().into()),
        }),
        ..moto.cfg()
    }
}

#[test]
fn an_iam_user_is_a_clear_error_naming_the_caller_and_how_to_give_a_role() {
    let moto = Moto::start();
    let err = caller_role_arn(&moto.cfg()).unwrap_err();
    let AwsError::CallerNotARole { caller_arn } = &err else { panic!("{err:?}") };
    assert_eq!(caller_arn, "arn:aws:sts::123456789012:user/moto");
    let shown = err.to_string();
    assert!(shown.starts_with("the caller identity `arn:aws:sts::123456789012:user/moto` is not an assumed IAM role"));
    assert!(shown.contains("SAGEMAKER_ROLE_ARN") && shown.contains("AwsConfig.role_arn"), "{shown}");
    assert!(!shown.contains("testing"), "no credentials in messages: {shown}");
    // An explicit role never asks STS, so it works whoever the caller is.
    let explicit = "arn:aws:iam::123456789012:role/ExplicitRole";
    let cfg = AwsConfig { role_arn: Some(explicit.into()), ..moto.cfg() };
    assert_eq!(execution_role(&cfg).unwrap(), explicit);
}

#[test]
fn an_assumed_role_is_found_with_the_console_path_for_sagemaker_roles() {
    let moto = Moto::start();
    let console = moto.create_role("/service-role/", "AmazonSageMaker-ExecutionRole-20191216T233904");
    assert_eq!(console, "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20191216T233904");
    let plain = moto.create_role("/", "WorkshopNotebookRole");
    assert_eq!(plain, "arn:aws:iam::123456789012:role/WorkshopNotebookRole");

    for role in [&console, &plain] {
        let cfg = assumed(&moto, role);
        assert_eq!(&caller_role_arn(&cfg).unwrap(), role);
        // With nothing configured, execution_role falls back to the same discovery.
        if ROLE_ENV_VARS.iter().all(|name| std::env::var(name).map_or(true, |v| v.trim().is_empty())) {
            assert_eq!(&execution_role(&cfg).unwrap(), role);
        }
    }
}
