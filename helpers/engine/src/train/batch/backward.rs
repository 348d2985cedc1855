//! The backward pass: from every record's `∂loss/∂logit` to the gradients of the slots (down to `∂loss/∂h₀`), of
//! the batch's entity rows and of every layer.

use super::forward::Activations;
use super::plan::Plan;
use super::resize;
use crate::linalg::{axpy, gemm, MatRef};
use crate::model::Model;
use crate::parallel::Workers;
use crate::train::grads::Gradients;

/// The backward pass's gradients. Invariants after [`backward`], with `n` slots and `E` distinct entities:
///
/// * `slot_grads` is `n × dim` and holds `∂loss/∂h₀` per slot (the IP-table rows' gradients are its sums over the
///   slots reading each row); during the pass it holds `∂loss/∂z`, then `∂loss/∂` each earlier layer input;
/// * `projected_grads` (`E × dim`) is `∂loss/∂u`, `offset_grads` (`E`) is `∂loss/∂c`, and `entity_grads`
///   (`E × dim`, in `plan.entity_rows` order) is `∂loss/∂e`, what the Adam step applies to the entity rows.
#[derive(Default)]
pub(super) struct Backprop {
    /// Per slot: `∂loss/∂(layer input)`, ending as `∂loss/∂h₀`.
    pub slot_grads: Vec<f32>,
    /// Scratch of `slot_grads`' size, swapped with it layer by layer.
    scratch: Vec<f32>,
    /// Per distinct entity: `∂loss/∂u`.
    projected_grads: Vec<f32>,
    /// Per distinct entity: `∂loss/∂c`.
    offset_grads: Vec<f32>,
    /// Per distinct entity: `∂loss/∂e`.
    pub entity_grads: Vec<f32>,
}

impl Backprop {
    /// Bytes its buffers hold (their capacities).
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        4 * (self.slot_grads.capacity()
            + self.scratch.capacity()
            + self.projected_grads.capacity()
            + self.offset_grads.capacity()
            + self.entity_grads.capacity())
    }
}

/// Runs the backward pass: entity-row gradients into `back.entity_grads`, `∂loss/∂h₀` into `back.slot_grads` and
/// the layers' gradients into `grads`.
pub(super) fn backward(
    plan: &Plan,
    acts: &Activations,
    logit_grads: &[f32],
    back: &mut Backprop,
    model: &Model,
    workers: &Workers,
    grads: &mut Gradients,
) {
    output_grads(plan, acts, logit_grads, back, model.vector_dim(), workers);
    entity_and_last_layer_grads(plan, acts, back, model, workers, grads);
    hidden_layer_grads(plan, acts, back, model, workers, grads);
}

/// `∂loss/∂z` per slot, `∂loss/∂u` and `∂loss/∂c` per distinct entity.
fn output_grads(plan: &Plan, acts: &Activations, g: &[f32], back: &mut Backprop, dim: usize, workers: &Workers) {
    let n = plan.slot_count();
    let shape = plan.shape;
    let (b, r, width) = (shape.positives, shape.random, shape.width());
    let entities = plan.entity_rows.len();
    resize(&mut back.slot_grads, n * dim);
    resize(&mut back.projected_grads, entities * dim);
    resize(&mut back.offset_grads, entities);
    let by_entity = &plan.by_entity;
    // One phase: ∂loss/∂z per slot (every record reading the slot adds its gradient times its entity's u) and
    // ∂loss/∂u per distinct entity (every record of the entity adds its gradient times its slot's z).
    {
        let (u, entity_of, readers) = (&acts.projected, &plan.entity_of, &plan.shuffled_readers);
        let urow = |e: u32| &u[e as usize * dim..(e as usize + 1) * dim];
        let z = acts.z();
        let slots = plan.record_slots();
        let parts: Vec<_> = workers
            .split(n, dim, &mut back.slot_grads)
            .into_iter()
            .zip(workers.split(entities, dim, &mut back.projected_grads))
            .collect();
        workers.run_parts(parts, |_, ((range, dz), (ents, du))| {
            dz.fill(0.0);
            for (slot, dst) in range.zip(dz.chunks_exact_mut(dim)) {
                if slot < b {
                    // A positive's slot: its own record, then the shuffled negatives reading it.
                    axpy(g[slot * width], urow(entity_of[slot]), dst);
                    for record in readers.of(slot) {
                        let (q, i) = (record / b, record % b);
                        axpy(g[i * width + 1 + r + q], urow(entity_of[i]), dst);
                    }
                } else {
                    // A random slot: read by one record.
                    let (i, j) = ((slot - b) / r, (slot - b) % r);
                    axpy(g[i * width + 1 + j], urow(entity_of[i]), dst);
                }
            }
            du.fill(0.0);
            for (e, dst) in ents.zip(du.chunks_exact_mut(dim)) {
                for i in by_entity.of(e) {
                    for (k, slot) in slots.of(i) {
                        axpy(g[i * width + k], &z[slot * dim..(slot + 1) * dim], dst);
                    }
                }
            }
        });
    }
    for (e, dc) in back.offset_grads.iter_mut().enumerate() {
        *dc = by_entity.of(e).map(|i| g[i * width..(i + 1) * width].iter().sum::<f32>()).sum();
    }
}

/// `∂loss/∂e` per distinct entity and the last layer's gradients (`u = W_Lᵀ e`, `c = e · b_L`).
fn entity_and_last_layer_grads(
    plan: &Plan,
    acts: &Activations,
    back: &mut Backprop,
    model: &Model,
    workers: &Workers,
    grads: &mut Gradients,
) {
    let dim = model.vector_dim();
    let entities = plan.entity_rows.len();
    resize(&mut back.entity_grads, entities * dim);
    let Some(last) = model.layers.last() else {
        // No layers: u = e.
        back.entity_grads.copy_from_slice(&back.projected_grads);
        return;
    };
    // One phase: ∂loss/∂e = W_L ∂loss/∂u + ∂loss/∂c · b_L per entity, and ∂loss/∂W_L = Eᵀ·∂loss/∂U per row of W.
    let (du, dc, vectors) = (&back.projected_grads, &back.offset_grads, &acts.entity_vectors);
    let li = model.layers.len() - 1;
    let parts: Vec<_> = workers
        .split(entities, dim, &mut back.entity_grads)
        .into_iter()
        .zip(workers.split(dim, dim, &mut grads.layers[li].w))
        .collect();
    workers.run_parts(parts, |_, ((ents, de), (wrows, dw))| {
        gemm(
            MatRef::new(du, entities, dim).row_block(ents.start, ents.len()),
            MatRef::new(&last.w, dim, dim).t(),
            0.0,
            de,
        );
        for (k, e) in ents.enumerate() {
            axpy(dc[e], &last.b, &mut de[k * dim..(k + 1) * dim]);
        }
        gemm(
            MatRef::new(vectors, entities, dim).t().row_block(wrows.start, wrows.len()),
            MatRef::new(du, entities, dim),
            0.0,
            dw,
        );
    });
    // ∂loss/∂b_L = Σ_e ∂loss/∂c · e.
    let db = &mut grads.layers[li].b;
    for e in 0..entities {
        axpy(dc[e], &vectors[e * dim..(e + 1) * dim], db);
    }
}

/// The hidden layers, last to first: their gradients, and `slot_grads` walked back to `∂loss/∂h₀`.
fn hidden_layer_grads(
    plan: &Plan,
    acts: &Activations,
    back: &mut Backprop,
    model: &Model,
    workers: &Workers,
    grads: &mut Gradients,
) {
    let dim = model.vector_dim();
    let n = plan.slot_count();
    for l in (0..model.layers.len().saturating_sub(1)).rev() {
        let output = &acts.layer_inputs[l + 1];
        let input = &acts.layer_inputs[l];
        // Through the ReLU: no gradient where the layer's output was clipped.
        for (d, &o) in back.slot_grads.iter_mut().zip(output.iter()) {
            if o <= 0.0 {
                *d = 0.0;
            }
        }
        let da = &back.slot_grads;
        workers.for_each_chunk(dim, dim, &mut grads.layers[l].w, |range, out| {
            gemm(MatRef::new(da, n, dim).t().row_block(range.start, range.len()), MatRef::new(input, n, dim), 0.0, out);
        });
        let db = &mut grads.layers[l].b;
        for row in da.chunks_exact(dim) {
            axpy(1.0, row, db);
        }
        resize(&mut back.scratch, n * dim);
        let w = &model.layers[l].w;
        workers.for_each_chunk(n, dim, &mut back.scratch, |range, out| {
            gemm(MatRef::new(da, n, dim).row_block(range.start, range.len()), MatRef::new(w, dim, dim), 0.0, out);
        });
        std::mem::swap(&mut back.slot_grads, &mut back.scratch);
    }
}
