//! Small dense kernels: dot products, axpy and a bounds-checked GEMM on row-major slices.
//!
//! The vector kernels are written so LLVM vectorises them; on x86-64 a copy compiled for AVX2 is chosen at run
//! time when the CPU has it, so one binary runs everywhere and uses wide registers where they exist.

/// Lanes of the vector kernels' accumulators (two AVX2 registers).
const LANES: usize = 16;

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let chunks = n / LANES;
    for c in 0..chunks {
        let (x, y) = (&a[c * LANES..(c + 1) * LANES], &b[c * LANES..(c + 1) * LANES]);
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0;
    for i in chunks * LANES..n {
        tail += a[i] * b[i];
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn axpy_body(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Sums `LANES` lanes pairwise (a tree: log₂ LANES dependent adds instead of LANES).
#[inline(always)]
fn lane_sum(acc: [f32; LANES]) -> f32 {
    let mut v = acc;
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            v[i] += v[i + width];
        }
        width /= 2;
    }
    v[0]
}

#[inline(always)]
fn dot_rows_body<const N: usize>(u: &[f32], table: &[f32], rows: &[u32; N]) -> f32 {
    // u · Σ rows, one lane block at a time: the rows are added element-wise (independent chains), multiplied once
    // and reduced across lanes once per call, not once per row.
    let dim = u.len();
    let slices: [&[f32]; N] = rows.map(|r| &table[r as usize * dim..(r as usize + 1) * dim]);
    let mut acc = [0.0f32; LANES];
    let chunks = dim / LANES;
    for c in 0..chunks {
        let block = c * LANES..(c + 1) * LANES;
        let mut h = [0.0f32; LANES];
        for row in &slices {
            let x = &row[block.clone()];
            for i in 0..LANES {
                h[i] += x[i];
            }
        }
        let w = &u[block];
        for i in 0..LANES {
            acc[i] += w[i] * h[i];
        }
    }
    let mut tail = 0.0;
    for i in chunks * LANES..dim {
        let h: f32 = slices.iter().map(|row| row[i]).sum();
        tail += u[i] * h;
    }
    lane_sum(acc) + tail
}

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

#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::*;

    /// [`super::dot_rows_body`] written with AVX2 intrinsics (LLVM does not vectorise the portable loop well),
    /// performing the same operations in the same order, so both give bit-identical results.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot_rows<const N: usize>(u: &[f32], table: &[f32], rows: &[u32; N]) -> f32 {
        let dim = u.len();
        let slices: [&[f32]; N] = rows.map(|r| &table[r as usize * dim..(r as usize + 1) * dim]);
        let chunks = dim / super::LANES;
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for c in 0..chunks {
            let at = c * super::LANES;
            let (mut h0, mut h1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for row in &slices {
                // SAFETY: every slice (and `u`) is `dim` long and `at + 16 <= chunks * 16 <= dim`.
                unsafe {
                    let p = row.as_ptr().add(at);
                    h0 = _mm256_add_ps(h0, _mm256_loadu_ps(p));
                    h1 = _mm256_add_ps(h1, _mm256_loadu_ps(p.add(8)));
                }
            }
            // SAFETY: as above.
            unsafe {
                let w = u.as_ptr().add(at);
                acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(_mm256_loadu_ps(w), h0));
                acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(_mm256_loadu_ps(w.add(8)), h1));
            }
        }
        // The same tree as `lane_sum`: lanes i + 8, then i + 4, i + 2, i + 1.
        let s = _mm256_add_ps(acc0, acc1);
        let q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
        let d = _mm_add_ps(q, _mm_movehl_ps(q, q));
        let total = _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps::<1>(d, d)));
        let mut tail = 0.0;
        for i in chunks * super::LANES..dim {
            let h: f32 = slices.iter().map(|row| row[i]).sum();
            tail += u[i] * h;
        }
        total + tail
    }
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        super::dot_body(a, b)
    }
    #[target_feature(enable = "avx2")]
    pub unsafe fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
        super::axpy_body(alpha, x, y)
    }
}

#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Dot product of the common prefix of `a` and `b`.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { wide::dot(a, b) };
    }
    dot_body(a, b)
}

/// `u · Σ_r table[r]` over `rows` of a row-major table whose rows are `u.len()` wide.
///
/// Panics if a row lies outside the table.
#[inline]
pub fn dot_rows<const N: usize>(u: &[f32], table: &[f32], rows: &[u32; N]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { wide::dot_rows(u, table, rows) };
    }
    dot_rows_body(u, table, rows)
}

/// `y += alpha * x` over the common prefix.
#[inline]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { wide::axpy(alpha, x, y) };
    }
    axpy_body(alpha, x, y)
}

/// A read-only strided matrix view: element (i, j) is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    /// Backing storage.
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` view.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef { data, rows, cols, rs: cols, cs: 1 }
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        MatRef { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }

    /// Rows `start..start + rows` of this view.
    pub fn row_block(self, start: usize, rows: usize) -> Self {
        assert!(start + rows <= self.rows, "row block out of range");
        let offset = if rows == 0 { 0 } else { start * self.rs };
        MatRef { data: &self.data[offset.min(self.data.len())..], rows, ..self }
    }

    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < self.data.len(), "matrix view exceeds its storage");
        }
    }
}

/// `c = a · b + beta · c` with `c` row-major `a.rows × b.cols`.
pub fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(c.len() >= m * n, "output too small");
    a.check();
    b.check();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].iter_mut().for_each(|x| *x *= beta);
        return;
    }
    // SAFETY: every index the kernel touches was bounds-checked above through `check` and the size of `c`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Logistic sigmoid, stable for large |x|.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Binary cross-entropy of a logit against a 0/1 label, computed stably from the logit.
#[inline]
pub fn bce_with_logit(logit: f32, label: f32) -> f32 {
    // max(x, 0) - x*y + ln(1 + e^-|x|)
    logit.max(0.0) - logit * label + (-logit.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_naive() {
        for n in [0, 1, 7, 16, 33, 128] {
            let a: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 1.0).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-3, "n={n}");
            let mut y = b.clone();
            axpy(2.0, &a, &mut y);
            for i in 0..n {
                assert_eq!(y[i], b[i] + 2.0 * a[i]);
            }
        }
    }

    #[test]
    fn dot_rows_is_the_dot_with_the_sum_of_rows() {
        for dim in [1, 5, 16, 37, 128] {
            let table: Vec<f32> = (0..dim * 10).map(|i| ((i * 7919) % 23) as f32 * 0.25 - 2.5).collect();
            let u: Vec<f32> = (0..dim).map(|i| (i % 9) as f32 * 0.5 - 2.0).collect();
            let rows = [3u32, 0, 9, 3];
            let mut sum = vec![0.0f32; dim];
            for &r in &rows {
                axpy(1.0, &table[r as usize * dim..(r as usize + 1) * dim], &mut sum);
            }
            let naive: f32 = u.iter().zip(&sum).map(|(a, b)| a * b).sum();
            let got = dot_rows(&u, &table, &rows);
            assert!((got - naive).abs() <= 1e-4 * (1.0 + naive.abs()), "dim={dim}: {got} vs {naive}");
            assert_eq!(got.to_bits(), dot_rows_body(&u, &table, &rows).to_bits(), "dim={dim}: SIMD = portable");
        }
        assert_eq!(dot_rows(&[1.0, 2.0], &[1.0, 1.0, 3.0, 4.0], &[]), 0.0);
    }

    #[test]
    fn gemm_matches_naive_with_transposes() {
        let a: Vec<f32> = (0..6).map(|i| i as f32).collect(); // 2×3
        let b: Vec<f32> = (0..12).map(|i| (i as f32) - 4.0).collect(); // 3×4
        let mut c = vec![1.0; 8];
        gemm(MatRef::new(&a, 2, 3), MatRef::new(&b, 3, 4), 0.5, &mut c);
        for i in 0..2 {
            for j in 0..4 {
                let naive: f32 = (0..3).map(|k| a[i * 3 + k] * b[k * 4 + j]).sum::<f32>() + 0.5;
                assert_eq!(c[i * 4 + j], naive);
            }
        }
        // aᵀ·a is 3×3 and symmetric.
        let mut s = vec![0.0; 9];
        gemm(MatRef::new(&a, 2, 3).t(), MatRef::new(&a, 2, 3), 0.0, &mut s);
        assert_eq!(s[1], s[3]);
        assert_eq!(s[0], 0.0 * 0.0 + 3.0 * 3.0);
    }

    #[test]
    fn sigmoid_and_bce_are_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(-100.0) >= 0.0 && sigmoid(100.0) <= 1.0);
        assert!((bce_with_logit(0.0, 1.0) - std::f32::consts::LN_2).abs() < 1e-6);
        assert!(bce_with_logit(-100.0, 1.0).is_finite());
        assert!((bce_with_logit(2.0, 0.0) - (1.0 + 2f32.exp()).ln()).abs() < 1e-5);
    }
}
