//! How many connections this process can hold: the open-file limit, less room for everything else.

/// File descriptors kept free for the listener, refusals, model files and whatever else the process opens.
const RESERVED_FDS: u64 = 256;

/// `wanted` lowered to what the process's open-file limit leaves room for (at least 1).
pub(crate) fn connection_cap(wanted: usize) -> usize {
    match open_file_limit() {
        Some(limit) => wanted.min(usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)).max(1),
        None => wanted.max(1),
    }
}

/// The soft `RLIMIT_NOFILE`, where the platform has one.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the struct we own; no other memory is touched.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    // rlim_t is u64 on Linux and macOS, other widths elsewhere.
    #[allow(clippy::unnecessary_cast)]
    let soft = limit.rlim_cur as u64;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(soft)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_under_the_limit() {
        let limit = open_file_limit().expect("Linux has an open-file limit");
        assert_eq!(connection_cap(usize::MAX) as u64, limit.saturating_sub(RESERVED_FDS).max(1));
        assert_eq!(connection_cap(3), 3);
        assert_eq!(connection_cap(0), 1);
    }
}
