//! IP addresses as the model sees them: parsing, and the encoder's input features.
//!
//! # The IP encoder's input (model format v1)
//!
//! Every address is turned into [`FEATURES_PER_IP`] rows of one shared IP embedding table; the encoder's input
//! vector is the sum of those rows. For IPv4 address `a.b.c.d` (32-bit `x`) the rows are:
//!
//! | feature | rows | index |
//! |---|---|---|
//! | octet `a` at position 0 (= the /8 prefix) | 256 | `a` |
//! | octet `b` at position 1 | 256 | `b` |
//! | octet `c` at position 2 | 256 | `c` |
//! | octet `d` at position 3 | 256 | `d` |
//! | the /12 prefix | 4,096 | `x >> 20` |
//! | the /16 prefix | 65,536 | `x >> 16` |
//! | the /20 prefix | `hashed_buckets` | `int_bucket(20 << 32 \| x >> 12)` |
//! | the /24 prefix | `hashed_buckets` | `int_bucket(24 << 32 \| x >> 8)` |
//!
//! The four octet features determine the address, so every IPv4 address has its own input; the prefix features are
//! shared by every address under the prefix, so an address never seen in training but inside networks a principal
//! uses scores like them. IPv6 addresses (which SageMaker rejects) use a separate segment of the table: hashed
//! prefixes /16, /24, /32, /40, /48, /56, /64 and the whole address; IPv4 rows are never touched by them, so IPv4
//! behaviour is the same with or without IPv6 data. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is treated as IPv4.

use crate::hash::{int_bucket, mix64};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Number of IP-table rows summed to form one address's encoder input.
pub const FEATURES_PER_IP: usize = 8;

/// Rows per hashed segment in model format v1.
pub const DEFAULT_HASHED_BUCKETS: u32 = 65_536;

/// An error for text that is not an IP address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IP address {text:?}")]
pub struct IpParseError {
    /// The offending text (trimmed, at most 64 characters).
    pub text: String,
}

/// Parses an IPv4 or IPv6 address, ignoring surrounding spaces; IPv4-mapped IPv6 becomes IPv4.
pub fn parse_ip(text: &str) -> Result<IpAddr, IpParseError> {
    let trimmed = text.trim();
    match trimmed.parse::<IpAddr>() {
        Ok(ip) => Ok(canonical(ip)),
        Err(_) => Err(IpParseError { text: trimmed.chars().take(64).collect() }),
    }
}

/// Maps IPv4-mapped IPv6 addresses to IPv4 and leaves every other address as it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Where each kind of feature lives in the IP embedding table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IpLayout {
    /// Rows in each hashed segment (/20, /24 and IPv6).
    pub hashed_buckets: u32,
    /// Seed of the prefix hash.
    pub hash_seed: u64,
}

/// Rows of the four octet features, the first rows of the table.
pub(crate) const OCTET_ROWS: u32 = 4 * 256;
const P12_ROWS: u32 = 1 << 12;
const P16_ROWS: u32 = 1 << 16;
const V6_PREFIXES: [u32; 7] = [16, 24, 32, 40, 48, 56, 64];

impl IpLayout {
    /// The v1 layout with the given hash seed.
    pub fn new(hash_seed: u64) -> Self {
        IpLayout { hashed_buckets: DEFAULT_HASHED_BUCKETS, hash_seed }
    }

    fn p12_start(&self) -> u32 {
        OCTET_ROWS
    }
    fn p16_start(&self) -> u32 {
        self.p12_start() + P12_ROWS
    }
    fn p20_start(&self) -> u32 {
        self.p16_start() + P16_ROWS
    }
    fn p24_start(&self) -> u32 {
        self.p20_start() + self.hashed_buckets
    }
    fn v6_start(&self) -> u32 {
        self.p24_start() + self.hashed_buckets
    }

    /// Total rows of the IP embedding table.
    pub fn rows(&self) -> u32 {
        self.v6_start() + self.hashed_buckets
    }

    /// The table rows of an address's features.
    #[inline]
    pub fn features(&self, ip: IpAddr) -> [u32; FEATURES_PER_IP] {
        match canonical(ip) {
            IpAddr::V4(v4) => self.v4_features(u32::from(v4)),
            IpAddr::V6(v6) => self.v6_features(u128::from(v6)),
        }
    }

    /// The table rows of an IPv4 address given as a 32-bit integer.
    #[inline]
    pub fn v4_features(&self, x: u32) -> [u32; FEATURES_PER_IP] {
        let h =
            |len: u64, prefix: u32| int_bucket((len << 32) | u64::from(prefix), self.hash_seed, self.hashed_buckets);
        [
            x >> 24,
            256 + ((x >> 16) & 0xff),
            512 + ((x >> 8) & 0xff),
            768 + (x & 0xff),
            self.p12_start() + (x >> 20),
            self.p16_start() + (x >> 16),
            self.p20_start() + h(20, x >> 12),
            self.p24_start() + h(24, x >> 8),
        ]
    }

    /// The table rows of a (non-mapped) IPv6 address given as a 128-bit integer.
    #[inline]
    pub fn v6_features(&self, x: u128) -> [u32; FEATURES_PER_IP] {
        let bucket = |len: u32| {
            let prefix = if len == 128 { x } else { x >> (128 - len) };
            let key = mix64((prefix >> 64) as u64 ^ u64::from(len)) ^ prefix as u64;
            self.v6_start() + int_bucket(key, self.hash_seed, self.hashed_buckets)
        };
        let mut out = [0u32; FEATURES_PER_IP];
        for (slot, len) in out.iter_mut().zip(V6_PREFIXES) {
            *slot = bucket(len);
        }
        out[FEATURES_PER_IP - 1] = bucket(128);
        out
    }
}

/// A uniformly random IPv4 address (each octet uniform over 0–255), as SageMaker's random negatives.
#[inline]
pub fn random_v4(rng: &mut impl rand::RngCore) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(rng.next_u32()))
}

/// A uniformly random global-unicast IPv6 address (2000::/3): the IPv6 counterpart of [`random_v4`].
#[inline]
pub fn random_v6(rng: &mut impl rand::RngCore) -> IpAddr {
    let hi = (u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32())) & !(0b111 << 61) | (0b001 << 61);
    let lo = u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32());
    IpAddr::V6(Ipv6Addr::from((u128::from(hi) << 64) | u128::from(lo)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn parses_v4_v6_and_mapped() {
        assert_eq!(parse_ip(" 1.2.3.4 ").unwrap(), "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(parse_ip("::ffff:10.0.0.1").unwrap(), "10.0.0.1".parse::<IpAddr>().unwrap());
        assert!(parse_ip("2001:db8::1").unwrap().is_ipv6());
        let err = parse_ip("ec2.amazonaws.com").unwrap_err();
        assert_eq!(err.to_string(), "invalid IP address \"ec2.amazonaws.com\"");
        assert!(parse_ip("1.2.3").is_err());
        assert!(parse_ip("").is_err());
    }

    #[test]
    fn v4_features_are_in_their_segments() {
        let layout = IpLayout::new(7);
        let f = layout.v4_features(u32::from(Ipv4Addr::new(10, 20, 30, 40)));
        assert_eq!(&f[..4], &[10, 256 + 20, 512 + 30, 768 + 40]);
        assert_eq!(f[4], layout.p12_start() + ((10 << 4) | (20 >> 4)));
        assert_eq!(f[5], layout.p16_start() + (10 << 8 | 20));
        assert!((layout.p20_start()..layout.p24_start()).contains(&f[6]));
        assert!((layout.p24_start()..layout.v6_start()).contains(&f[7]));
        for row in layout.v6_features(1 << 125) {
            assert!((layout.v6_start()..layout.rows()).contains(&row));
        }
    }

    #[test]
    fn every_v4_address_has_distinct_features() {
        // The octet features alone identify the address; check a dense /16 and a spread of samples.
        let layout = IpLayout::new(1);
        let addresses: HashSet<u32> =
            (0x0a00_0000u32..0x0a01_0000).chain((0..50_000u32).map(|i| i.wrapping_mul(2_654_435_761))).collect();
        let inputs: HashSet<_> = addresses.iter().map(|&x| layout.v4_features(x)).collect();
        assert_eq!(inputs.len(), addresses.len());
        let a = layout.v4_features(0x0a00_0001);
        let b = layout.v4_features(0x0a00_0002);
        assert_ne!(a, b);
        assert_eq!(a[4..], b[4..], "addresses in one /24 share every prefix row");
    }

    #[test]
    fn mapped_v6_uses_v4_rows() {
        let layout = IpLayout::new(3);
        let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
        let v4: IpAddr = "1.2.3.4".parse().unwrap();
        assert_eq!(layout.features(mapped), layout.features(v4));
    }

    #[test]
    fn random_v6_is_global_unicast() {
        let mut rng = rand_pcg::Pcg64Mcg::new(5);
        for _ in 0..100 {
            let IpAddr::V6(v6) = random_v6(&mut rng) else { panic!("not v6") };
            assert_eq!(v6.segments()[0] >> 13, 0b001);
        }
    }
}
