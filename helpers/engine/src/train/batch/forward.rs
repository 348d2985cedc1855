//! The forward pass: the encoder input `h₀` of every slot, the hidden layers, and per distinct entity the
//! projection `u = W_Lᵀ e` and offset `c = e · b_L` of the last layer.

use super::plan::Plan;
use super::resize;
use crate::linalg::{dot, gemm, MatRef};
use crate::model::Model;
use crate::parallel::Workers;

/// How many slots ahead the encoder input's table rows are prefetched.
const PREFETCH_AHEAD: usize = 4;

/// The forward pass's values. Invariants after [`forward`], with `n` slots, `E` distinct entities and `L` layers:
///
/// * `layer_inputs` holds `max(L, 1)` buffers of `n × dim`: `layer_inputs[0]` is `h₀` (the sum of the slot's
///   IP-table rows), `layer_inputs[l]` the input of layer `l` (the ReLU of layer `l − 1`'s output); the last one is
///   `z`, the input of the last layer (`h₀` itself with 0 or 1 layers);
/// * `entity_vectors`, `projected` are `E × dim` and `offset` is `E` long, in `plan.entity_rows` order: `e`, then
///   `u = W_Lᵀ e` and `c = e · b_L` (`u = e` and `c = 0` without layers).
#[derive(Default)]
pub(super) struct Activations {
    /// Per layer, the layer's input for every slot (`n × dim` each); the last is `z`.
    pub layer_inputs: Vec<Vec<f32>>,
    /// Per distinct entity: its embedding `e` (a copy of its table row).
    pub entity_vectors: Vec<f32>,
    /// Per distinct entity: `u = W_Lᵀ e`.
    pub projected: Vec<f32>,
    /// Per distinct entity: `c = e · b_L`.
    pub offset: Vec<f32>,
}

impl Activations {
    /// Bytes its buffers hold (their capacities).
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        let inputs: usize = self.layer_inputs.iter().map(Vec::capacity).sum();
        4 * (inputs + self.entity_vectors.capacity() + self.projected.capacity() + self.offset.capacity())
    }

    /// `z`: the last layer's input for every slot.
    pub fn z(&self) -> &[f32] {
        self.layer_inputs.last().expect("at least h0")
    }
}

/// Runs the forward pass of the batch `plan` describes.
pub(super) fn forward(plan: &Plan, acts: &mut Activations, model: &Model, workers: &Workers) {
    let dim = model.vector_dim();
    let n = plan.slot_count();
    let layers = model.layers.len();
    acts.layer_inputs.resize_with(layers.max(1), Vec::new);
    resize(&mut acts.layer_inputs[0], n * dim);
    // Entity side first (a copy and `c = e·b_L`), so one phase can compute h₀ per slot and u = W_Lᵀ e per entity
    // (row form: U = E·W_L) together.
    let entities = plan.entity_rows.len();
    resize(&mut acts.entity_vectors, entities * dim);
    for (k, &row) in plan.entity_rows.iter().enumerate() {
        let start = row as usize * dim;
        acts.entity_vectors[k * dim..(k + 1) * dim].copy_from_slice(&model.entity[start..start + dim]);
    }
    resize(&mut acts.offset, entities);
    match model.layers.last() {
        None => acts.offset.fill(0.0),
        Some(last) => {
            for k in 0..entities {
                acts.offset[k] = dot(&acts.entity_vectors[k * dim..(k + 1) * dim], &last.b);
            }
        }
    }
    resize(&mut acts.projected, entities * dim);
    let (features, vectors) = (&plan.slot_features, &acts.entity_vectors);
    let parts: Vec<_> = workers
        .split(n, dim, &mut acts.layer_inputs[0])
        .into_iter()
        .zip(workers.split(entities, dim, &mut acts.projected))
        .collect();
    workers.run_parts(parts, |_, ((slots, h0), (ents, projected))| {
        for (k, slot) in slots.clone().enumerate() {
            if let Some(ahead) = features[..slots.end].get(slot + PREFETCH_AHEAD) {
                model.prefetch_prefix_rows(ahead);
            }
            model.encoder_input(&features[slot], &mut h0[k * dim..(k + 1) * dim]);
        }
        match model.layers.last() {
            None => projected.copy_from_slice(&vectors[ents.start * dim..ents.end * dim]),
            Some(last) => gemm(
                MatRef::new(vectors, entities, dim).row_block(ents.start, ents.len()),
                MatRef::new(&last.w, dim, dim),
                0.0,
                projected,
            ),
        }
    });
    hidden_layers(acts, model, n, workers);
}

/// Every layer but the last, with ReLU: `layer_inputs[l + 1] = relu(W_l · layer_inputs[l] + b_l)`.
fn hidden_layers(acts: &mut Activations, model: &Model, n: usize, workers: &Workers) {
    let dim = model.vector_dim();
    for l in 0..model.layers.len().saturating_sub(1) {
        let (done, rest) = acts.layer_inputs.split_at_mut(l + 1);
        let input = &done[l];
        let output = &mut rest[0];
        resize(output, n * dim);
        let layer = &model.layers[l];
        workers.for_each_chunk(n, dim, output, |range, out| {
            let x = MatRef::new(input, n, dim).row_block(range.start, range.len());
            for row in out.chunks_exact_mut(dim) {
                row.copy_from_slice(&layer.b);
            }
            gemm(x, MatRef::new(&layer.w, dim, dim).t(), 1.0, out);
            out.iter_mut().for_each(|v| *v = v.max(0.0));
        });
    }
}
