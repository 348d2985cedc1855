//! One mini-batch, phase by phase: the plan (entities, negatives, slots), the forward pass, the loss, the backward
//! pass and the Adam update.
//!
//! A batch of `B` positives holds `B · (1 + R + S)` *records*, laid out per positive `i` as
//! `[positive, R random negatives, S shuffled negatives]`:
//!
//! * the positive: its entity with its address;
//! * `R` random negatives: its entity with a uniformly random address of the same family;
//! * `S` shuffled negatives: its entity with the address of a positive of another entity row of the batch (never
//!   its own address nor its entity's: a batch holding a single entity row has no shuffled negatives, and
//!   [`BatchStats::shuffled_skipped`] counts them).
//!
//! Records read the encoder's output from *slots*, the distinct encoder inputs of the batch: slots `0..B` are the
//! positives' addresses, slot `B + i·R + j` is positive `i`'s `j`-th random address; shuffled negatives reuse the
//! positives' slots. The last encoder layer is applied on the entity side (`u = W_Lᵀ e`, see [`crate::model`]), so
//! a record's logit is `u[entity] · z[slot] + c[entity]` with `c = e · b_L`, and the last layer costs one product
//! per distinct entity of the batch rather than one per address.
//!
//! Phases, each in its own module: [`plan`] (entities, negatives, slots and the IP rows they read), [`forward`]
//! (`h₀` per slot, hidden layers, `u` and `c` per entity), [`loss`] (logits, loss, `∂loss/∂logit` per record),
//! [`backward`] (gradients of the slots, the entities and the layers) and [`update`] (the Adam step). Every phase
//! is deterministic for a seed and a thread count.

mod backward;
mod forward;
mod loss;
mod plan;
mod rows;
mod update;

use super::data::Encoded;
use super::grads::{Gradients, Optimiser};
use crate::model::Model;
use crate::parallel::Workers;
use backward::Backprop;
use forward::Activations;
use plan::Plan;
use rand::RngCore;

/// Negatives per positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Negatives {
    /// Random-address negatives per positive (`R`).
    pub random: usize,
    /// Shuffled negatives per positive (`S`).
    pub shuffled: usize,
}

/// Loss and accuracy sums of a batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchStats {
    /// Records (positives + negatives).
    pub records: u64,
    /// Sum of binary cross-entropy over records.
    pub loss_sum: f64,
    /// Records classified correctly at probability 0.5.
    pub correct: u64,
    /// Shuffled negatives left out because their batch held a single entity row (not counted in `records`).
    pub shuffled_skipped: u64,
}

impl BatchStats {
    /// Adds another batch's sums.
    pub fn add(&mut self, other: &BatchStats) {
        self.records += other.records;
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
        self.shuffled_skipped += other.shuffled_skipped;
    }
}

/// Reusable buffers for one mini-batch, one group per phase (each buffer is reused from batch to batch).
#[derive(Default)]
pub struct BatchWork {
    /// What the batch holds (after [`BatchWork::prepare`]).
    plan: Plan,
    /// The forward pass's values (after the forward phase).
    activations: Activations,
    /// `∂loss/∂logit` of the mean loss per record, `1 + R + S` per positive in record order (after the loss phase).
    logit_grads: Vec<f32>,
    /// The backward pass's gradients (after the backward phase).
    backprop: Backprop,
}

/// Makes `v` hold `len` values without clearing them: callers overwrite or zero each value before reading it.
fn resize(v: &mut Vec<f32>, len: usize) {
    v.truncate(len);
    v.resize(len, 0.0);
}

impl BatchWork {
    /// Plans the batch: its entities, its negatives, its slots and the IP-table rows they read.
    pub fn prepare(&mut self, model: &Model, positives: &[&Encoded], negatives: Negatives, rng: &mut impl RngCore) {
        self.plan.prepare(model, positives, negatives, rng);
    }

    /// Forward pass, loss, backward pass and one Adam step; returns the batch's loss and accuracy sums.
    pub fn step(&mut self, model: &mut Model, opt: &mut Optimiser, workers: &Workers) -> BatchStats {
        let stats = self.forward(model, workers);
        let mut grads = Gradients::for_model(model);
        self.backward(model, workers, &mut grads);
        update::apply(&self.plan, &self.backprop, model, opt, &grads, workers);
        stats
    }

    /// Forward pass and loss: fills every record's `∂loss/∂logit` and returns the loss and accuracy sums.
    pub(super) fn forward(&mut self, model: &Model, workers: &Workers) -> BatchStats {
        forward::forward(&self.plan, &mut self.activations, model, workers);
        loss::logits_and_gradients(&self.plan, &self.activations, &mut self.logit_grads, model.vector_dim(), workers)
    }

    /// Backward pass (after [`Self::forward`]): entity-row, IP-row and layer gradients of the mean loss.
    pub(super) fn backward(&mut self, model: &Model, workers: &Workers, grads: &mut Gradients) {
        backward::backward(&self.plan, &self.activations, &self.logit_grads, &mut self.backprop, model, workers, grads);
    }

    /// Bytes its buffers hold (their capacities), for the memory check's tests.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        self.plan.heap_bytes()
            + self.activations.heap_bytes()
            + 4 * self.logit_grads.capacity()
            + self.backprop.heap_bytes()
    }

    /// The distinct entity rows of the batch and their gradients (after [`Self::backward`]).
    #[cfg(test)]
    pub(super) fn entity_grads(&self) -> (&[u32], &[f32]) {
        (&self.plan.entity_rows, &self.backprop.entity_grads)
    }

    /// The distinct IP-table rows of the batch and their gradients (after [`Self::backward`]).
    #[cfg(test)]
    pub(super) fn ip_grads(&self, dim: usize) -> (Vec<u32>, Vec<f32>) {
        let rows = &self.plan.ip_rows.rows;
        let mut grads = vec![0.0; rows.len() * dim];
        for (k, out) in grads.chunks_exact_mut(dim).enumerate() {
            update::ip_row_gradient(&self.plan, &self.backprop, dim, k, out);
        }
        (rows.clone(), grads)
    }
}
