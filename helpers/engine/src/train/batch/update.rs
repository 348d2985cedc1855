//! The update: one Adam step, lazy on the batch's entity rows and IP-table rows, dense on the layers.

use super::backward::Backprop;
use super::plan::Plan;
use crate::linalg::axpy;
use crate::model::Model;
use crate::parallel::Workers;
use crate::train::grads::{Gradients, Optimiser};

/// Applies one Adam step from the batch's gradients (after the backward pass).
pub(super) fn apply(
    plan: &Plan,
    back: &Backprop,
    model: &mut Model,
    opt: &mut Optimiser,
    grads: &Gradients,
    workers: &Workers,
) {
    let dim = model.vector_dim();
    let ip_gradient = |k: usize, out: &mut [f32]| ip_row_gradient(plan, back, dim, k, out);
    opt.step(model, &plan.entity_rows, &back.entity_grads, &plan.ip_rows.rows, &ip_gradient, grads, workers);
}

/// `∂loss/∂(IP table row)` of the batch's `k`-th distinct IP row, added into `out`: the sum of `∂loss/∂h₀` over
/// the slots reading that row.
pub(super) fn ip_row_gradient(plan: &Plan, back: &Backprop, dim: usize, k: usize, out: &mut [f32]) {
    let rows = &plan.ip_rows;
    for &slot in &rows.members[rows.offsets[k] as usize..rows.offsets[k + 1] as usize] {
        axpy(1.0, &back.slot_grads[slot as usize * dim..(slot as usize + 1) * dim], out);
    }
}
