//! Simulated attacks of several kinds, to grade a threshold against more than the random addresses the model
//! trained against.
//!
//! Each attack pairs a known principal (the entity of a uniformly drawn normal tuple, so principals appear as
//! often as they act) with an address an attacker of that kind would use:
//!
//! - [`AttackKind::RandomIp`]: a uniformly random IPv4 address (the tutorial's attacks, and the model's own random
//!   negatives: the easiest kind to catch);
//! - [`AttackKind::OtherUsersNetwork`]: an address in a /24 another principal uses (an insider, or a stolen key used
//!   from a colleague's network);
//! - [`AttackKind::CloudOrVpn`]: an address in a public cloud or hosting range ([`CLOUD_AND_VPN_RANGES`]), where
//!   attackers rent machines and VPN services run their exits;
//! - [`AttackKind::NearbyNetwork`]: an address in the same /16 as one of the principal's own usual addresses but
//!   outside every /24 it used (the simulated data has no geography: this stands in for "the user's own country or
//!   ISP", and is the hardest kind).
//!
//! The same seed draws the same attacks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipinsights_engine::ip::random_v4;
use ipinsights_engine::tuples::Tuple;
use rand::{Rng, SeedableRng};

/// Examples of public IPv4 ranges registered to cloud and hosting providers, where attackers rent machines and
/// commercial VPNs run exits: (range, owner). A small illustrative table, not a complete or current list: the
/// providers publish theirs (AWS `ip-ranges.json`, Google `cloud.json`, the others through RIR WHOIS).
pub const CLOUD_AND_VPN_RANGES: [(&str, &str); 8] = [
    ("3.80.0.0/12", "Amazon EC2 (us-east-1)"),
    ("52.20.0.0/14", "Amazon EC2 (us-east-1)"),
    ("35.184.0.0/13", "Google Cloud"),
    ("159.89.0.0/16", "DigitalOcean"),
    ("167.99.0.0/16", "DigitalOcean"),
    ("45.79.0.0/16", "Linode (Akamai)"),
    ("95.216.0.0/15", "Hetzner"),
    ("51.75.0.0/16", "OVH"),
];

/// What kind of attacker a simulated attack stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttackKind {
    /// A uniformly random IPv4 address.
    RandomIp,
    /// An address in a /24 another principal uses.
    OtherUsersNetwork,
    /// An address in a public cloud or hosting range ([`CLOUD_AND_VPN_RANGES`]).
    CloudOrVpn,
    /// The same /16 as one of the principal's usual addresses, outside every /24 it used.
    NearbyNetwork,
}

impl AttackKind {
    /// Every kind, easiest first.
    pub const ALL: [AttackKind; 4] =
        [AttackKind::RandomIp, AttackKind::OtherUsersNetwork, AttackKind::CloudOrVpn, AttackKind::NearbyNetwork];
}

impl fmt::Display for AttackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttackKind::RandomIp => "random IPv4 address",
            AttackKind::OtherUsersNetwork => "another user's network (/24)",
            AttackKind::CloudOrVpn => "cloud or VPN range",
            AttackKind::NearbyNetwork => "same /16 as the user's network",
        })
    }
}

/// Simulated attacks of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Attacks {
    /// The kind.
    pub kind: AttackKind,
    /// The ⟨principal, address⟩ pairs.
    pub tuples: Vec<Tuple>,
}

/// The /24 of an IPv4 address, as a number.
fn slash24(ip: Ipv4Addr) -> u32 {
    u32::from(ip) >> 8
}

/// A parsed `a.b.c.d/len` range of [`CLOUD_AND_VPN_RANGES`].
fn parse_range(range: &str) -> (u32, u32) {
    let (base, len) = range.split_once('/').expect("the table's ranges are CIDR");
    let base: Ipv4Addr = base.parse().expect("the table's ranges are IPv4");
    let len: u32 = len.parse().expect("the table's prefix lengths are numbers");
    (u32::from(base), 32 - len)
}

/// `count` attacks of each kind in [`AttackKind::ALL`], drawn for the principals of `normal` (uniformly over its
/// tuples), with the principals' usual networks taken from `familiar` (the training tuples). IPv6 addresses of
/// `familiar` are ignored. A kind that cannot be drawn (no other principal, or a principal with no IPv4 address in
/// `familiar`) falls back to a random address for that attack, so every kind has `count` attacks. Empty when
/// `normal` is empty.
pub fn simulate_attacks(familiar: &[Tuple], normal: &[Tuple], count: usize, seed: u64) -> Vec<Attacks> {
    let mut own: BTreeMap<&str, Vec<Ipv4Addr>> = BTreeMap::new();
    let mut slash24s: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for t in familiar {
        if let IpAddr::V4(v4) = t.ip {
            own.entry(t.entity.as_str()).or_default().push(v4);
            slash24s.entry(t.entity.as_str()).or_default().insert(slash24(v4));
        }
    }
    let ranges: Vec<(u32, u32)> = CLOUD_AND_VPN_RANGES.iter().map(|(r, _)| parse_range(r)).collect();
    let mut out = Vec::new();
    for (k, kind) in AttackKind::ALL.into_iter().enumerate() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed.wrapping_add(k as u64));
        let mut tuples = Vec::with_capacity(if normal.is_empty() { 0 } else { count });
        for _ in 0..if normal.is_empty() { 0 } else { count } {
            let entity = normal[rng.gen_range(0..normal.len())].entity.as_str();
            let ip = match kind {
                AttackKind::RandomIp => None,
                AttackKind::OtherUsersNetwork => other_users_address(&mut rng, entity, &own, &slash24s),
                AttackKind::CloudOrVpn => {
                    let (base, host_bits) = ranges[rng.gen_range(0..ranges.len())];
                    Some(Ipv4Addr::from(base | (rng.gen::<u32>() & ((1u32 << host_bits) - 1))))
                }
                AttackKind::NearbyNetwork => nearby_address(&mut rng, entity, &own, &slash24s),
            };
            let ip = ip.map(IpAddr::V4).unwrap_or_else(|| random_v4(&mut rng));
            tuples.push(Tuple::new(entity, ip));
        }
        out.push(Attacks { kind, tuples });
    }
    out
}

/// A random address in a /24 that another principal of `own` (drawn uniformly among the others) used and `entity`
/// never did (a few tries; `None` if there is no other principal or none was found).
fn other_users_address(
    rng: &mut impl Rng,
    entity: &str,
    own: &BTreeMap<&str, Vec<Ipv4Addr>>,
    slash24s: &BTreeMap<&str, BTreeSet<u32>>,
) -> Option<Ipv4Addr> {
    let others: Vec<&Vec<Ipv4Addr>> = own.iter().filter(|(e, _)| **e != entity).map(|(_, a)| a).collect();
    let mine = slash24s.get(entity);
    for _ in 0..32 {
        let addresses = others.get(rng.gen_range(0..others.len().max(1)))?;
        let ip = addresses[rng.gen_range(0..addresses.len())];
        if !mine.is_some_and(|m| m.contains(&slash24(ip))) {
            return Some(Ipv4Addr::from((slash24(ip) << 8) | rng.gen_range(0..256u32)));
        }
    }
    None
}

/// A random address in the /16 of one of `entity`'s own addresses (drawn uniformly), in a /24 of that /16 it never
/// used (drawn uniformly among those); `None` if the principal has no IPv4 address or used every /24 of that /16.
fn nearby_address(
    rng: &mut impl Rng,
    entity: &str,
    own: &BTreeMap<&str, Vec<Ipv4Addr>>,
    slash24s: &BTreeMap<&str, BTreeSet<u32>>,
) -> Option<Ipv4Addr> {
    let addresses = own.get(entity)?;
    let used = slash24s.get(entity)?;
    let first24 = (u32::from(addresses[rng.gen_range(0..addresses.len())]) & 0xffff_0000) >> 8;
    let free: Vec<u32> = (first24..first24 + 256).filter(|s| !used.contains(s)).collect();
    let chosen = *free.get(rng.gen_range(0..free.len().max(1)))?;
    Some(Ipv4Addr::from((chosen << 8) | rng.gen_range(0..256u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(entity: &str, ip: &str) -> Tuple {
        Tuple::new(entity, ip.parse().unwrap())
    }

    fn v4(ip: IpAddr) -> Ipv4Addr {
        match ip {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => panic!("{ip} is IPv6"),
        }
    }

    #[test]
    fn each_kind_draws_what_it_names() {
        // Alice uses 251 of the 256 /24s of her /16, so a nearby address has 5 /24s left to be drawn from.
        let mut familiar: Vec<Tuple> = (0..=250).map(|x| t("alice", &format!("81.10.{x}.5"))).collect();
        familiar.push(t("bob", "62.20.30.40"));
        let normal = [t("alice", "81.10.1.7"), t("bob", "62.20.30.41")];
        let attacks = simulate_attacks(&familiar, &normal, 200, 7);
        assert_eq!(attacks.iter().map(|a| a.kind).collect::<Vec<_>>(), AttackKind::ALL);
        let ranges: Vec<(u32, u32)> = CLOUD_AND_VPN_RANGES.iter().map(|(r, _)| parse_range(r)).collect();
        for a in &attacks {
            assert_eq!(a.tuples.len(), 200, "{}", a.kind);
            for tuple in &a.tuples {
                let ip = v4(tuple.ip);
                let (alice, bob) = (tuple.entity == "alice", tuple.entity == "bob");
                assert!(alice || bob, "{}: a known principal", a.kind);
                match a.kind {
                    AttackKind::RandomIp => {}
                    AttackKind::OtherUsersNetwork => {
                        let [a, b, c, _] = ip.octets();
                        let others = if alice { [a, b, c] == [62, 20, 30] } else { [a, b] == [81, 10] && c <= 250 };
                        assert!(others, "{ip} for {}: a /24 of the other principal", tuple.entity);
                    }
                    AttackKind::CloudOrVpn => {
                        let inside = ranges.iter().any(|&(base, bits)| u32::from(ip) >> bits == base >> bits);
                        assert!(inside, "{ip}: in a listed range");
                    }
                    AttackKind::NearbyNetwork => {
                        let [a, b, c, _] = ip.octets();
                        let nearby = if alice { [a, b] == [81, 10] && c > 250 } else { [a, b] == [62, 20] && c != 30 };
                        assert!(nearby, "{ip} for {}: its /16, not a /24 it used", tuple.entity);
                    }
                }
            }
        }
        assert_eq!(simulate_attacks(&familiar, &normal, 200, 7), attacks, "the same seed, the same attacks");
        assert_ne!(simulate_attacks(&familiar, &normal, 200, 8), attacks, "another seed, other attacks");
        assert!(simulate_attacks(&familiar, &[], 5, 7).iter().all(|a| a.tuples.is_empty()));
    }

    #[test]
    fn the_table_parses_and_ranges_are_aligned() {
        for (range, owner) in CLOUD_AND_VPN_RANGES {
            let (base, bits) = parse_range(range);
            assert_eq!(base & ((1u32 << bits) - 1), 0, "{range} ({owner}): base aligned to its prefix");
        }
    }
}
