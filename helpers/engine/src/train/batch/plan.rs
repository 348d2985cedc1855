//! The batch plan: which entities a batch holds, its negatives, its slots and the IP-table rows they read.

use super::rows::RowIndex;
use super::Negatives;
use crate::ip::FEATURES_PER_IP;
use crate::model::Model;
use crate::train::data::Encoded;
use rand::seq::SliceRandom;
use rand::RngCore;

/// A batch's size and negatives per positive.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Shape {
    /// Positives `B`.
    pub positives: usize,
    /// Random negatives per positive `R`.
    pub random: usize,
    /// Shuffled negatives per positive `S`.
    pub shuffled: usize,
}

impl Shape {
    /// Records per positive: `1 + R + S`.
    pub fn width(&self) -> usize {
        1 + self.random + self.shuffled
    }
}

/// What a batch holds. Invariants after [`Plan::prepare`] (every later phase relies on them):
///
/// * `entity_rows` is ascending and distinct (the lazy Adam step needs distinct rows), and
///   `entity_of[i] < entity_rows.len()` is the index of positive `i`'s entity row in it;
/// * `by_entity` lists every positive exactly once, grouped by entity in `entity_rows` order, each group ascending;
/// * `slot_features.len() == B · (1 + R)`: slot `i < B` holds positive `i`'s address, slot `B + i·R + j` positive
///   `i`'s `j`-th random address;
/// * `shuffled` is `S` permutations of `0..B` back to back: shuffled negative `q` of positive `i` reads slot
///   `shuffled[q·B + i]`, and `shuffled_inverse[q·B + shuffled[q·B + i]] == i`;
/// * `ip_rows` indexes the distinct IP-table rows of `slot_features` with the slots reading each.
#[derive(Default)]
pub(super) struct Plan {
    /// Positives and negatives per positive.
    pub shape: Shape,
    /// Per positive: the index of its entity row in `entity_rows`.
    pub entity_of: Vec<u32>,
    /// The batch's distinct entity rows, ascending.
    pub entity_rows: Vec<u32>,
    /// The positives of each entity of `entity_rows`.
    pub by_entity: Groups,
    /// Per slot: the IP-table rows of its address's features.
    pub slot_features: Vec<[u32; FEATURES_PER_IP]>,
    /// Per shuffled negative (`q·B + i`): the slot (a positive's) it reads.
    pub shuffled: Vec<u32>,
    /// The inverse of each permutation of `shuffled`: `shuffled_inverse[q·B + j]` is the positive whose `q`-th
    /// shuffled negative reads slot `j`.
    pub shuffled_inverse: Vec<u32>,
    /// The distinct IP-table rows of the slots, with the slots reading each.
    pub ip_rows: RowIndex,
}

/// Items grouped into consecutive runs (compressed sparse rows): group `g` is
/// `members[offsets[g]..offsets[g + 1]]`.
#[derive(Default)]
pub(super) struct Groups {
    /// Where each group starts in `members`, plus one entry for the end.
    pub offsets: Vec<u32>,
    /// The items, group after group.
    pub members: Vec<u32>,
}

impl Groups {
    /// The items of group `g`.
    pub fn of(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        self.members[self.offsets[g] as usize..self.offsets[g + 1] as usize].iter().map(|&i| i as usize)
    }
}

impl Plan {
    /// Plans a batch of `positives` with `negatives` per positive for `model`.
    pub fn prepare(&mut self, model: &Model, positives: &[&Encoded], negatives: Negatives, rng: &mut impl RngCore) {
        self.shape = Shape { positives: positives.len(), random: negatives.random, shuffled: negatives.shuffled };
        self.group_entities(positives);
        self.draw_random_slots(model, positives, rng);
        self.draw_shuffled(rng);
        self.ip_rows.build(model.layout.rows() as usize, &self.slot_features);
    }

    /// Fills `entity_of`, `entity_rows` and `by_entity` (sorting the positives by entity row).
    fn group_entities(&mut self, positives: &[&Encoded]) {
        let mut order: Vec<(u32, u32)> = positives.iter().enumerate().map(|(i, p)| (p.row, i as u32)).collect();
        order.sort_unstable();
        self.entity_of.resize(positives.len(), 0);
        self.entity_rows.clear();
        self.by_entity.offsets.clear();
        self.by_entity.members.clear();
        for (row, i) in order {
            if self.entity_rows.last() != Some(&row) {
                self.entity_rows.push(row);
                self.by_entity.offsets.push(self.by_entity.members.len() as u32);
            }
            self.entity_of[i as usize] = (self.entity_rows.len() - 1) as u32;
            self.by_entity.members.push(i);
        }
        self.by_entity.offsets.push(self.by_entity.members.len() as u32);
    }

    /// Fills `slot_features`: the positives' addresses, then `R` random addresses per positive (same family as
    /// the positive's).
    fn draw_random_slots(&mut self, model: &Model, positives: &[&Encoded], rng: &mut impl RngCore) {
        self.slot_features.clear();
        self.slot_features.extend(positives.iter().map(|p| p.feats));
        for p in positives {
            for _ in 0..self.shape.random {
                let ip = if p.v6 { crate::ip::random_v6(rng) } else { crate::ip::random_v4(rng) };
                self.slot_features.push(model.layout.features(ip));
            }
        }
    }

    /// Fills `shuffled` and `shuffled_inverse` with `S` random permutations of the positives.
    fn draw_shuffled(&mut self, rng: &mut impl RngCore) {
        let (b, s) = (self.shape.positives, self.shape.shuffled);
        self.shuffled.clear();
        self.shuffled_inverse.resize(s * b, 0);
        let mut perm: Vec<u32> = (0..b as u32).collect();
        for q in 0..s {
            perm.shuffle(rng);
            for (i, &p) in perm.iter().enumerate() {
                self.shuffled_inverse[q * b + p as usize] = i as u32;
            }
            self.shuffled.extend_from_slice(&perm);
        }
    }

    /// Slots `B · (1 + R)`.
    pub fn slot_count(&self) -> usize {
        self.slot_features.len()
    }

    /// The slots each record reads.
    pub fn record_slots(&self) -> RecordSlots<'_> {
        RecordSlots { shape: self.shape, shuffled: &self.shuffled }
    }
}

/// Which slot each record of a positive reads (a small copyable view of the plan for hot loops).
#[derive(Clone, Copy)]
pub(super) struct RecordSlots<'a> {
    shape: Shape,
    shuffled: &'a [u32],
}

impl<'a> RecordSlots<'a> {
    /// The slots of positive `i`'s records, in record order: its own, its `R` random ones, then its `S` shuffled
    /// partners'.
    pub fn of(self, i: usize) -> impl Iterator<Item = usize> + 'a {
        let RecordSlots { shape: Shape { positives: b, random: r, shuffled: s }, shuffled } = self;
        std::iter::once(i)
            .chain((0..r).map(move |j| b + i * r + j))
            .chain((0..s).map(move |q| shuffled[q * b + i] as usize))
    }
}
