//! A synthesised ASN table: contiguous IPv4 ranges with a realistic, heavy-tailed size distribution.
//!
//! The tutorial draws addresses from the iptoasn table (~830k ranges). That table is not available offline, so we
//! synthesise one: ranges walk the unicast space 1.0.0.0–223.255.255.255 in order, each a CIDR block whose prefix
//! length is drawn from a distribution shaped like the real table's (most ranges /22–/24, a long tail of large
//! blocks), giving about 650k ranges. Neighbouring rows are neighbouring address space, as in the real table, which
//! is what the tutorial's "home ± a few rows" locality relies on.

use rand::Rng;
use std::net::Ipv4Addr;

/// (prefix length, weight) of a range's size.
const PREFIX_WEIGHTS: [(u32, f64); 13] = [
    (24, 0.50),
    (23, 0.12),
    (22, 0.14),
    (21, 0.07),
    (20, 0.06),
    (19, 0.04),
    (18, 0.03),
    (17, 0.02),
    (16, 0.02),
    (15, 0.004),
    (14, 0.002),
    (13, 0.001),
    (12, 0.0005),
];

const FIRST: u64 = 0x0100_0000; // 1.0.0.0
const END: u64 = 0xe000_0000; // 224.0.0.0 (multicast and above are not used)

/// IPv4 ranges, one per (synthetic) autonomous system row, sorted and contiguous.
#[derive(Debug, Clone)]
pub struct AsnTable {
    starts: Vec<u32>,
    ends: Vec<u32>,
}

impl AsnTable {
    /// Synthesises the table from `seed` (same seed, same table).
    pub fn synthesize(seed: u64) -> AsnTable {
        let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) << 64 | 0xa5);
        let total: f64 = PREFIX_WEIGHTS.iter().map(|w| w.1).sum();
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        let mut cursor = FIRST;
        while cursor < END {
            let mut pick = rng.gen::<f64>() * total;
            let mut len = 24;
            for &(l, w) in &PREFIX_WEIGHTS {
                if pick < w {
                    len = l;
                    break;
                }
                pick -= w;
            }
            let end = (cursor + (1u64 << (32 - len))).min(END);
            starts.push(cursor as u32);
            ends.push((end - 1) as u32);
            cursor = end;
        }
        AsnTable { starts, ends }
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the table is empty (never, for a synthesised table).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// A uniformly random address of range `row`.
    pub fn draw_ip(&self, row: usize, rng: &mut impl Rng) -> Ipv4Addr {
        Ipv4Addr::from(rng.gen_range(self.starts[row]..=self.ends[row]))
    }

    /// A random address from a uniformly random range (the tutorial's `draw_ip`, used for travel and attacks).
    pub fn random_ip(&self, rng: &mut impl Rng) -> Ipv4Addr {
        let row = rng.gen_range(0..self.len());
        self.draw_ip(row, rng)
    }

    /// The row holding `ip`, if any.
    pub fn row_of(&self, ip: Ipv4Addr) -> Option<usize> {
        let x = u32::from(ip);
        let row = self.starts.partition_point(|&s| s <= x).checked_sub(1)?;
        (x <= self.ends[row]).then_some(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_contiguous_realistic_and_reproducible() {
        let table = AsnTable::synthesize(1);
        assert!((400_000..1_200_000).contains(&table.len()), "{} rows", table.len());
        for row in 1..table.len() {
            assert_eq!(table.starts[row], table.ends[row - 1] + 1);
        }
        assert_eq!(table.starts[0], FIRST as u32);
        assert_eq!(u64::from(*table.ends.last().unwrap()), END - 1);
        let small = (0..table.len()).filter(|&r| table.ends[r] - table.starts[r] < 1024).count();
        assert!(small * 2 > table.len(), "most ranges are small");
        assert_eq!(AsnTable::synthesize(1).starts, table.starts);
        assert_ne!(AsnTable::synthesize(2).starts, table.starts);
    }

    #[test]
    fn draws_stay_in_their_row() {
        let table = AsnTable::synthesize(3);
        let mut rng = rand_pcg::Pcg64Mcg::new(9);
        for row in [0, 17, table.len() / 2, table.len() - 1] {
            let ip = table.draw_ip(row, &mut rng);
            assert_eq!(table.row_of(ip), Some(row));
        }
        assert_eq!(table.row_of(Ipv4Addr::new(0, 0, 0, 1)), None);
    }
}
