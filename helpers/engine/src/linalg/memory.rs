//! How the big tables live in memory: zeroed by writing, offered huge pages, and prefetched ahead of random reads.

/// `len` zeros, written rather than just allocated: the OS backs every page now. A merely allocated zero page is
/// first mapped to the shared zero page on a read and copied on the first write, and that copy costs a page fault
/// plus a TLB flush on every other core running the process, in the middle of multi-threaded training.
///
/// On Linux, large buffers are also offered huge pages first (tables this size are read a row at a time at random,
/// and with 4 KiB pages nearly every row costs a TLB miss); the kernel may decline, which changes nothing else.
pub fn written_zeros(len: usize) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(len);
    #[cfg(target_os = "linux")]
    advise_huge_pages(v.as_mut_ptr().cast(), len * size_of::<f32>());
    v.resize(len, 0.0);
    v
}

/// Asks Linux to back the whole 2 MiB pages inside `start..start + bytes` with huge pages (a hint; failures are
/// ignored).
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 4 * HUGE {
        return;
    }
    let first = (start as usize).next_multiple_of(HUGE);
    let end = (start as usize + bytes) / HUGE * HUGE;
    if end > first {
        // SAFETY: `first..end` lies inside the caller's allocation; MADV_HUGEPAGE only changes how the kernel backs
        // those pages, never their contents or validity.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

/// Hints the CPU to start loading the cache line holding `value`: a performance hint only, nothing is read.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    prefetch_span((value as *const T).cast(), 1);
}

/// Hints the CPU to start loading the `len` floats from `start` (one hint per 64-byte line): a performance hint
/// only, the memory is never read, so any address is fine.
#[inline]
pub fn prefetch_span(start: *const f32, len: usize) {
    for offset in (0..len).step_by(16) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `_mm_prefetch` only hints the cache and never faults, whatever the address.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(start.wrapping_add(offset).cast())
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = offset;
    }
}

/// Hints the CPU to start loading row `r` of a row-major table with rows `dim` wide (a row outside the table is
/// ignored): a performance hint only, nothing is read.
#[inline]
pub fn prefetch_row(table: &[f32], dim: usize, r: u32) {
    let start = r as usize * dim;
    if start + dim <= table.len() {
        prefetch_span(table[start..].as_ptr(), dim);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_zeros_are_zeros_of_the_asked_length() {
        for len in [0, 1, 1000, 5 << 20] {
            let v = written_zeros(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
        }
    }

    #[test]
    fn prefetch_hints_never_read() {
        let table = vec![1.0f32; 64];
        prefetch_row(&table, 16, 3);
        prefetch_row(&table, 16, 1_000_000); // outside the table: ignored
        prefetch_span(std::ptr::null(), 64); // any address is fine
        prefetch(&table[0]);
    }
}
