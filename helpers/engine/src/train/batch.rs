//! One mini-batch: negatives, forward pass, backward pass and the Adam step.
//!
//! Records of a batch of `B` positives: the `B` positive pairs; `R` random-IP negatives per positive (same entity,
//! uniformly random address); `S` shuffled negatives per positive (its entity with the address of the positive at
//! a random permutation of the batch). IP *slots* hold the distinct encoder inputs: the `B` positive addresses and
//! the `B·R` random ones (shuffled negatives reuse positive slots).
//!
//! The last encoder layer is applied on the entity side (`u = W_Lᵀ e`, see [`crate::model`]), so its cost is paid
//! once per distinct entity of the batch rather than once per address.

use super::data::Encoded;
use super::grads::{Gradients, Optimiser};
use super::rows::RowIndex;
use crate::ip::{IpLayout, FEATURES_PER_IP};
use crate::linalg::{axpy, bce_with_logit, dot, gemm, sigmoid, MatRef};
use crate::model::Model;
use crate::parallel::Workers;
use rand::seq::SliceRandom;
use rand::RngCore;

/// How many slots ahead the encoder input's table rows are prefetched.
const PREFETCH_AHEAD: usize = 4;

/// Loss and accuracy sums of a batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchStats {
    /// Records (positives + negatives).
    pub records: u64,
    /// Sum of binary cross-entropy over records.
    pub loss_sum: f64,
    /// Records classified correctly at probability 0.5.
    pub correct: u64,
}

impl BatchStats {
    /// Adds another batch's sums.
    pub fn add(&mut self, other: &BatchStats) {
        self.records += other.records;
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
    }
}

/// Reusable buffers for one mini-batch.
#[derive(Default)]
pub struct BatchWork {
    b: usize,
    r: usize,
    s: usize,
    /// Per positive: local entity index.
    ent_local: Vec<u32>,
    /// Local entity index → entity row.
    uniq_ents: Vec<u32>,
    /// Positives grouped by local entity (CSR).
    ent_offsets: Vec<u32>,
    ent_members: Vec<u32>,
    /// Per slot: feature rows.
    feats: Vec<[u32; FEATURES_PER_IP]>,
    /// Shuffle permutations (`s·B + i` → partner positive) and their inverses.
    perm: Vec<u32>,
    inv_perm: Vec<u32>,
    /// Layer inputs: `hs[0]` = h₀ per slot, `hs[l]` = input of layer `l`; the last is `z`.
    hs: Vec<Vec<f32>>,
    eb: Vec<f32>,
    u: Vec<f32>,
    c: Vec<f32>,
    /// `∂loss/∂logit` per record, `1 + R + S` per positive.
    g: Vec<f32>,
    dz: Vec<f32>,
    dtmp: Vec<f32>,
    du: Vec<f32>,
    dc: Vec<f32>,
    de: Vec<f32>,
    ip_rows: RowIndex,
}

/// Makes `v` hold `len` values without clearing them: callers overwrite or zero each value before reading it.
fn resize(v: &mut Vec<f32>, len: usize) {
    v.truncate(len);
    v.resize(len, 0.0);
}

impl BatchWork {
    /// Prepares the batch: entities, negatives, permutations and feature rows.
    pub fn prepare(&mut self, model: &Model, positives: &[&Encoded], hp: (usize, usize), rng: &mut impl RngCore) {
        let (r, s) = hp;
        let b = positives.len();
        (self.b, self.r, self.s) = (b, r, s);
        // Entities: sort positives by row to group them.
        let mut order: Vec<(u32, u32)> = positives.iter().enumerate().map(|(i, p)| (p.row, i as u32)).collect();
        order.sort_unstable();
        self.ent_local.resize(b, 0);
        self.uniq_ents.clear();
        self.ent_offsets.clear();
        self.ent_members.clear();
        for (row, i) in order {
            if self.uniq_ents.last() != Some(&row) {
                self.uniq_ents.push(row);
                self.ent_offsets.push(self.ent_members.len() as u32);
            }
            self.ent_local[i as usize] = (self.uniq_ents.len() - 1) as u32;
            self.ent_members.push(i);
        }
        self.ent_offsets.push(self.ent_members.len() as u32);
        // Slots: positives, then R random addresses per positive (same family as the positive).
        self.feats.clear();
        self.feats.extend(positives.iter().map(|p| p.feats));
        let layout: &IpLayout = &model.layout;
        for p in positives {
            for _ in 0..r {
                let ip = if p.v6 { crate::ip::random_v6(rng) } else { crate::ip::random_v4(rng) };
                self.feats.push(layout.features(ip));
            }
        }
        // Shuffled negatives.
        self.perm.clear();
        self.inv_perm.resize(s * b, 0);
        let mut perm: Vec<u32> = (0..b as u32).collect();
        for k in 0..s {
            perm.shuffle(rng);
            for (i, &p) in perm.iter().enumerate() {
                self.inv_perm[k * b + p as usize] = i as u32;
            }
            self.perm.extend_from_slice(&perm);
        }
        self.ip_rows.build(model.layout.rows() as usize, &self.feats);
    }

    /// Forward and backward pass and one Adam step; returns the batch's loss and accuracy sums.
    pub fn step(&mut self, model: &mut Model, opt: &mut Optimiser, workers: &Workers) -> BatchStats {
        let stats = self.forward(model, workers);
        let mut grads = Gradients::for_model(model);
        self.backward(model, workers, &mut grads);
        let dim = model.vector_dim();
        let this = &*self;
        let ip_gradient = |k: usize, out: &mut [f32]| this.ip_row_gradient(dim, k, out);
        opt.step(model, &self.uniq_ents, &self.de, &self.ip_rows.rows, &ip_gradient, &grads, workers);
        stats
    }

    /// The distinct entity rows of the batch and their gradients (after [`Self::backward`]).
    #[cfg(test)]
    pub(super) fn entity_grads(&self) -> (&[u32], &[f32]) {
        (&self.uniq_ents, &self.de)
    }

    /// The distinct IP-table rows of the batch and their gradients (after [`Self::backward`]).
    #[cfg(test)]
    pub(super) fn ip_grads(&self, dim: usize) -> (Vec<u32>, Vec<f32>) {
        let mut grads = vec![0.0; self.ip_rows.rows.len() * dim];
        for (k, out) in grads.chunks_exact_mut(dim).enumerate() {
            self.ip_row_gradient(dim, k, out);
        }
        (self.ip_rows.rows.clone(), grads)
    }

    fn n_slots(&self) -> usize {
        self.feats.len()
    }

    /// Forward pass: fills every record's `∂loss/∂logit` and returns the loss and accuracy sums.
    pub(super) fn forward(&mut self, model: &Model, workers: &Workers) -> BatchStats {
        let dim = model.vector_dim();
        let n = self.n_slots();
        let layers = model.layers.len();
        // hs[0..max(layers,1)]: h₀ and the input of every later layer.
        let depth = layers.max(1);
        self.hs.resize_with(depth, Vec::new);
        resize(&mut self.hs[0], n * dim);
        // Entity side first (a copy and `c = e·b_L`), so one phase can compute h₀ per slot and u = W_Lᵀ e per
        // entity (row form: U = E·W_L) together.
        let ne = self.uniq_ents.len();
        resize(&mut self.eb, ne * dim);
        for (k, &row) in self.uniq_ents.iter().enumerate() {
            let start = row as usize * dim;
            self.eb[k * dim..(k + 1) * dim].copy_from_slice(&model.entity[start..start + dim]);
        }
        resize(&mut self.c, ne);
        match model.layers.last() {
            None => self.c.fill(0.0),
            Some(last) => {
                for k in 0..ne {
                    self.c[k] = dot(&self.eb[k * dim..(k + 1) * dim], &last.b);
                }
            }
        }
        resize(&mut self.u, ne * dim);
        let (feats, eb) = (&self.feats, &self.eb);
        let parts: Vec<_> =
            workers.split(n, dim, &mut self.hs[0]).into_iter().zip(workers.split(ne, dim, &mut self.u)).collect();
        workers.run_parts(parts, |_, ((range, out), (ents, u))| {
            for (k, slot) in range.clone().enumerate() {
                if let Some(ahead) = feats[..range.end].get(slot + PREFETCH_AHEAD) {
                    model.prefetch_prefix_rows(ahead);
                }
                model.encoder_input(&feats[slot], &mut out[k * dim..(k + 1) * dim]);
            }
            match model.layers.last() {
                None => u.copy_from_slice(&eb[ents.start * dim..ents.end * dim]),
                Some(last) => gemm(
                    MatRef::new(eb, ne, dim).row_block(ents.start, ents.len()),
                    MatRef::new(&last.w, dim, dim),
                    0.0,
                    u,
                ),
            }
        });
        for l in 0..layers.saturating_sub(1) {
            let (done, rest) = self.hs.split_at_mut(l + 1);
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
        self.logits_and_gradients(dim, workers)
    }

    /// Computes every record's logit, loss and `∂loss/∂logit` (mean over records) into `g`, laid out per
    /// positive as `[positive, R random negatives, S shuffled negatives]`.
    fn logits_and_gradients(&mut self, dim: usize, workers: &Workers) -> BatchStats {
        let (b, r, s) = (self.b, self.r, self.s);
        let width = 1 + r + s;
        let inv = 1.0 / (b * width) as f32;
        resize(&mut self.g, b * width);
        let z = self.hs.last().expect("at least h0");
        let slots = Slots { b, r, s, perm: &self.perm };
        let (u, c, ent_local) = (&self.u, &self.c, &self.ent_local);
        let parts = workers.map_chunks(b, width, &mut self.g, |range, g| {
            let mut stats = BatchStats::default();
            for (i, g) in range.zip(g.chunks_exact_mut(width)) {
                let ent = ent_local[i] as usize;
                for (k, slot) in slots.of(i).enumerate() {
                    let label = if k == 0 { 1.0 } else { 0.0 };
                    let logit = dot(&u[ent * dim..(ent + 1) * dim], &z[slot * dim..(slot + 1) * dim]) + c[ent];
                    stats.loss_sum += f64::from(bce_with_logit(logit, label));
                    stats.correct += u64::from((logit >= 0.0) == (label > 0.5));
                    g[k] = (sigmoid(logit) - label) * inv;
                }
            }
            stats
        });
        let mut total = BatchStats { records: (b * width) as u64, ..Default::default() };
        for part in &parts {
            total.loss_sum += part.loss_sum;
            total.correct += part.correct;
        }
        total
    }

    /// Backward pass: entity-row, IP-row and layer gradients of the mean loss.
    pub(super) fn backward(&mut self, model: &Model, workers: &Workers, grads: &mut Gradients) {
        let dim = model.vector_dim();
        let n = self.n_slots();
        let (b, r, s) = (self.b, self.r, self.s);
        let width = 1 + r + s;
        // One phase: dz per slot (every record using the slot adds its gradient times its entity's u) and du per
        // distinct entity (every record of the entity adds its gradient times its slot's z).
        let ne = self.uniq_ents.len();
        resize(&mut self.dz, n * dim);
        resize(&mut self.du, ne * dim);
        resize(&mut self.dc, ne);
        let (offsets, members) = (&self.ent_offsets, &self.ent_members);
        let members_of = |e: usize| members[offsets[e] as usize..offsets[e + 1] as usize].iter().map(|&i| i as usize);
        {
            let (u, ent_local, inv_perm, g) = (&self.u, &self.ent_local, &self.inv_perm, &self.g);
            let urow = |e: u32| &u[e as usize * dim..(e as usize + 1) * dim];
            let z = self.hs.last().expect("at least h0");
            let slots = Slots { b, r, s, perm: &self.perm };
            let parts: Vec<_> =
                workers.split(n, dim, &mut self.dz).into_iter().zip(workers.split(ne, dim, &mut self.du)).collect();
            workers.run_parts(parts, |_, ((range, out), (ents, du))| {
                out.fill(0.0);
                for (slot, dst) in range.zip(out.chunks_exact_mut(dim)) {
                    if slot < b {
                        axpy(g[slot * width], urow(ent_local[slot]), dst);
                        for q in 0..s {
                            let i = inv_perm[q * b + slot] as usize;
                            axpy(g[i * width + 1 + r + q], urow(ent_local[i]), dst);
                        }
                    } else {
                        let (i, j) = ((slot - b) / r, (slot - b) % r);
                        axpy(g[i * width + 1 + j], urow(ent_local[i]), dst);
                    }
                }
                du.fill(0.0);
                for (e, dst) in ents.zip(du.chunks_exact_mut(dim)) {
                    for i in members_of(e) {
                        for (k, slot) in slots.of(i).enumerate() {
                            axpy(g[i * width + k], &z[slot * dim..(slot + 1) * dim], dst);
                        }
                    }
                }
            });
        }
        for (e, dc) in self.dc.iter_mut().enumerate() {
            *dc = members_of(e).map(|i| self.g[i * width..(i + 1) * width].iter().sum::<f32>()).sum();
        }
        // Entity gradients and the last layer's gradients.
        resize(&mut self.de, ne * dim);
        match model.layers.last() {
            None => self.de.copy_from_slice(&self.du),
            Some(last) => {
                // One phase: entity gradients per entity and the last layer's weight gradient per row of W.
                let (du, dc, eb) = (&self.du, &self.dc, &self.eb);
                let li = model.layers.len() - 1;
                let parts: Vec<_> = workers
                    .split(ne, dim, &mut self.de)
                    .into_iter()
                    .zip(workers.split(dim, dim, &mut grads.layers[li].w))
                    .collect();
                workers.run_parts(parts, |_, ((ents, out), (wrows, wout))| {
                    gemm(
                        MatRef::new(du, ne, dim).row_block(ents.start, ents.len()),
                        MatRef::new(&last.w, dim, dim).t(),
                        0.0,
                        out,
                    );
                    for (k, e) in ents.enumerate() {
                        axpy(dc[e], &last.b, &mut out[k * dim..(k + 1) * dim]);
                    }
                    gemm(
                        MatRef::new(eb, ne, dim).t().row_block(wrows.start, wrows.len()),
                        MatRef::new(du, ne, dim),
                        0.0,
                        wout,
                    );
                });
                let db = &mut grads.layers[li].b;
                for e in 0..ne {
                    axpy(dc[e], &eb[e * dim..(e + 1) * dim], db);
                }
            }
        }
        // Hidden layers, last to first: dz becomes ∂loss/∂h₀.
        for l in (0..model.layers.len().saturating_sub(1)).rev() {
            let output = &self.hs[l + 1];
            let input = &self.hs[l];
            for (d, &o) in self.dz.iter_mut().zip(output.iter()) {
                if o <= 0.0 {
                    *d = 0.0;
                }
            }
            let da = &self.dz;
            workers.for_each_chunk(dim, dim, &mut grads.layers[l].w, |range, out| {
                gemm(
                    MatRef::new(da, n, dim).t().row_block(range.start, range.len()),
                    MatRef::new(input, n, dim),
                    0.0,
                    out,
                );
            });
            let db = &mut grads.layers[l].b;
            for row in da.chunks_exact(dim) {
                axpy(1.0, row, db);
            }
            resize(&mut self.dtmp, n * dim);
            let w = &model.layers[l].w;
            workers.for_each_chunk(n, dim, &mut self.dtmp, |range, out| {
                gemm(MatRef::new(da, n, dim).row_block(range.start, range.len()), MatRef::new(w, dim, dim), 0.0, out);
            });
            std::mem::swap(&mut self.dz, &mut self.dtmp);
        }
    }

    /// `∂loss/∂(IP table row)` of the batch's `k`-th distinct row, added into `out`: the sum of `∂loss/∂h₀` over
    /// the slots using that row (after [`Self::backward`], `dz` holds `∂loss/∂h₀`).
    fn ip_row_gradient(&self, dim: usize, k: usize, out: &mut [f32]) {
        let rows = &self.ip_rows;
        for &slot in &rows.members[rows.offsets[k] as usize..rows.offsets[k + 1] as usize] {
            axpy(1.0, &self.dz[slot as usize * dim..(slot as usize + 1) * dim], out);
        }
    }
}

/// Which slots a positive's records use.
#[derive(Clone, Copy)]
struct Slots<'a> {
    b: usize,
    r: usize,
    s: usize,
    perm: &'a [u32],
}

impl<'a> Slots<'a> {
    /// The slots of positive `i`'s records: its own, its R random ones, then its S shuffled partners'.
    fn of(self, i: usize) -> impl Iterator<Item = usize> + 'a {
        let Slots { b, r, s, perm } = self;
        std::iter::once(i)
            .chain((0..r).map(move |j| b + i * r + j))
            .chain((0..s).map(move |k| perm[k * b + i] as usize))
    }
}
