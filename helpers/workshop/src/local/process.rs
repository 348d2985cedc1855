//! Signals only to a process verified to be one endpoint's `ipinsights serve` server.
//!
//! A process id read from a record on disk is untrusted: the record may be stale (the server exited and the id
//! was reused) or hostile. `kill(0, …)` signals our whole process group, `kill(-1, …)` every process we may
//! signal, and ids past `i32::MAX` wrap to negative ones. So a pid is used only when it is a positive id other
//! than init's and ours, of a live process whose command line is `…/ipinsights serve … --name NAME …
//! --model-dir DIR …` for this very endpoint. Where that cannot be verified (no `/proc`), nothing is signalled:
//! the server still stops when the kernel that started it exits (`--exit-with-stdin`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A live process verified to be the server of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointProcess {
    pid: libc::pid_t,
}

impl EndpointProcess {
    /// The process `pid` if it is the `ipinsights serve` server of endpoint `name` serving `model_dir` (see the
    /// module docs); `None` for anything else.
    pub fn verify(pid: u32, name: &str, model_dir: &Path) -> Option<EndpointProcess> {
        let pid = libc::pid_t::try_from(pid).ok().filter(|&p| p > 1)?;
        if u32::try_from(pid).ok() == Some(std::process::id()) {
            return None;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let value_of = |flag: &str| args.windows(2).find(|w| w[0] == flag.as_bytes()).map(|w| w[1]);
        let program = Path::new(OsStr::from_bytes(args.first()?));
        let ours = program.file_name() == Some(OsStr::new("ipinsights"))
            && args.get(1) == Some(&b"serve".as_slice())
            && value_of("--name") == Some(name.as_bytes())
            && value_of("--model-dir") == Some(model_dir.as_os_str().as_bytes());
        ours.then_some(EndpointProcess { pid })
    }

    /// Its process id (always > 1).
    pub fn pid(self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// Asks the server to stop (SIGTERM).
    pub fn terminate(self) -> std::io::Result<()> {
        // SAFETY: kill(2) takes two integers and has no memory-safety preconditions; `pid` is a verified
        // positive id of our endpoint's server, never 0 or -1 (see `verify`).
        if unsafe { libc::kill(self.pid, libc::SIGTERM) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Collects the exit status once the server has exited, if this process started it (so it does not linger as
    /// a zombie); gives up after about two seconds.
    pub fn reap(self) {
        let mut status = 0;
        for _ in 0..100 {
            // SAFETY: waitpid on a verified positive pid with WNOHANG only writes the status into a local integer.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if r != 0 {
                return; // reaped, or not our child
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn hostile_and_foreign_pids_are_never_verified() {
        let dir = Path::new("/m");
        for pid in [0, 1, u32::MAX, i32::MAX as u32 + 1, std::process::id()] {
            assert_eq!(EndpointProcess::verify(pid, "e", dir), None, "pid {pid}");
        }
        // A live process that is not an endpoint server.
        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        assert_eq!(EndpointProcess::verify(sleeper.id(), "e", dir), None);
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
    }

    #[test]
    fn a_server_command_line_is_verified_for_its_own_endpoint_only() {
        use std::os::unix::process::CommandExt;
        // A stand-in whose command line reads like a server's: bash named `…/ipinsights`, running a script file
        // named `serve` that waits for SIGTERM.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("serve"), "trap 'exit 143' TERM\nwhile :; do sleep 0.05; done\n").unwrap();
        let mut fake = Command::new("bash")
            .arg0("/opt/bin/ipinsights")
            .args(["serve", "--name", "e1", "--model-dir", "/m/e1"])
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        let pid = fake.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let process = loop {
            // Until exec(2) runs, the child still shows this test's command line.
            if let Some(process) = EndpointProcess::verify(pid, "e1", Path::new("/m/e1")) {
                break process;
            }
            assert!(std::time::Instant::now() < deadline, "the stand-in never showed its command line");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(EndpointProcess::verify(pid, "e2", Path::new("/m/e1")), None, "another endpoint's name");
        assert_eq!(EndpointProcess::verify(pid, "e1", Path::new("/m/e2")), None, "another model");
        assert_eq!(process.pid(), pid);
        process.terminate().unwrap();
        let status = fake.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert!(status.code() == Some(143) || status.signal() == Some(libc::SIGTERM), "stopped by SIGTERM: {status:?}");
    }
}
