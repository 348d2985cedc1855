//! The distinct IP-table rows of a batch and the slots using each.

use crate::ip::FEATURES_PER_IP;

/// Distinct table rows of a batch with the slots using each (CSR), built in linear time with a stamp array.
///
/// Counts are `u32`: a batch has at most 500,000 positives (SageMaker's mini_batch_size limit) with 1 + R ≤ 501
/// slots each, so at most 500,000 · 501 · 8 ≈ 2.0·10⁹ slot features, inside `u32`.
#[derive(Default)]
pub(super) struct RowIndex {
    stamp: Vec<u32>,
    local: Vec<u32>,
    epoch: u32,
    /// The distinct rows, in first-use order.
    pub(super) rows: Vec<u32>,
    /// Per distinct row: where its slots start in `members` (one extra entry at the end).
    pub(super) offsets: Vec<u32>,
    /// Slots, grouped by row.
    pub(super) members: Vec<u32>,
}

impl RowIndex {
    /// Bytes its buffers hold (their capacities).
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        4 * (self.stamp.capacity()
            + self.local.capacity()
            + self.rows.capacity()
            + self.offsets.capacity()
            + self.members.capacity())
    }

    /// Indexes the rows of `feats` (one entry per slot) of a table with `table_rows` rows.
    pub(super) fn build(&mut self, table_rows: usize, feats: &[[u32; FEATURES_PER_IP]]) {
        if self.stamp.len() != table_rows {
            self.stamp = vec![0; table_rows];
            self.local = vec![0; table_rows];
            self.epoch = 0;
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.fill(0);
            self.epoch = 1;
        }
        self.rows.clear();
        self.offsets.clear();
        for f in feats {
            for &row in f {
                let r = row as usize;
                if self.stamp[r] != self.epoch {
                    self.stamp[r] = self.epoch;
                    self.local[r] = self.rows.len() as u32;
                    self.rows.push(row);
                    self.offsets.push(0);
                }
                self.offsets[self.local[r] as usize] += 1;
            }
        }
        // Exclusive prefix sums, then fill.
        let mut total = 0u32;
        for o in self.offsets.iter_mut() {
            let count = *o;
            *o = total;
            total += count;
        }
        self.offsets.push(total);
        self.members.resize(total as usize, 0);
        let mut cursor: Vec<u32> = self.offsets[..self.rows.len()].to_vec();
        for (slot, f) in feats.iter().enumerate() {
            for &row in f {
                let l = self.local[row as usize] as usize;
                self.members[cursor[l] as usize] = slot as u32;
                cursor[l] += 1;
            }
        }
    }
}
