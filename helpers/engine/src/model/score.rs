//! Bulk scoring, grouped by entity row.
//!
//! Scoring is bound by gathering IP-table rows (eight rows of `vector_dim` floats per pair, four of them from the
//! 130 MB of prefix rows). Pairs are therefore scored grouped by entity row (a stable counting sort, so each group
//! keeps input order): an entity's `W_Lᵀ e` is computed once per group and stays in L1, and one entity's addresses
//! share networks, so their prefix rows stay in cache across the group. The prefix rows of the pair [`AHEAD`] steps
//! on are prefetched while the current pair is scored. Each score is computed exactly as it would be on its own, so
//! the order changes nothing but speed; scores are returned in input order.

use super::Model;
use crate::ip::{canonical, FEATURES_PER_IP};
use crate::linalg::{axpy, dot, dot_rows, prefetch};
use crate::parallel::{default_threads, Workers};
use std::net::IpAddr;

/// Inputs at least this long are scored on all cores.
const PARALLEL_MIN: usize = 8192;

/// How many pairs ahead table rows are prefetched.
const AHEAD: usize = 8;

/// The most pairs scored as one block: pairs are indexed by `u32` inside a block, and longer inputs are scored block
/// after block.
const BLOCK: usize = u32::MAX as usize;

/// `dot_product` for every pair, in input order (see the module docs); any number of pairs.
pub(super) fn score_pairs<S: AsRef<str> + Sync>(model: &Model, pairs: &[(S, IpAddr)]) -> Vec<f32> {
    score_in_blocks(model, pairs, BLOCK)
}

/// Scores `pairs` in blocks of at most `block` pairs (each score is the same whatever the blocks).
fn score_in_blocks<S: AsRef<str> + Sync>(model: &Model, pairs: &[(S, IpAddr)], block: usize) -> Vec<f32> {
    if pairs.len() <= block {
        return score_block(model, pairs);
    }
    let mut out = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(block) {
        out.extend(score_block(model, chunk));
    }
    out
}

/// Scores at most `u32::MAX` pairs.
fn score_block<S: AsRef<str> + Sync>(model: &Model, pairs: &[(S, IpAddr)]) -> Vec<f32> {
    let n = pairs.len();
    assert!(n <= BLOCK, "a scoring block holds at most u32::MAX pairs");
    let workers = Workers::new(if n >= PARALLEL_MIN { default_threads() } else { 1 });
    // One sequential pass over the input: entity rows, and IPv4 addresses as integers (IPv6 pairs are flagged
    // and read again later), so the grouped pass below reads small arrays instead of the caller's pairs.
    let mut rows = vec![0u32; n];
    let mut v4 = vec![0u32; n];
    let mut v6 = vec![false; n];
    let parts: Vec<_> = workers
        .split(n, 1, &mut rows)
        .into_iter()
        .zip(workers.split(n, 1, &mut v4))
        .zip(workers.split(n, 1, &mut v6))
        .collect();
    workers.run_parts(parts, |_, (((range, rows), (_, v4)), (_, v6))| {
        for (k, (entity, ip)) in pairs[range].iter().enumerate() {
            rows[k] = model.entity_row(entity.as_ref());
            match canonical(*ip) {
                IpAddr::V4(a) => v4[k] = u32::from(a),
                IpAddr::V6(_) => v6[k] = true,
            }
        }
    });
    let order = group_by_row(&rows, model.hyperparameters.num_entity_vectors);
    let mut grouped = vec![0.0f32; n];
    workers.for_each_chunk(n, 1, &mut grouped, |range, chunk| {
        let ids = &order[range];
        let mut scorer = GroupScorer::new(model);
        // Pair `ids[k]`'s features live in `ahead[k % AHEAD]` from step k − AHEAD on, when its table rows are
        // prefetched; its address and entity row are prefetched AHEAD steps before that.
        let mut ahead = [[0u32; FEATURES_PER_IP]; AHEAD];
        let fetch = |k: usize, ahead: &mut [[u32; FEATURES_PER_IP]; AHEAD]| {
            if let Some(&i) = ids.get(k + AHEAD) {
                prefetch(&v4[i as usize]);
                prefetch(&v6[i as usize]);
                prefetch(&rows[i as usize]);
            }
            if let Some(&i) = ids.get(k) {
                let i = i as usize;
                let features = if v6[i] { model.layout.features(pairs[i].1) } else { model.layout.v4_features(v4[i]) };
                model.prefetch_prefix_rows(&features);
                ahead[k % AHEAD] = features;
            }
        };
        for k in 0..AHEAD {
            fetch(k, &mut ahead);
        }
        for (k, (slot, &i)) in chunk.iter_mut().zip(ids).enumerate() {
            let features = ahead[k % AHEAD];
            fetch(k + AHEAD, &mut ahead);
            *slot = scorer.score(rows[i as usize], &features);
        }
    });
    let mut out = vec![0.0f32; n];
    for (&i, &score) in order.iter().zip(&grouped) {
        out[i as usize] = score;
    }
    out
}

/// Indices `0..rows.len()` ordered by `rows[i]`, ties in index order; `rows` holds values below `row_count`.
fn group_by_row(rows: &[u32], row_count: u32) -> Vec<u32> {
    let n = rows.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    if (row_count as usize) > n {
        // Few pairs for the table: a comparison sort beats a histogram of every row.
        order.sort_by_key(|&i| rows[i as usize]);
        return order;
    }
    let mut start = vec![0u32; row_count as usize + 1];
    for &r in rows {
        start[r as usize + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    for (i, &r) in rows.iter().enumerate() {
        let slot = &mut start[r as usize];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }
    order
}

/// Scores pairs entity group by entity group, keeping the current entity's `W_Lᵀ e` and `e · b_L`.
struct GroupScorer<'m> {
    model: &'m Model,
    /// The entity row `projected` and `offset` belong to.
    row: Option<u32>,
    projected: Vec<f32>,
    offset: f32,
    h: Vec<f32>,
    tmp: Vec<f32>,
}

impl<'m> GroupScorer<'m> {
    fn new(model: &'m Model) -> Self {
        let dim = model.vector_dim();
        GroupScorer { model, row: None, projected: vec![0.0; dim], offset: 0.0, h: vec![0.0; dim], tmp: vec![0.0; dim] }
    }

    /// Sets `(W_Lᵀ e, e · b_L)` for an entity row (`(e, 0)` without layers).
    fn project(&mut self, row: u32) {
        let model = self.model;
        let e = model.entity_vector(row);
        match model.layers.last() {
            None => {
                self.projected.copy_from_slice(e);
                self.offset = 0.0;
            }
            Some(last) => {
                let dim = e.len();
                self.projected.fill(0.0);
                for (o, &eo) in e.iter().enumerate() {
                    axpy(eo, &last.w[o * dim..(o + 1) * dim], &mut self.projected);
                }
                self.offset = dot(e, &last.b);
            }
        }
        self.row = Some(row);
    }

    /// The score of entity row `row` with the address whose features are `features`.
    fn score(&mut self, row: u32, features: &[u32; FEATURES_PER_IP]) -> f32 {
        if self.row != Some(row) {
            self.project(row);
        }
        let model = self.model;
        if model.layers.len() <= 1 {
            // z = h₀: score the feature rows directly without materialising h₀.
            return dot_rows(&self.projected, &model.ip_table, features) + self.offset;
        }
        model.encoder_input(features, &mut self.h);
        model.hidden_forward(&mut self.h, &mut self.tmp);
        dot(&self.projected, &self.h) + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::{group_by_row, score_in_blocks};
    use crate::hyperparams::IpInsightsParams;
    use crate::model::Model;
    use std::net::IpAddr;

    #[test]
    fn scoring_in_blocks_gives_every_pair_its_own_score_in_order() {
        let hp = IpInsightsParams::new(50, 8).check().unwrap();
        let model = Model::new(&hp, 1, 2);
        let pairs: Vec<(String, IpAddr)> = (0..103u32)
            .map(|i| (format!("user_{}", i % 11), IpAddr::V4((i.wrapping_mul(2_654_435_761)).into())))
            .collect();
        let whole = score_in_blocks(&model, &pairs, usize::MAX);
        assert_eq!(whole.len(), 103);
        for block in [1, 7, 50, 102, 103] {
            assert_eq!(score_in_blocks(&model, &pairs, block), whole, "blocks of {block}");
        }
    }

    #[test]
    fn grouping_is_a_stable_sort_by_row_on_both_paths() {
        let rows = [3, 1, 3, 0, 1, 3];
        let expected = vec![3, 1, 4, 0, 2, 5];
        assert_eq!(group_by_row(&rows, 4), expected); // histogram
        assert_eq!(group_by_row(&rows, 1000), expected); // comparison sort
        assert!(group_by_row(&[], 5).is_empty());
    }
}
