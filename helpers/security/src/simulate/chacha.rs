//! The simulator's random generator: ChaCha with 8 rounds, the same output stream as `rand_chacha` 0.3's
//! `ChaCha8Rng` for every seed and stream, so the simulated account stays byte-for-byte what it was.
//!
//! Written here rather than taken from `rand_chacha`: that crate brings `ppv-lite86` and `zerocopy`, whose crate
//! graph alone costs the notebook kernel's rust-analyzer about a second at every kernel start.
//! The layout is djb's original ChaCha: four constant words, the 256-bit key (the seed), a 64-bit block counter
//! and a 64-bit stream number. Blocks are produced four at a time into a 64-word buffer, read by `rand_core`'s
//! `BlockRng` exactly as `rand_chacha` reads them.

use rand_core::block::{BlockRng, BlockRngCore};
use rand_core::SeedableRng;

/// "expand 32-byte k", the ChaCha constant.
const CONSTANT: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Double rounds: ChaCha8 is four column-and-diagonal rounds.
const DOUBLE_ROUNDS: usize = 4;
/// Blocks per refill, four as in `rand_chacha` (`BlockRng` reads its buffer as one contiguous stream).
const BLOCKS: usize = 4;

/// A seeded ChaCha8 generator (`rand::Rng` through `RngCore`).
pub(crate) type ChaCha8 = BlockRng<ChaCha8Core>;

/// A generator for `seed` on independent stream `stream`, as `ChaCha8Rng::seed_from_u64(seed)` followed by
/// `set_stream(stream)`.
pub(crate) fn chacha8(seed: u64, stream: u64) -> ChaCha8 {
    let mut core = ChaCha8Core::seed_from_u64(seed);
    core.stream = stream;
    BlockRng::new(core)
}

/// The block function and its position: key, block counter and stream number.
#[derive(Clone, Debug)]
pub(crate) struct ChaCha8Core {
    key: [u32; 8],
    counter: u64,
    stream: u64,
}

impl SeedableRng for ChaCha8Core {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> ChaCha8Core {
        let mut key = [0; 8];
        for (word, bytes) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        ChaCha8Core { key, counter: 0, stream: 0 }
    }
}

/// The output buffer of one refill (an array this long has no `Default` of its own).
#[derive(Clone, Debug)]
pub(crate) struct Buffer([u32; 16 * BLOCKS]);

impl Default for Buffer {
    fn default() -> Buffer {
        Buffer([0; 16 * BLOCKS])
    }
}

impl AsRef<[u32]> for Buffer {
    fn as_ref(&self) -> &[u32] {
        &self.0
    }
}

impl AsMut<[u32]> for Buffer {
    fn as_mut(&mut self) -> &mut [u32] {
        &mut self.0
    }
}

impl BlockRngCore for ChaCha8Core {
    type Item = u32;
    type Results = Buffer;

    fn generate(&mut self, results: &mut Buffer) {
        for block in results.0.chunks_exact_mut(16) {
            let block: &mut [u32; 16] = block.try_into().expect("chunks of 16 words");
            self.block(block);
            self.counter = self.counter.wrapping_add(1);
        }
    }
}

impl ChaCha8Core {
    /// One 16-word block at the current counter.
    fn block(&self, out: &mut [u32; 16]) {
        let mut input = [0u32; 16];
        input[..4].copy_from_slice(&CONSTANT);
        input[4..12].copy_from_slice(&self.key);
        input[12] = self.counter as u32;
        input[13] = (self.counter >> 32) as u32;
        input[14] = self.stream as u32;
        input[15] = (self.stream >> 32) as u32;
        let mut x = input;
        for _ in 0..DOUBLE_ROUNDS {
            quarter_round(&mut x, 0, 4, 8, 12);
            quarter_round(&mut x, 1, 5, 9, 13);
            quarter_round(&mut x, 2, 6, 10, 14);
            quarter_round(&mut x, 3, 7, 11, 15);
            quarter_round(&mut x, 0, 5, 10, 15);
            quarter_round(&mut x, 1, 6, 11, 12);
            quarter_round(&mut x, 2, 7, 8, 13);
            quarter_round(&mut x, 3, 4, 9, 14);
        }
        for ((o, x), i) in out.iter_mut().zip(x).zip(input) {
            *o = x.wrapping_add(i);
        }
    }
}

fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngCore};

    /// The reference stream, from the crate this module replaces (a dev-dependency only).
    fn reference(seed: u64, stream: u64) -> rand_chacha::ChaCha8Rng {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        rng
    }

    #[test]
    fn matches_rand_chacha_word_for_word_across_refills() {
        for (seed, stream) in [(0, 0), (42, 1), (42, 2), (u64::MAX, 4), (7, u64::MAX), (1 << 40, 3)] {
            let (mut ours, mut theirs) = (chacha8(seed, stream), reference(seed, stream));
            // 3 refills of 64 words, read as a mix of u32 and u64 so that a u64 straddles a refill.
            for i in 0..200 {
                if i % 3 == 0 {
                    assert_eq!(ours.next_u64(), theirs.next_u64(), "seed {seed} stream {stream} read {i}");
                } else {
                    assert_eq!(ours.next_u32(), theirs.next_u32(), "seed {seed} stream {stream} read {i}");
                }
            }
        }
    }

    #[test]
    fn matches_rand_chacha_through_rng_methods_and_byte_fills() {
        let (mut ours, mut theirs) = (chacha8(42, 3), reference(42, 3));
        for _ in 0..1000 {
            assert_eq!(ours.gen_range(0..1000u32), theirs.gen_range(0..1000u32));
            assert_eq!(ours.gen::<f64>().to_bits(), theirs.gen::<f64>().to_bits());
            assert_eq!(ours.gen_bool(0.3), theirs.gen_bool(0.3));
        }
        let (mut a, mut b) = ([0u8; 333], [0u8; 333]);
        ours.fill_bytes(&mut a);
        theirs.fill_bytes(&mut b);
        assert_eq!(a, b);
        assert_eq!(ours.next_u64(), theirs.next_u64());
    }

    #[test]
    fn chacha8_test_vector() {
        // ChaCha8, all-zero key and nonce, first block (Strombergson's draft test vectors, TC1 with 8 rounds).
        let mut rng = BlockRng::new(ChaCha8Core::from_seed([0; 32]));
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        assert_eq!(
            bytes,
            [0x3e, 0x00, 0xef, 0x2f, 0x89, 0x5f, 0x40, 0xd6, 0x7f, 0x5b, 0xb8, 0xe8, 0x1f, 0x09, 0xa5, 0xa1]
        );
    }
}
