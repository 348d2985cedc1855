//! The loss: every record's logit `u[entity] · z[slot] + c[entity]`, its binary cross-entropy against its label
//! (1 for the positive, 0 for each negative) and `∂loss/∂logit` of the batch's mean loss.

use super::forward::Activations;
use super::plan::Plan;
use super::{resize, BatchStats};
use crate::linalg::{bce_with_logit, dot, sigmoid};
use crate::parallel::Workers;

/// Computes every record's logit, loss and `∂loss/∂logit` (of the mean over records) into `logit_grads`, laid out
/// per positive as `[positive, R random negatives, S shuffled negatives]` (0 for a shuffled negative left out), and
/// returns the loss and accuracy sums.
pub(super) fn logits_and_gradients(
    plan: &Plan,
    acts: &Activations,
    logit_grads: &mut Vec<f32>,
    dim: usize,
    workers: &Workers,
) -> BatchStats {
    let (b, width) = (plan.shape.positives, plan.shape.width());
    let inv = 1.0 / plan.record_count() as f32;
    resize(logit_grads, b * width);
    let z = acts.z();
    let slots = plan.record_slots();
    let (u, c, entity_of) = (&acts.projected, &acts.offset, &plan.entity_of);
    let parts = workers.map_chunks(b, width, logit_grads, |range, g| {
        let mut stats = BatchStats::default();
        for (i, g) in range.zip(g.chunks_exact_mut(width)) {
            let ent = entity_of[i] as usize;
            if plan.shuffled_skipped > 0 {
                g.fill(0.0);
            }
            for (k, slot) in slots.of(i) {
                let label = if k == 0 { 1.0 } else { 0.0 };
                let logit = dot(&u[ent * dim..(ent + 1) * dim], &z[slot * dim..(slot + 1) * dim]) + c[ent];
                stats.loss_sum += f64::from(bce_with_logit(logit, label));
                stats.correct += u64::from((logit >= 0.0) == (label > 0.5));
                g[k] = (sigmoid(logit) - label) * inv;
            }
        }
        stats
    });
    let mut total = BatchStats {
        records: plan.record_count() as u64,
        shuffled_skipped: plan.shuffled_skipped as u64,
        ..Default::default()
    };
    for part in &parts {
        total.loss_sum += part.loss_sum;
        total.correct += part.correct;
    }
    total
}
