//! A moto server for the facade's AWS tests: started on a free loopback port, killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free loopback port, killed on drop.
pub struct Moto {
    child: Child,
    /// Its endpoint URL.
    pub url: String,
}

impl Moto {
    /// Starts `.venv/bin/moto_server` (or `MOTO_SERVER`) and waits until it answers; fails the test when missing.
    pub fn start() -> Moto {
        let exe = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server"));
        assert!(
            exe.exists(),
            "moto_server not found at {} (scripts/setup installs it; or set MOTO_SERVER)",
            exe.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // The emulator is a server: the profile a test points its clients at is not its own (moto's boto3 session
        // fails every request with ProfileNotFound when AWS_PROFILE names a profile of another config file).
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(format!("{}/moto-api/data.json", moto.url)).call().is_err() {
            assert!(moto.child.try_wait().unwrap().is_none(), "moto_server exited early");
            assert!(Instant::now() < deadline, "moto_server did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
