//! A moto server per test (S3, SageMaker, SageMaker Runtime, STS, IAM and CloudWatch Logs on one port): started on a
//! free loopback port without the tests' AWS profile, waited for, killed on drop; or one per test binary
//! ([`Moto::shared`]), which stops when the test process ends.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::process::{without_aws_profile, Stopped};

/// A running `moto_server`, killed on drop.
pub struct Moto {
    process: Stopped,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its log's folder, kept while it runs (the shared server's is removed once it serves: see [`Moto::shared`]).
    _log_dir: Option<tempfile::TempDir>,
}

/// `MOTO_SERVER`, else the repository's `.venv/bin/moto_server`; fails the test when neither exists.
fn moto_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(path.exists(), "MOTO_SERVER={} does not exist", path.display());
        return path;
    }
    let venv = crate::repo().join(".venv/bin/moto_server");
    assert!(
        venv.exists(),
        "moto_server not found: these tests need moto. Install it with `python3 -m venv .venv && \
         .venv/bin/pip install \"moto[server]\"` at the repository root (scripts/setup does), or set MOTO_SERVER \
         to its path (looked for {})",
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
        let child = without_aws_profile(&mut Command::new(&exe))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let process = Stopped { child, stdin: None, grace: Duration::ZERO };
        let mut moto = Moto { process, url: format!("http://127.0.0.1:{port}"), _log_dir: Some(log_dir) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if ureq::get(format!("{}/moto-api/data.json", moto.url)).call().is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.process.child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("moto_server exited with {status} before answering:\n{log}");
            }
            assert!(Instant::now() < deadline, "moto_server did not answer within 60 s on {}", moto.url);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One moto server for the whole test binary, started by the first test that asks: for tests that share
    /// expensive set-up and keep out of each other's way by their resources' names. It stops when the test process
    /// ends, however it ends (it serves until its standard input, held by this process, closes). It runs on the
    /// Python beside `moto_server`; its log is read if it fails to start, and removed once it serves (a static is
    /// never dropped).
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(|| {
            let python = moto_path().with_file_name("python");
            let log_dir = tempfile::tempdir().unwrap();
            let log_path = log_dir.path().join("moto.log");
            let mut child = without_aws_profile(&mut Command::new(&python))
                .args(["-c", SERVE_UNTIL_STDIN_CLOSES])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(File::create(&log_path).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()));
            let (stdin, stdout) = (child.stdin.take(), child.stdout.take().unwrap());
            let process = Stopped { child, stdin, grace: Duration::from_secs(5) };
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            let port: u16 = line.trim().parse().unwrap_or_else(|_| {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("moto did not start (it said {line:?}):\n{log}")
            });
            drop(log_dir);
            Moto { process, url: format!("http://127.0.0.1:{port}"), _log_dir: None }
        })
    }

    /// Queues SageMaker Runtime answers (moto's `endpoint-results` API, us-east-1, default account).
    pub fn queue_endpoint_results(&self, results: serde_json::Value) {
        let body = serde_json::json!({ "results": results }).to_string();
        ureq::post(format!("{}/moto-api/static/sagemaker/endpoint-results", self.url))
            .header("content-type", "application/json")
            .send(body)
            .expect("moto accepts queued endpoint results");
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
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let answer = ureq::post(&self.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, \
                 Signature=0",
            )
            .send(body)
            .expect("moto creates the role")
            .into_body()
            .read_to_string()
            .unwrap();
        let arn = answer.split("<Arn>").nth(1).and_then(|rest| rest.split("</Arn>").next());
        arn.unwrap_or_else(|| panic!("no role ARN in {answer}")).to_string()
    }
}

#[cfg(feature = "sdk")]
impl Moto {
    /// Our configuration for this server.
    pub fn cfg(&self) -> ipinsights_aws_calls::AwsConfig {
        ipinsights_aws_calls::AwsConfig::local_emulator(&self.url)
    }

    /// An SDK configuration for raw clients (test credentials, us-east-1, this endpoint).
    pub fn sdk(&self) -> aws_config::SdkConfig {
        crate::sdk_config(&self.url)
    }

    /// A raw S3 client (path style) for setting up and reading back.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk());
        aws_sdk_s3::Client::from_conf(conf.force_path_style(true).build())
    }

    /// A raw SageMaker client for reading back what our calls created.
    pub fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(&self.sdk())
    }

    /// A raw STS client.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk())
    }

    /// A raw CloudWatch Logs client for writing a job's log.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk())
    }
}

/// A trust policy letting SageMaker assume the role.
pub const SAGEMAKER_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The trust policy of an IAM Identity Center permission set's role (`AWSReservedSSO_…`): SAML federation only.
pub const SSO_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#;

/// Serves moto on a free loopback port, prints the port, and stops when standard input closes.
const SERVE_UNTIL_STDIN_CLOSES: &str = "
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
";
