//! Execution-role discovery against moto: an IAM user is a clear error naming it; an assumed role (IAM
//! CreateRole, then STS AssumeRole) gives the role's ARN as IAM reports it (GetRole), path included; on a notebook
//! instance, the metadata file names the instance and DescribeNotebookInstance gives its role. A role whose trust
//! policy does not let SageMaker assume it (an IAM Identity Center `AWSReservedSSO_…` role) stops at setup.

use ipinsights_test_support::moto;

use ipinsights_aws_calls::*;
use ipinsights_test_support::block_on;
use moto::{Moto, SSO_TRUST};

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
    no_role_in_the_environment();
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

/// Role discovery reads the environment first: these tests need it unset (scripts/run-tests unsets it).
fn no_role_in_the_environment() {
    for name in ROLE_ENV_VARS {
        assert!(std::env::var_os(name).is_none(), "unset {name} to run this test: it checks role discovery");
    }
}

#[test]
fn an_assumed_role_is_found_with_its_iam_path() {
    no_role_in_the_environment();
    let moto = Moto::start();
    let console = moto.create_role("/service-role/", "AmazonSageMaker-ExecutionRole-20191216T233904");
    assert_eq!(console, "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20191216T233904");
    let team = moto.create_role("/team/x/", "WorkshopNotebookRole");
    assert_eq!(team, "arn:aws:iam::123456789012:role/team/x/WorkshopNotebookRole");
    let plain = moto.create_role("/", "PlainRole");
    assert_eq!(plain, "arn:aws:iam::123456789012:role/PlainRole");

    for role in [&console, &team, &plain] {
        let cfg =
            AwsConfig { notebook_metadata_file: Some("/nonexistent/metadata.json".into()), ..assumed(&moto, role) };
        assert_eq!(&caller_role_arn(&cfg).unwrap(), role);
        // With nothing configured, the execution role is found the same way, from IAM, without a note.
        let found = find_execution_role(&cfg, &mut |n| panic!("unexpected note: {n}")).unwrap();
        assert_eq!(found, ExecutionRole { arn: role.clone(), source: RoleSource::CallerRole });
    }
}

#[test]
fn on_a_notebook_instance_the_role_is_the_instances() {
    no_role_in_the_environment();
    let moto = Moto::start();
    let role = moto.create_role("/team/x/", "NotebookInstanceRole");
    block_on(
        moto.sagemaker()
            .create_notebook_instance()
            .notebook_instance_name("secml-workshop")
            .instance_type(aws_sdk_sagemaker::types::InstanceType::MlT3Medium)
            .role_arn(&role)
            .send(),
    )
    .expect("moto creates the notebook instance");
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("resource-metadata.json");
    std::fs::write(&metadata, r#"{"ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/secml-workshop", "ResourceName": "secml-workshop"}"#)
        .unwrap();
    // Signed in as moto's IAM user: STS alone could not find a role, the instance's metadata does.
    let cfg = AwsConfig { notebook_metadata_file: Some(metadata), ..moto.cfg() };
    let found = find_execution_role(&cfg, &mut |n| panic!("unexpected note: {n}")).unwrap();
    assert_eq!(found, ExecutionRole { arn: role, source: RoleSource::NotebookInstance("secml-workshop".into()) });
}

#[test]
fn a_role_sagemaker_cannot_assume_stops_at_setup_naming_it_and_the_fix() {
    no_role_in_the_environment();
    let moto = Moto::start();
    let sso = moto.create_role_trusting(
        "/aws-reserved/sso.amazonaws.com/eu-west-1/",
        "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
        SSO_TRUST,
    );
    let cfg = AwsConfig { notebook_metadata_file: Some("/nonexistent/metadata.json".into()), ..assumed(&moto, &sso) };
    let err = find_execution_role(&cfg, &mut |n| panic!("unexpected note: {n}")).unwrap_err();
    let AwsError::RoleNotAssumable { arn, .. } = &err else { panic!("{err:?}") };
    assert_eq!(arn, &sso);
    let shown = err.to_string();
    for part in [
        &format!("SageMaker cannot assume the execution role `{sso}` (the role you are signed in with)"),
        "does not allow sts:AssumeRole to the service principal sagemaker.amazonaws.com",
        "Could not assume role",
        "IAM Identity Center (SSO) sign-in",
        "AmazonSageMaker-ExecutionRole-",
        "SAGEMAKER_ROLE_ARN",
    ] {
        assert!(shown.contains(part), "{part:?} not in {shown}");
    }

    // A role given explicitly is checked too.
    let ec2 = moto.create_role_trusting("/", "Ec2OnlyRole", &moto::SAGEMAKER_TRUST.replace("sagemaker", "ec2"));
    let explicit = AwsConfig { role_arn: Some(ec2.clone()), ..moto.cfg() };
    let err = find_execution_role(&explicit, &mut |n| panic!("unexpected note: {n}")).unwrap_err();
    assert!(err.to_string().contains(&format!("`{ec2}` (from AwsConfig.role_arn)")), "{err}");
    assert!(!err.to_string().contains("Identity Center"), "{err}");

    // One IAM cannot answer for (here: not in this account) is used as given, with one note saying so.
    let elsewhere = "arn:aws:iam::210987654321:role/service-role/AmazonSageMaker-ExecutionRole-X";
    let mut notes = Vec::new();
    let given = AwsConfig { role_arn: Some(elsewhere.into()), ..moto.cfg() };
    let found = find_execution_role(&given, &mut |n| notes.push(n.to_string())).unwrap();
    assert_eq!(found.arn, elsewhere);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("Couldn't call GetRole to check that SageMaker can assume"), "{notes:?}");
}
