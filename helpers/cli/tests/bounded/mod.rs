//! Runs the `ipinsights` binary as the hardening probes did: under a 4 GiB address-space limit, with its peak
//! resident memory measured by the kernel (`wait4`'s `ru_maxrss`), so a test can hold a command to a memory bound.

#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};

/// The address-space limit every probe ran under.
pub const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;

/// The memory bound the hardening goals set for every probe.
pub const PEAK_RSS_GOAL_MIB: f64 = 512.0;

/// What a bounded run left: its exit status, output and peak resident memory.
pub struct Bounded {
    /// How the process ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// Its peak resident set, in MiB.
    pub peak_rss_mib: f64,
}

impl Bounded {
    /// Panics unless the run ended by exiting (no signal, no abort) with a peak RSS within the goal.
    pub fn assert_bounded(&self, what: &str) -> &Self {
        assert!(
            self.status.code().is_some(),
            "{what}: killed by signal {:?} (abort or out of memory); stderr: {}",
            self.status.signal(),
            self.stderr
        );
        assert!(
            self.peak_rss_mib <= PEAK_RSS_GOAL_MIB,
            "{what}: peak RSS {:.0} MiB > {PEAK_RSS_GOAL_MIB} MiB; stderr: {}",
            self.peak_rss_mib,
            self.stderr
        );
        self
    }

    /// Panics unless the run failed cleanly (exit code 1 or 2) with `needle` in its stderr.
    pub fn assert_refused(&self, what: &str, needle: &str) -> &Self {
        self.assert_bounded(what);
        assert!(!self.status.success(), "{what}: should fail; stdout: {}", self.stdout);
        assert!(self.stderr.contains(needle), "{what}: stderr lacks {needle:?}: {}", self.stderr);
        self
    }
}

/// How long [`run`] lets a probe go before it is killed and the test fails.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `ipinsights ARGS` under [`ADDRESS_SPACE_LIMIT`], returning its status, output and peak RSS.
pub fn run(args: &[&str]) -> Bounded {
    run_within(args, PROBE_TIMEOUT)
}

/// Waits for `pid` with `wait4`, returning its exit status and peak resident set in MiB.
fn wait_with_peak_rss(pid: libc::pid_t) -> (ExitStatus, f64) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: wait4 writes one int and one rusage, both owned by this frame.
        let done = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if done == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert_eq!(error.kind(), std::io::ErrorKind::Interrupted, "wait4: {error}");
    }
    // ru_maxrss is in KiB on Linux.
    (ExitStatus::from_raw(status), usage.ru_maxrss as f64 / 1024.0)
}

/// Runs `ipinsights ARGS` under [`ADDRESS_SPACE_LIMIT`]; a run still going after `timeout` is killed and the test
/// fails, naming the command: a probe that would hang (a FIFO opened for reading, an endless walk) cannot hang the
/// suite.
// The child is reaped by `wait4` in `wait_with_peak_rss`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_within(args: &[&str], timeout: std::time::Duration) -> Bounded {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ipinsights"));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and only calls setrlimit, which is
    // async-signal-safe, on a struct it owns.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: ADDRESS_SPACE_LIMIT, rlim_max: ADDRESS_SPACE_LIMIT };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("spawn ipinsights");
    let pid = child.id() as libc::pid_t;
    let (finished, finished_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let late = finished_rx.recv_timeout(timeout).is_err();
        if late {
            // SAFETY: `pid` is our child, not yet reaped (it is reaped only after this thread is joined).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        late
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let stderr = reader.join().unwrap();
    let _ = finished.send(());
    let killed = watchdog.join().unwrap();
    let (status, peak_rss_mib) = wait_with_peak_rss(pid);
    assert!(!killed, "ipinsights {args:?} did not finish within {timeout:?} (killed); stderr: {stderr}");
    Bounded { status, stdout, stderr, peak_rss_mib }
}
