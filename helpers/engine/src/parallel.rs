//! Splitting work across a fixed set of worker threads, deterministically.
//!
//! [`Workers`] owns a small thread pool of its own (never a process-global one: notebooks load a fresh copy of
//! this crate into every cell, so global state would not survive anyway). Work is split into contiguous ranges
//! fixed by the item count and the thread count, so results do not depend on scheduling.

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

/// A fixed number of worker threads: the calling thread plus a private pool of `threads − 1` (one thread means
/// everything runs inline). The caller always works on the last range itself instead of waiting idle.
pub struct Workers {
    threads: usize,
    pool: Option<rayon::ThreadPool>,
}

impl Workers {
    /// Workers with `threads` threads (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let pool = (threads > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads - 1)
                    .thread_name(|i| format!("ipinsights-{i}"))
                    .build()
                    .ok()
            })
            .flatten();
        let threads = if pool.is_some() { threads } else { 1 };
        Workers { threads, pool }
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work(range, out_chunk)` for each range of `0..n`, where `out_chunk` is the part of `out` holding
    /// `width` values per item of the range.
    pub fn for_each_chunk<T: Send, F>(&self, n: usize, width: usize, out: &mut [T], work: F)
    where
        F: Fn(Range<usize>, &mut [T]) + Sync,
    {
        self.map_chunks(n, width, out, work);
    }

    /// Like [`Workers::for_each_chunk`], returning each range's result in range order.
    pub fn map_chunks<T: Send, R: Send, F>(&self, n: usize, width: usize, out: &mut [T], work: F) -> Vec<R>
    where
        F: Fn(Range<usize>, &mut [T]) -> R + Sync,
    {
        assert!(out.len() >= n * width, "output too small for {n} items of width {width}");
        let parts = ranges(n, self.threads);
        let Some(pool) = self.pool.as_ref().filter(|_| parts.len() > 1) else {
            return parts
                .into_iter()
                .map(|range| work(range.clone(), &mut out[range.start * width..range.end * width]))
                .collect();
        };
        let mut results: Vec<Option<R>> = parts.iter().map(|_| None).collect();
        pool.in_place_scope(|scope| {
            let mut rest = &mut out[..n * width];
            let work = &work;
            let count = parts.len();
            for (k, (slot, range)) in results.iter_mut().zip(parts).enumerate() {
                let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(range.len() * width);
                rest = tail;
                if k + 1 == count {
                    *slot = Some(work(range, chunk)); // the calling thread takes the last range
                } else {
                    scope.spawn(move |_| *slot = Some(work(range, chunk)));
                }
            }
        });
        results.into_iter().map(|r| r.expect("every range ran")).collect()
    }

    /// Runs `work(index, part)` for every part, moving each part to its own task (the calling thread takes the
    /// last), and returns the results in part order. Callers split their outputs into one part per thread, so a
    /// phase can fill several outputs at once instead of waking the pool once per output.
    pub fn run_parts<P: Send, R: Send, F>(&self, parts: Vec<P>, work: F) -> Vec<R>
    where
        F: Fn(usize, P) -> R + Sync,
    {
        let Some(pool) = self.pool.as_ref().filter(|_| parts.len() > 1) else {
            return parts.into_iter().enumerate().map(|(k, part)| work(k, part)).collect();
        };
        let mut results: Vec<Option<R>> = parts.iter().map(|_| None).collect();
        pool.in_place_scope(|scope| {
            let work = &work;
            let count = parts.len();
            for (k, (slot, part)) in results.iter_mut().zip(parts).enumerate() {
                if k + 1 == count {
                    *slot = Some(work(k, part)); // the calling thread takes the last part
                } else {
                    scope.spawn(move |_| *slot = Some(work(k, part)));
                }
            }
        });
        results.into_iter().map(|r| r.expect("every part ran")).collect()
    }

    /// Splits `out` (`width` values per item of `0..n`) into this pool's ranges of `0..n`: one `(range, chunk)`
    /// per thread, for [`Workers::run_parts`].
    pub fn split<'a, T>(&self, n: usize, width: usize, out: &'a mut [T]) -> Vec<(Range<usize>, &'a mut [T])> {
        let spans = ranges(n, self.threads);
        let mut rest = &mut out[..n * width];
        let mut parts = Vec::with_capacity(self.threads);
        for k in 0..self.threads {
            let range = spans.get(k).cloned().unwrap_or(n..n);
            let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(range.len() * width);
            rest = tail;
            parts.push((range, chunk));
        }
        parts
    }

    /// Runs `work(range)` for each range of `0..n` and returns the results in range order.
    pub fn map_ranges<R: Send, F>(&self, n: usize, work: F) -> Vec<R>
    where
        F: Fn(Range<usize>) -> R + Sync,
    {
        let parts = ranges(n, self.threads);
        let mut results: Vec<Option<R>> = parts.iter().map(|_| None).collect();
        let Some(pool) = self.pool.as_ref().filter(|_| parts.len() > 1) else {
            return parts.into_iter().map(&work).collect();
        };
        pool.in_place_scope(|scope| {
            let work = &work;
            let count = parts.len();
            for (k, (slot, range)) in results.iter_mut().zip(parts).enumerate() {
                if k + 1 == count {
                    *slot = Some(work(range)); // the calling thread takes the last range
                } else {
                    scope.spawn(move |_| *slot = Some(work(range)));
                }
            }
        });
        results.into_iter().map(|r| r.expect("every range ran")).collect()
    }
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
        for threads in [1, 3] {
            let workers = Workers::new(threads);
            let mut out = vec![0usize; 20];
            workers.for_each_chunk(10, 2, &mut out, |range, chunk| {
                for (i, item) in range.clone().enumerate() {
                    chunk[2 * i] = item;
                    chunk[2 * i + 1] = item * 10;
                }
            });
            assert_eq!(out[6..8], [3, 30]);
            assert_eq!(out.iter().sum::<usize>(), 45 * 11);
        }
        assert_eq!(Workers::new(4).map_ranges(10, |r| r.len()), vec![3, 3, 2, 2]);
        assert_eq!(Workers::new(4).threads(), 4);
    }

    #[test]
    fn parts_run_once_each_and_splits_cover_every_thread() {
        let workers = Workers::new(3);
        let (mut a, mut b) = (vec![0usize; 7], vec![0usize; 4]);
        let parts: Vec<_> = workers.split(7, 1, &mut a).into_iter().zip(workers.split(2, 2, &mut b)).collect();
        assert_eq!(parts.len(), 3, "one part per thread, even when a split has fewer items than threads");
        let sums = workers.run_parts(parts, |k, ((ra, ca), (rb, cb))| {
            ca.iter_mut().zip(ra.clone()).for_each(|(x, i)| *x = i);
            cb.iter_mut().for_each(|x| *x = k + 1);
            ra.len() + rb.len()
        });
        assert_eq!(sums.iter().sum::<usize>(), 9);
        assert_eq!(a, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(b, [1, 1, 2, 2]);
    }
}
