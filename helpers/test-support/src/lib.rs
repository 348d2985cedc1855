//! What the integration tests share, written once: a moto server ([`moto::Moto`]), a scripted server where moto
//! cannot stand in for AWS ([`replay::Replay`]), the two emulated accounts (`tests/account_emulation.py` as
//! [`account::AccountEmulator`], `tests/aws_emulation.py` as [`sagemaker::SageMakerEmulator`]), and how their
//! processes are found, started and stopped. A dev-dependency only; feature `sdk` adds our `AwsConfig` for each
//! server and raw AWS SDK clients.

pub mod account;
pub mod moto;
mod process;
pub mod replay;
pub mod sagemaker;

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with moto: `ACCOUNT_EMULATION_PYTHON`, else `PYTHON`, else the repository's `.venv/bin/python`;
/// fails the test, saying how to get it, when it does not exist.
pub fn python() -> PathBuf {
    let chosen = ["ACCOUNT_EMULATION_PYTHON", "PYTHON"].iter().find_map(std::env::var_os);
    let python = chosen.map(PathBuf::from).unwrap_or_else(|| repo().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "{} not found: these tests need the virtualenv with moto (scripts/setup creates it; or set \
         ACCOUNT_EMULATION_PYTHON)",
        python.display()
    );
    python
}

/// A tool installed in the same virtualenv as [`python`] (e.g. `cfn-lint`).
pub fn venv_tool(name: &str) -> PathBuf {
    python().with_file_name(name)
}

/// Runs a future on a throwaway runtime (for the raw SDK clients).
#[cfg(feature = "sdk")]
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(fut)
}

/// An SDK configuration for raw clients of the server at `url`: test credentials, us-east-1.
#[cfg(feature = "sdk")]
fn sdk_config(url: &str) -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "test",
        )))
        .build()
}

/// A folder for set-up that one test binary's tests share (e.g. one trained model, kept in a `OnceLock`, which is
/// never dropped): `<tmp>/<name>-<pid>`, where `tmp` is the test crate's `env!("CARGO_TARGET_TMPDIR")`. What
/// earlier runs left (folders of processes that are gone) is removed first.
pub fn shared_dir(tmp: &str, name: &str) -> PathBuf {
    let tmp = std::path::Path::new(tmp);
    let prefix = format!("{name}-");
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let file_name = entry.file_name();
        let pid = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = tmp.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Every file below `dir` (depth first), each with its path from `root` as an S3 key (`/`-separated).
pub fn files_below(root: &std::path::Path, dir: &std::path::Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let key = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((path, key));
            }
        }
    }
    out
}
