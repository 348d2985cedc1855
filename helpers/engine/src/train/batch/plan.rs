//! The batch plan: which entities a batch holds, its negatives, its slots and the IP-table rows they read.

use super::rows::RowIndex;
use super::Negatives;
use crate::ip::FEATURES_PER_IP;
use crate::model::Model;
use crate::train::data::Encoded;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

/// The slot of a shuffled negative that could not be drawn: its batch holds no other entity.
pub(super) const NO_PARTNER: u32 = u32::MAX;

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
/// * shuffled negative `q` of positive `i` reads the slot `shuffled[q·B + i]`: another positive's, of another
///   entity row (so no real pair is ever labelled 0), or [`NO_PARTNER`] when the batch holds a single entity row
///   (that record is left out: `shuffled_skipped` counts them); `shuffled_readers` groups the shuffled negatives
///   (`q·B + i`) by the slot they read, in ascending order;
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
    /// Per shuffled negative (`q·B + i`): the slot (a positive's) it reads, or [`NO_PARTNER`].
    pub shuffled: Vec<u32>,
    /// Per positive's slot: the shuffled negatives (`q·B + i`) reading it.
    pub shuffled_readers: Groups,
    /// Shuffled negatives left out because their batch holds a single entity row.
    pub shuffled_skipped: usize,
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
        // Exactly the batch's slots: the memory check counts them, not a doubled capacity.
        self.slot_features.reserve_exact(positives.len() * (1 + self.shape.random));
        self.slot_features.extend(positives.iter().map(|p| p.feats));
        for p in positives {
            for _ in 0..self.shape.random {
                let ip = if p.v6 { crate::ip::random_v6(rng) } else { crate::ip::random_v4(rng) };
                self.slot_features.push(model.layout.features(ip));
            }
        }
    }

    /// Fills `shuffled`, `shuffled_readers` and `shuffled_skipped`: per round `q`, a random permutation of the
    /// positives pairs each positive with another's address; a partner of the same entity row (the positive itself
    /// included) is redrawn uniformly among the positives of the other entity rows.
    fn draw_shuffled(&mut self, rng: &mut impl RngCore) {
        let (b, s) = (self.shape.positives, self.shape.shuffled);
        self.shuffled.clear();
        self.shuffled.reserve_exact(b * s);
        self.shuffled_skipped = 0;
        let mut perm: Vec<u32> = (0..b as u32).collect();
        for _ in 0..s {
            perm.shuffle(rng);
            for (i, &partner) in perm.iter().enumerate() {
                let entity = self.entity_of[i];
                let partner = if self.entity_of[partner as usize] != entity {
                    partner
                } else {
                    self.other_entity_positive(entity as usize, rng).unwrap_or(NO_PARTNER)
                };
                self.shuffled_skipped += usize::from(partner == NO_PARTNER);
                self.shuffled.push(partner);
            }
        }
        group_readers(&self.shuffled, b, &mut self.shuffled_readers);
    }

    /// A uniformly random positive whose entity row is not entity `e`'s, if the batch has one.
    fn other_entity_positive(&self, e: usize, rng: &mut impl RngCore) -> Option<u32> {
        let groups = &self.by_entity;
        let (start, end) = (groups.offsets[e] as usize, groups.offsets[e + 1] as usize);
        let others = groups.members.len() - (end - start);
        if others == 0 {
            return None;
        }
        // Positions `start..end` of `members` hold entity e's positives: draw among the others and step over them.
        let at = rng.gen_range(0..others);
        Some(groups.members[if at < start { at } else { at + (end - start) }])
    }

    /// Bytes its buffers hold (their capacities).
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        let u32s = self.entity_of.capacity()
            + self.entity_rows.capacity()
            + self.by_entity.offsets.capacity()
            + self.by_entity.members.capacity()
            + self.shuffled.capacity()
            + self.shuffled_readers.offsets.capacity()
            + self.shuffled_readers.members.capacity();
        4 * u32s + 4 * FEATURES_PER_IP * self.slot_features.capacity() + self.ip_rows.heap_bytes()
    }

    /// Slots `B · (1 + R)`.
    pub fn slot_count(&self) -> usize {
        self.slot_features.len()
    }

    /// Records of the batch: `B · (1 + R + S)` less the shuffled negatives left out.
    pub fn record_count(&self) -> usize {
        self.shape.positives * self.shape.width() - self.shuffled_skipped
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
    /// Positive `i`'s records as `(k, slot)`: `k` is the record's place among the positive's `1 + R + S`, `slot` the
    /// slot it reads; in record order: its own, its `R` random ones, then its shuffled partners' (those drawn).
    pub fn of(self, i: usize) -> impl Iterator<Item = (usize, usize)> + 'a {
        let RecordSlots { shape: Shape { positives: b, random: r, shuffled: s }, shuffled } = self;
        std::iter::once(i).chain((0..r).map(move |j| b + i * r + j)).enumerate().chain((0..s).filter_map(move |q| {
            let slot = shuffled[q * b + i];
            (slot != NO_PARTNER).then_some((1 + r + q, slot as usize))
        }))
    }
}

/// Groups the shuffled negatives (`q·B + i`, ascending) by the positive's slot they read (`NO_PARTNER` reads none).
fn group_readers(shuffled: &[u32], b: usize, readers: &mut Groups) {
    readers.offsets.clear();
    readers.offsets.resize(b + 1, 0);
    for &slot in shuffled.iter().filter(|&&slot| slot != NO_PARTNER) {
        readers.offsets[slot as usize + 1] += 1;
    }
    for j in 1..=b {
        readers.offsets[j] += readers.offsets[j - 1];
    }
    readers.members.resize(readers.offsets[b] as usize, 0);
    let mut cursor = readers.offsets[..b].to_vec();
    for (record, &slot) in shuffled.iter().enumerate().filter(|&(_, &slot)| slot != NO_PARTNER) {
        readers.members[cursor[slot as usize] as usize] = record as u32;
        cursor[slot as usize] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperparams::IpInsightsParams;

    /// Positives of the given entity rows, each with its own address.
    fn positives(model: &Model, rows: &[u32]) -> Vec<Encoded> {
        rows.iter()
            .enumerate()
            .map(|(i, &row)| Encoded { row, feats: model.layout.v4_features(0x0a00_0000 + i as u32), v6: false })
            .collect()
    }

    fn plan(rows: &[u32], shuffled: usize, seed: u128) -> Plan {
        let model = Model::new(&IpInsightsParams::new(50, 4).check().unwrap(), 1, 1);
        let encoded = positives(&model, rows);
        let refs: Vec<&Encoded> = encoded.iter().collect();
        let mut plan = Plan::default();
        let mut rng = rand_pcg::Pcg64Mcg::new(seed);
        plan.prepare(&model, &refs, Negatives { random: 1, shuffled }, &mut rng);
        plan
    }

    #[test]
    fn shuffled_negatives_never_pair_a_positive_with_its_own_entity() {
        // One heavy entity (row 7, 6 of 10 positives): plain permutations pair it with itself on most draws.
        let rows = [7, 7, 3, 7, 9, 7, 7, 3, 9, 7];
        for seed in 0..200 {
            let plan = plan(&rows, 3, seed);
            assert_eq!(plan.shuffled_skipped, 0);
            assert_eq!(plan.record_count(), 10 * 5);
            for (record, &slot) in plan.shuffled.iter().enumerate() {
                let i = record % rows.len();
                assert_ne!(slot, NO_PARTNER);
                assert_ne!(rows[slot as usize], rows[i], "seed {seed}: positive {i} paired with its own entity");
            }
            // Every drawn shuffled negative is listed once under the slot it reads, in ascending order.
            let mut listed = vec![false; plan.shuffled.len()];
            for j in 0..rows.len() {
                let readers: Vec<usize> = plan.shuffled_readers.of(j).collect();
                assert!(readers.windows(2).all(|w| w[0] < w[1]));
                for record in readers {
                    assert_eq!(plan.shuffled[record] as usize, j);
                    listed[record] = true;
                }
            }
            assert!(listed.iter().all(|&l| l));
        }
    }

    #[test]
    fn redrawn_partners_are_spread_over_the_other_entities() {
        // Entity 7's partners come from rows 3 and 9, each positive of them about equally often.
        let rows = [7, 7, 7, 7, 3, 9];
        let mut counts = [0usize; 6];
        for seed in 0..600 {
            let plan = plan(&rows, 1, seed);
            for i in 0..4 {
                counts[plan.shuffled[i] as usize] += 1;
            }
        }
        assert_eq!(counts[..4], [0, 0, 0, 0]);
        assert!((1000..1400).contains(&counts[4]) && (1000..1400).contains(&counts[5]), "{counts:?}");
    }

    #[test]
    fn a_batch_of_a_single_entity_has_no_shuffled_negatives() {
        for rows in [&[4u32, 4, 4][..], &[4]] {
            let plan = plan(rows, 2, 1);
            assert_eq!(plan.shuffled_skipped, 2 * rows.len());
            assert!(plan.shuffled.iter().all(|&s| s == NO_PARTNER));
            assert_eq!(plan.record_count(), rows.len() * 2, "the positives and their random negatives");
            let records: Vec<(usize, usize)> = plan.record_slots().of(0).collect();
            assert_eq!(records, [(0, 0), (1, rows.len())]);
            assert_eq!(plan.shuffled_readers.members.len(), 0);
        }
    }
}
