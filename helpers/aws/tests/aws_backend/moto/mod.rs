//! A moto server per test (S3, SageMaker, SageMaker Runtime, STS, IAM and CloudWatch Logs on one port), plus raw
//! SDK clients to set things up and read them back.
// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{Credentials, Region};
use ipinsights_aws::AwsConfig;

/// A running `moto_server`, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _log_dir: tempfile::TempDir,
}

/// `MOTO_SERVER`, else the repository's `.venv/bin/moto_server`; fails the test when neither exists.
fn moto_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(path.exists(), "MOTO_SERVER={} does not exist", path.display());
        return path;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    assert!(
        venv.exists(),
        "moto_server not found: these tests need moto. Install it with `python3 -m venv .venv && \
         .venv/bin/pip install \"moto[server]\"` at the repository root, or set MOTO_SERVER to its path \
         (looked for {})",
        venv.display()
    );
    venv
}

impl Moto {
    /// Starts moto on a free port and waits until it answers.
    pub fn start() -> Moto {
        let exe = moto_path();
        let log_dir = tempfile::tempdir().unwrap();
        let log_path = log_dir.path().join("moto.log");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = File::create(&log_path).unwrap();
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let mut moto = Moto { child, url: format!("http://127.0.0.1:{port}"), _log_dir: log_dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if ureq::get(format!("{}/moto-api/data.json", moto.url)).call().is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("moto_server exited with {status} before answering:\n{log}");
            }
            assert!(Instant::now() < deadline, "moto_server did not answer within 60 s on {}", moto.url);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Our configuration for this server.
    pub fn cfg(&self) -> AwsConfig {
        AwsConfig::local_emulator(&self.url)
    }

    /// Queues SageMaker Runtime answers (moto's `endpoint-results` API, us-east-1, default account).
    pub fn queue_endpoint_results(&self, results: serde_json::Value) {
        let body = serde_json::json!({ "results": results }).to_string();
        ureq::post(format!("{}/moto-api/static/sagemaker/endpoint-results", self.url))
            .header("content-type", "application/json")
            .send(body)
            .expect("moto accepts queued endpoint results");
    }

    /// A raw S3 client (path style) for setting up and reading back.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// A raw SageMaker client for reading back what our calls created.
    pub fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        let conf = aws_sdk_sagemaker::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "t"))
            .build();
        aws_sdk_sagemaker::Client::from_conf(conf)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a future on a throwaway runtime (for the raw SDK clients).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(fut)
}

impl Moto {
    /// A raw STS client signed with the given credentials.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "t"))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// A raw CloudWatch Logs client for writing a job's log.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        let conf = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "t"))
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(conf)
    }

    /// IAM CreateRole as a raw query request (moto routes it by the credential scope and checks no signature);
    /// returns the new role's ARN as IAM reports it.
    pub fn create_role(&self, path: &str, name: &str) -> String {
        self.create_role_trusting(path, name, SAGEMAKER_TRUST)
    }

    /// IAM CreateRole with the trust policy `policy` (see [`Moto::create_role`]).
    pub fn create_role_trusting(&self, path: &str, name: &str, policy: &str) -> String {
        let form = [
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("Path", path),
            ("AssumeRolePolicyDocument", policy),
        ];
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
        let answer = ureq::post(&self.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, \
                 Signature=0",
            )
            .send(body.join("&"))
            .expect("moto creates the role")
            .into_body()
            .read_to_string()
            .unwrap();
        let arn = answer.split("<Arn>").nth(1).and_then(|rest| rest.split("</Arn>").next());
        arn.unwrap_or_else(|| panic!("no role ARN in {answer}")).to_string()
    }
}

/// A trust policy letting SageMaker assume the role.
pub const SAGEMAKER_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The trust policy of an IAM Identity Center permission set's role (`AWSReservedSSO_…`): SAML federation only.
pub const SSO_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#;

/// Form encoding of one value.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
