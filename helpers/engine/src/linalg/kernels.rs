//! Vector kernels: dot products, axpy and the dot product with a sum of table rows.
//!
//! The kernels are written so LLVM vectorises them; on x86-64 a copy compiled for AVX2 is chosen at run
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

/// Whether the CPU runs AVX2 code (the one run-time CPU check of the engine's kernels).
#[inline]
pub(crate) fn has_avx2() -> bool {
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
            assert_eq!(dot(&a, &b).to_bits(), dot_body(&a, &b).to_bits(), "n={n}: SIMD = portable");
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
}
