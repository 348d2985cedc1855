//! Latency percentiles, process memory and file descriptors.

use std::time::Duration;

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    /// Records one request's latency.
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u128::from(u32::MAX)) as u32);
    }

    /// Merges another set of samples.
    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sorts the samples; call before [`Latencies::percentile`].
    pub fn sort(&mut self) {
        self.0.sort_unstable();
    }

    /// The `p`-th percentile (0–100) in microseconds of sorted samples, 0 without samples.
    pub fn percentile(&self, p: f64) -> u32 {
        if self.0.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank]
    }
}

/// VmRSS of process `pid` in KiB, from /proc/PID/status.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Open file descriptors of process `pid`, from /proc/PID/fd.
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Raises this process's soft open-file limit to its hard limit (children inherit it); returns the new limit.
/// For the benchmarks only: thousands of connections need thousands of descriptors on both sides.
pub fn raise_fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read and write one rlimit struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return None;
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux
    Some(limit.rlim_cur as u64)
}

/// "12.3 MiB", or "n/a".
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut l = Latencies::default();
        for us in (1..=100).rev() {
            l.push(Duration::from_micros(us));
        }
        l.sort();
        assert_eq!((l.percentile(50.0), l.percentile(99.0), l.percentile(100.0)), (51, 99, 100));
        assert!(rss_kib(std::process::id()).unwrap() > 0);
        let before = open_fds(std::process::id()).unwrap();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(open_fds(std::process::id()).unwrap(), before + 1);
        drop(file);
    }
}
