//! The dense layers' arithmetic: strided matrix views, a bounds-checked GEMM, and the activation and loss
//! functions.

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
