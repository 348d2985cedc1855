//! Random AWS-looking identifiers.

use rand::Rng;

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

fn pick(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// `prefix` + upper-case letters and digits, e.g. `AIDA` + 17 → a 21-character principal id.
pub(crate) fn aws_id(rng: &mut impl Rng, prefix: &str, len: usize) -> String {
    format!("{prefix}{}", pick(rng, UPPER_DIGITS, len))
}

/// Mixed-case alphanumerics (CloudTrail file-name suffix).
pub(crate) fn alnum(rng: &mut impl Rng, len: usize) -> String {
    pick(rng, ALNUM, len)
}

/// Lower-case hex (GuardDuty finding and detector ids).
pub(crate) fn hex(rng: &mut impl Rng, len: usize) -> String {
    pick(rng, HEX, len)
}

/// A version-4 UUID string.
pub(crate) fn uuid(rng: &mut impl Rng) -> String {
    let h = hex(rng, 32);
    let variant = HEX[8 + rng.gen_range(0..4)] as char;
    format!("{}-{}-4{}-{variant}{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}
