//! Adam with L2 weight decay, for dense tensors and for selected rows of embedding tables.
//!
//! Embedding tables use *lazy* Adam (as TensorFlow's LazyAdam): only the rows a mini-batch touched are updated,
//! and their moments decay only when they are touched. This keeps a step's cost proportional to the batch, not to
//! the table, at the price of slightly different dynamics for rarely seen rows than dense Adam.

use crate::parallel::Workers;

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPSILON: f32 = 1e-8;

/// First and second moments for one tensor.
#[derive(Debug, Clone)]
pub struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Moments {
    /// Zeroed moments for a tensor of `len` values.
    pub fn new(len: usize) -> Self {
        Moments { m: vec![0.0; len], v: vec![0.0; len] }
    }
}

/// The per-step constants of one Adam step.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    lr_t: f32,
    weight_decay: f32,
}

impl AdamStep {
    /// Constants for step `t` (1-based) with bias correction folded into the learning rate.
    pub fn new(learning_rate: f64, weight_decay: f64, t: u64) -> Self {
        let t = t as i32;
        let correction = (1.0 - f64::from(BETA2).powi(t)).sqrt() / (1.0 - f64::from(BETA1).powi(t));
        AdamStep { lr_t: (learning_rate * correction) as f32, weight_decay: weight_decay as f32 }
    }

    /// The same step without weight decay (for biases).
    pub fn without_decay(self) -> Self {
        AdamStep { weight_decay: 0.0, ..self }
    }

    /// Updates `param` from `grad` (plus `weight_decay · param`) and the moments `m`, `v`, element-wise.
    #[inline]
    pub fn apply(&self, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.apply_avx2(param, grad, m, v) };
        }
        self.apply_body(param, grad, m, v)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn apply_avx2(&self, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.apply_body(param, grad, m, v)
    }

    #[inline(always)]
    fn apply_body(&self, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let n = param.len();
        let (grad, m, v) = (&grad[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let g = grad[i] + self.weight_decay * param[i];
            m[i] = BETA1 * m[i] + (1.0 - BETA1) * g;
            v[i] = BETA2 * v[i] + (1.0 - BETA2) * g * g;
            param[i] -= self.lr_t * m[i] / (v[i].sqrt() + EPSILON);
        }
    }

    /// Dense update of a whole tensor.
    pub fn dense(&self, param: &mut [f32], grad: &[f32], moments: &mut Moments) {
        self.apply(param, grad, &mut moments.m, &mut moments.v);
    }

    /// Lazy update of `rows` (distinct) of a `dim`-wide table; `grads` holds one gradient row per entry of `rows`.
    pub(crate) fn rows(
        &self,
        table: &mut [f32],
        dim: usize,
        rows: &[u32],
        grads: &[f32],
        moments: &mut Moments,
        workers: &Workers,
    ) {
        assert_eq!(grads.len(), rows.len() * dim, "one gradient row per table row");
        self.rows_with(table, dim, rows, moments, workers, |k, g| g.copy_from_slice(&grads[k * dim..(k + 1) * dim]));
    }

    /// Lazy update of `rows` (distinct) of a `dim`-wide table, where `gradient(k, out)` writes the gradient of
    /// `rows[k]` into `out` (zeroed first). Computing each gradient right before its update keeps the batch's
    /// gradient rows out of memory altogether.
    pub(crate) fn rows_with<G>(
        &self,
        table: &mut [f32],
        dim: usize,
        rows: &[u32],
        moments: &mut Moments,
        workers: &Workers,
        gradient: G,
    ) where
        G: Fn(usize, &mut [f32]) + Sync,
    {
        assert!(rows.iter().all(|&r| (r as usize + 1) * dim <= table.len()), "row outside the table");
        debug_assert!(
            {
                let mut sorted = rows.to_vec();
                sorted.sort_unstable();
                sorted.windows(2).all(|w| w[0] != w[1])
            },
            "rows must be distinct"
        );
        let shared = SharedRows { param: table.as_mut_ptr(), m: moments.m.as_mut_ptr(), v: moments.v.as_mut_ptr() };
        let update = |range: std::ops::Range<usize>| {
            let shared = &shared;
            let mut grad = vec![0.0f32; dim];
            for k in range {
                grad.fill(0.0);
                gradient(k, &mut grad);
                let start = rows[k] as usize * dim;
                // SAFETY: `rows` are distinct (callers deduplicate them; checked in debug builds) and inside the
                // table (asserted above), so every thread writes disjoint slices; moments have the table's length.
                let (p, m, v) = unsafe { shared.row(start, dim) };
                self.apply(p, &grad, m, v);
            }
        };
        if rows.len() * dim < 1 << 14 {
            update(0..rows.len());
        } else {
            workers.map_ranges(rows.len(), update);
        }
    }
}

/// Raw pointers to a table and its moments, shared by threads that update disjoint rows.
struct SharedRows {
    param: *mut f32,
    m: *mut f32,
    v: *mut f32,
}

// SAFETY: only used by `AdamStep::rows`, whose threads touch disjoint rows.
unsafe impl Sync for SharedRows {}

impl SharedRows {
    /// # Safety
    /// `start..start + dim` must be inside the table and not used by any other thread at the same time.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, start: usize, dim: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
        (
            std::slice::from_raw_parts_mut(self.param.add(start), dim),
            std::slice::from_raw_parts_mut(self.m.add(start), dim),
            std::slice::from_raw_parts_mut(self.v.add(start), dim),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_learning_rate_against_the_gradient_sign() {
        // With bias correction, Adam's first step is lr · g / (|g| + ε) ≈ lr · sign(g).
        let step = AdamStep::new(0.01, 0.0, 1);
        let mut p = vec![1.0, 1.0, 1.0];
        let mut moments = Moments::new(3);
        step.dense(&mut p, &[0.5, -2.0, 0.0], &mut moments);
        assert!((p[0] - 0.99).abs() < 1e-6, "{p:?}");
        assert!((p[1] - 1.01).abs() < 1e-6, "{p:?}");
        assert_eq!(p[2], 1.0);
    }

    #[test]
    fn matches_hand_computed_second_step() {
        let (lr, g1, g2) = (0.1f64, 0.2f64, -0.4f64);
        let mut p = vec![0.0f32];
        let mut moments = Moments::new(1);
        AdamStep::new(lr, 0.0, 1).dense(&mut p, &[g1 as f32], &mut moments);
        AdamStep::new(lr, 0.0, 2).dense(&mut p, &[g2 as f32], &mut moments);
        // Reference computed in f64 from the textbook formulas.
        let m1 = 0.1 * g1;
        let v1 = 0.001 * g1 * g1;
        let p1 = -lr * (m1 / 0.1) / ((v1 / 0.001).sqrt() + 1e-8);
        let m2 = 0.9 * m1 + 0.1 * g2;
        let v2 = 0.999 * v1 + 0.001 * g2 * g2;
        let p2 = p1 - lr * (m2 / (1.0 - 0.81)) / ((v2 / (1.0 - 0.999f64.powi(2))).sqrt() + 1e-8);
        assert!((f64::from(p[0]) - p2).abs() < 1e-5, "{} vs {p2}", p[0]);
    }

    #[test]
    fn weight_decay_pulls_towards_zero_and_rows_touch_only_their_rows() {
        let step = AdamStep::new(0.01, 1.0, 1);
        let mut table = vec![2.0f32; 8]; // 4 rows × 2
        let mut moments = Moments::new(8);
        step.rows(&mut table, 2, &[3, 1], &[0.0, 0.0, 0.0, 0.0], &mut moments, &Workers::new(2));
        assert_eq!(&table[0..2], &[2.0, 2.0]);
        assert_eq!(&table[4..6], &[2.0, 2.0]);
        assert!(table[2] < 2.0 && table[6] < 2.0, "decay moves touched rows: {table:?}");
    }
}
