//! Adam with L2 weight decay, for dense tensors and for selected rows of embedding tables.
//!
//! Embedding tables use *lazy* Adam (as TensorFlow's LazyAdam): only the rows a mini-batch touched are updated,
//! and their moments decay only when they are touched. This keeps a step's cost proportional to the batch, not to
//! the table, at the price of slightly different dynamics for rarely seen rows than dense Adam.

use crate::linalg::{prefetch_span, written_zeros};
use crate::parallel::Workers;

/// How many rows ahead the lazy row update prefetches.
const PREFETCH_AHEAD: usize = 4;

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPSILON: f32 = 1e-8;

/// First and second moments for one tensor.
#[derive(Debug, Clone)]
pub struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
    /// One bit per table row, all clear between lazy updates: how [`AdamStep::lazy_rows`] checks that its rows
    /// are distinct (sized on first use).
    seen: Vec<u64>,
}

impl Moments {
    /// Zeroed moments for a tensor of `len` values.
    pub fn new(len: usize) -> Self {
        // Written zeros: lazy updates touch the pages in random order from several threads.
        Moments { m: written_zeros(len), v: written_zeros(len), seen: Vec::new() }
    }

    /// Whether `rows` are distinct rows of a table of `table_rows` rows (linear time, one bit per row).
    fn distinct_rows_inside(&mut self, rows: &[u32], table_rows: usize) -> bool {
        self.seen.resize(table_rows.div_ceil(64), 0);
        let mut ok = true;
        for &r in rows {
            let (word, bit) = (r as usize / 64, 1u64 << (r % 64));
            match self.seen.get_mut(word) {
                Some(w) if (r as usize) < table_rows => {
                    ok &= *w & bit == 0;
                    *w |= bit;
                }
                _ => ok = false,
            }
        }
        for &r in rows {
            if let Some(w) = self.seen.get_mut(r as usize / 64) {
                *w = 0;
            }
        }
        ok
    }
}

/// The per-step constants of one Adam step.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    lr_t: f32,
    weight_decay: f32,
}

impl AdamStep {
    /// Constants for step `t` (1-based) with bias correction folded into the learning rate. Past `i32::MAX` steps
    /// the correction is computed for `i32::MAX` (where it has long been exactly 1).
    pub fn new(learning_rate: f64, weight_decay: f64, t: u64) -> Self {
        let t = i32::try_from(t).unwrap_or(i32::MAX);
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
        if crate::linalg::kernels::has_avx2() {
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
    #[cfg(test)]
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
        let gradient = |k: usize, g: &mut [f32]| g.copy_from_slice(&grads[k * dim..(k + 1) * dim]);
        let job = self.lazy_rows(table, dim, rows, moments);
        update_together(workers, &[(&job, &gradient)]);
    }

    /// A lazy update of `rows` of a `dim`-wide table, run by [`update_together`].
    ///
    /// # Panics
    /// Unless `rows` are distinct rows inside the table and the moments are shaped like it: the parallel update
    /// writes to the rows from several threads through raw pointers, so this is checked in every build (in linear
    /// time, one bit per table row).
    pub(crate) fn lazy_rows<'a>(
        &self,
        table: &'a mut [f32],
        dim: usize,
        rows: &'a [u32],
        moments: &'a mut Moments,
    ) -> LazyRows<'a> {
        assert!(dim > 0 && table.len().is_multiple_of(dim), "a table of whole rows");
        assert!(moments.m.len() == table.len() && moments.v.len() == table.len(), "moments shaped like the table");
        assert!(moments.distinct_rows_inside(rows, table.len() / dim), "rows must be distinct and inside the table");
        let shared = SharedRows { param: table.as_mut_ptr(), m: moments.m.as_mut_ptr(), v: moments.v.as_mut_ptr() };
        LazyRows { step: *self, dim, rows, shared, _borrows: std::marker::PhantomData }
    }
}

/// A pending lazy update of some rows of one table (which it borrows mutably, with its moments).
pub(crate) struct LazyRows<'a> {
    step: AdamStep,
    dim: usize,
    rows: &'a [u32],
    shared: SharedRows,
    _borrows: std::marker::PhantomData<&'a mut [f32]>,
}

impl LazyRows<'_> {
    /// Updates `rows[range]`.
    ///
    /// # Safety
    /// No other thread may update an overlapping range of the same job at the same time.
    unsafe fn update(&self, range: std::ops::Range<usize>, gradient: &(dyn Fn(usize, &mut [f32]) + Sync)) {
        let (dim, rows) = (self.dim, self.rows);
        let mut grad = vec![0.0f32; dim];
        for k in range.clone() {
            if let Some(&ahead) = rows[..range.end].get(k + PREFETCH_AHEAD) {
                // The rows are scattered over tables far larger than the caches: start loading a later row's
                // parameters and moments now, so the update below does not wait for memory.
                self.shared.prefetch(ahead as usize * dim, dim);
            }
            grad.fill(0.0);
            gradient(k, &mut grad);
            // SAFETY: `rows` are distinct and inside the table (checked by `lazy_rows`, in every build) and no other
            // thread works on this part of `rows` (the caller's precondition), so nothing else touches these
            // slices; moments have the table's length.
            let (p, m, v) = unsafe { self.shared.row(rows[k] as usize * dim, dim) };
            self.step.apply(p, &grad, m, v);
        }
    }
}

/// A lazy row update and the function giving its `k`-th row's gradient.
pub(crate) type RowJob<'j, 'a> = (&'j LazyRows<'a>, &'j (dyn Fn(usize, &mut [f32]) + Sync));

/// Runs several lazy row updates in one parallel phase: each thread takes its share of every job's rows (small
/// totals run on the calling thread alone).
pub(crate) fn update_together(workers: &Workers, jobs: &[RowJob<'_, '_>]) {
    let total: usize = jobs.iter().map(|(job, _)| job.rows.len() * job.dim).sum();
    let threads = if total < 1 << 14 { 1 } else { workers.threads() };
    let spans: Vec<Vec<std::ops::Range<usize>>> =
        jobs.iter().map(|(job, _)| crate::parallel::ranges(job.rows.len(), threads)).collect();
    let part = |t: usize| {
        for ((job, gradient), spans) in jobs.iter().zip(&spans) {
            if let Some(range) = spans.get(t) {
                // SAFETY: thread `t` alone takes the `t`-th of these disjoint ranges of each job.
                unsafe { job.update(range.clone(), *gradient) };
            }
        }
    };
    if threads == 1 {
        part(0);
    } else {
        workers.map_ranges(threads, |r| part(r.start));
    }
}

/// Raw pointers to a table and its moments, shared by threads that update disjoint rows.
struct SharedRows {
    param: *mut f32,
    m: *mut f32,
    v: *mut f32,
}

// SAFETY: only used through `LazyRows::update`, whose callers touch disjoint rows from different threads: each
// thread takes its own range of the job's rows, and `AdamStep::lazy_rows` refuses (in every build) rows that are not
// distinct, so disjoint ranges of rows are disjoint rows of the table.
unsafe impl Sync for SharedRows {}

impl SharedRows {
    /// Hints the CPU to load `start..start + dim` of the table and both moments (reads nothing).
    fn prefetch(&self, start: usize, dim: usize) {
        for base in [self.param, self.m, self.v] {
            prefetch_span(base.wrapping_add(start), dim);
        }
    }

    /// # Safety
    /// `start..start + dim` must be inside the table and not used by any other thread at the same time.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, start: usize, dim: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
        // SAFETY: the caller guarantees the span is inside all three tables and exclusively ours.
        unsafe {
            (
                std::slice::from_raw_parts_mut(self.param.add(start), dim),
                std::slice::from_raw_parts_mut(self.m.add(start), dim),
                std::slice::from_raw_parts_mut(self.v.add(start), dim),
            )
        }
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
    fn steps_past_i32_max_keep_a_finite_bias_correction() {
        // Bias correction tends to 1: the step is the plain learning rate.
        for t in [1u64 << 31, 1 << 33, u64::MAX] {
            let step = AdamStep::new(0.01, 0.0, t);
            assert_eq!(step.lr_t, 0.01, "t={t}");
        }
    }

    #[test]
    #[should_panic(expected = "rows must be distinct")]
    fn repeated_rows_are_refused_in_every_build() {
        let mut table = vec![1.0f32; 8];
        let mut moments = Moments::new(8);
        AdamStep::new(0.01, 0.0, 1).rows(&mut table, 2, &[1, 3, 1], &[0.5; 6], &mut moments, &Workers::new(2));
    }

    #[test]
    #[should_panic(expected = "inside the table")]
    fn rows_outside_the_table_are_refused() {
        let mut table = vec![1.0f32; 8];
        let mut moments = Moments::new(8);
        AdamStep::new(0.01, 0.0, 1).rows(&mut table, 2, &[4], &[0.5; 2], &mut moments, &Workers::new(1));
    }

    #[test]
    fn the_distinct_rows_check_leaves_no_trace() {
        let mut moments = Moments::new(200 * 2);
        assert!(moments.distinct_rows_inside(&[0, 63, 64, 199], 200));
        assert!(moments.distinct_rows_inside(&[199, 64, 0, 63], 200), "the same rows again, next batch");
        assert!(!moments.distinct_rows_inside(&[5, 70, 5], 200));
        assert!(moments.distinct_rows_inside(&[5, 70], 200), "a refusal leaves the bits clear too");
        assert!(!moments.distinct_rows_inside(&[200], 200));
        assert!(moments.seen.iter().all(|&w| w == 0));
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
