//! Splitting work across a fixed number of scoped threads, deterministically.

use std::ops::Range;

/// The number of worker threads to use by default: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Splits `0..n` into at most `parts` contiguous, near-equal, non-empty ranges (in order).
pub fn ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    let (base, extra) = (n / parts, n % parts);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for p in 0..parts {
        let len = base + usize::from(p < extra);
        if len > 0 {
            out.push(start..start + len);
        }
        start += len;
    }
    out
}

/// Runs `work(range, out_chunk)` for each range of `0..n` on its own thread, where `out_chunk` is the part of
/// `out` holding `width` values per item of the range. Runs inline when there is one range.
pub fn for_each_chunk<T: Send, F>(n: usize, threads: usize, width: usize, out: &mut [T], work: F)
where
    F: Fn(Range<usize>, &mut [T]) + Sync,
{
    assert!(out.len() >= n * width, "output too small for {n} items of width {width}");
    let parts = ranges(n, threads);
    if parts.len() <= 1 {
        work(0..n, &mut out[..n * width]);
        return;
    }
    std::thread::scope(|scope| {
        let mut rest = &mut out[..n * width];
        let mut handles = Vec::with_capacity(parts.len());
        for range in parts {
            let (chunk, tail) = rest.split_at_mut(range.len() * width);
            rest = tail;
            let work = &work;
            handles.push(scope.spawn(move || work(range, chunk)));
        }
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// Like [`for_each_chunk`] without an output buffer: each range returns a value; results come back in order.
pub fn map_ranges<R: Send, F>(n: usize, threads: usize, work: F) -> Vec<R>
where
    F: Fn(Range<usize>) -> R + Sync,
{
    let parts = ranges(n, threads);
    if parts.len() <= 1 {
        return parts.into_iter().map(&work).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.into_iter().map(|r| scope.spawn(|| work(r))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_exactly() {
        assert_eq!(ranges(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(ranges(2, 8), vec![0..1, 1..2]);
        assert_eq!(ranges(0, 4), Vec::<Range<usize>>::new());
    }

    #[test]
    fn chunks_write_their_own_part() {
        let mut out = vec![0usize; 20];
        for_each_chunk(10, 3, 2, &mut out, |range, chunk| {
            for (i, item) in range.clone().enumerate() {
                chunk[2 * i] = item;
                chunk[2 * i + 1] = item * 10;
            }
        });
        assert_eq!(out[6..8], [3, 30]);
        assert_eq!(map_ranges(10, 4, |r| r.len()), vec![3, 3, 2, 2]);
    }
}
