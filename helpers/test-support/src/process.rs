//! The emulators' processes: started without the tests' AWS profile, stopped on drop.

use std::process::{Child, ChildStdin, Command};
use std::time::{Duration, Instant};

/// `command` without the caller's AWS profile and config files: an emulator is a server, and the profile a test
/// points its clients at is not its own (moto's boto3 session fails every request with ProfileNotFound when
/// `AWS_PROFILE` names a profile of another config file).
pub(crate) fn without_aws_profile(command: &mut Command) -> &mut Command {
    for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        command.env_remove(name);
    }
    command
}

/// A child process stopped on drop: its standard input closed (the emulators exit then), `grace` to exit, then
/// killed.
pub(crate) struct Stopped {
    /// The process.
    pub child: Child,
    /// Its standard input, if it stops when that closes.
    pub stdin: Option<ChildStdin>,
    /// How long it may take to exit once its standard input is closed.
    pub grace: Duration,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if self.stdin.take().is_some() {
            let deadline = Instant::now() + self.grace;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
