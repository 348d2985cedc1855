//! Which networks each principal usually calls from (from training tuples): the "why" of an alert.
//!
//! Three levels per address: the address itself, its network (/24 for IPv4, /48 for IPv6) and its
//! wide network (/16 for IPv4, /32 for IPv6). Counts are events (tuples), so a principal's habits
//! weigh as often as they occur.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipinsights_engine::ip::canonical;
use ipinsights_engine::tuples::{read_tuples, ReadOptions, Tuple};
use serde::Serialize;

use crate::error::Result;

/// Per-principal event counts by address, network and wide network.
#[derive(Clone, Debug, Default)]
pub struct Familiarity {
    principals: HashMap<String, Profile>,
    events: u64,
}

#[derive(Clone, Debug, Default)]
struct Profile {
    events: u64,
    /// (masked address, prefix length) → events.
    counts: HashMap<(IpAddr, u8), u64>,
}

/// One of a principal's usual networks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FamiliarNetwork {
    /// CIDR prefix, e.g. `203.0.113.0/24`.
    pub prefix: String,
    /// Training events of the principal from it.
    pub events: u64,
    /// `events` / the principal's training events.
    pub share: f64,
}

/// How familiar a (principal, address) pair is, from the training tuples.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FamiliarityReport {
    /// Training events of the principal (0: never seen in training).
    pub training_events: u64,
    /// Of them, from this exact address.
    pub ip_events: u64,
    /// The address's network (/24 or /48), e.g. `198.51.100.0/24`.
    pub network: String,
    /// Training events of the principal from that network.
    pub network_events: u64,
    /// The address's wide network (/16 or /32).
    pub wide_network: String,
    /// Training events of the principal from that wide network.
    pub wide_network_events: u64,
    /// The principal's most used networks (/24 or /48), most events first.
    pub familiar_networks: Vec<FamiliarNetwork>,
}

impl FamiliarityReport {
    /// True when the principal appears in the training tuples.
    pub fn known_principal(&self) -> bool {
        self.training_events > 0
    }
}

/// Prefix lengths (address, network, wide network) for an address family.
fn levels(ip: IpAddr) -> [u8; 3] {
    match ip {
        IpAddr::V4(_) => [32, 24, 16],
        IpAddr::V6(_) => [128, 48, 32],
    }
}

/// `ip` with all but its first `len` bits cleared.
fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4) & u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

impl Familiarity {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one training event.
    pub fn add(&mut self, entity: &str, ip: IpAddr) {
        let ip = canonical(ip);
        let profile = self.principals.entry(entity.to_string()).or_default();
        profile.events += 1;
        for len in levels(ip) {
            *profile.counts.entry((mask(ip, len), len)).or_insert(0) += 1;
        }
        self.events += 1;
    }

    /// The index of some tuples.
    pub fn from_tuples(tuples: &[Tuple]) -> Self {
        let mut index = Self::new();
        for t in tuples {
            index.add(&t.entity, t.ip);
        }
        index
    }

    /// The index of a tuple CSV file (`entity,ip` rows; a bad row is an error naming file and line).
    pub fn from_tuple_file(path: &Path) -> Result<Self> {
        let file = read_tuples(path, ReadOptions::default())?;
        Ok(Self::from_tuples(&file.tuples))
    }

    /// Distinct principals indexed.
    pub fn principals(&self) -> usize {
        self.principals.len()
    }

    /// Events indexed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// How familiar `ip` is for `entity`, with its `top` most used networks.
    pub fn report(&self, entity: &str, ip: IpAddr, top: usize) -> FamiliarityReport {
        let ip = canonical(ip);
        let [exact, narrow, wide] = levels(ip);
        let profile = self.principals.get(entity);
        let count = |len: u8| profile.and_then(|p| p.counts.get(&(mask(ip, len), len))).copied().unwrap_or(0);
        let mut familiar: Vec<(IpAddr, u8, u64)> = profile
            .map(|p| {
                p.counts
                    .iter()
                    .filter(|((net, len), _)| *len == levels(*net)[1])
                    .map(|(&(net, len), &n)| (net, len, n))
                    .collect()
            })
            .unwrap_or_default();
        familiar.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        let training_events = profile.map_or(0, |p| p.events);
        FamiliarityReport {
            training_events,
            ip_events: count(exact),
            network: format!("{}/{narrow}", mask(ip, narrow)),
            network_events: count(narrow),
            wide_network: format!("{}/{wide}", mask(ip, wide)),
            wide_network_events: count(wide),
            familiar_networks: familiar
                .into_iter()
                .take(top)
                .map(|(net, len, events)| FamiliarNetwork {
                    prefix: format!("{net}/{len}"),
                    events,
                    share: events as f64 / training_events as f64,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn index() -> Familiarity {
        let mut f = Familiarity::new();
        for (e, a, n) in [
            ("alice", "10.1.2.3", 5),
            ("alice", "10.1.2.9", 1),
            ("alice", "10.1.7.1", 2),
            ("alice", "192.0.2.1", 2),
            ("bob", "2001:db8:aa:1::5", 3),
        ] {
            for _ in 0..n {
                f.add(e, ip(a));
            }
        }
        f
    }

    #[test]
    fn counts_address_network_and_wide_network() {
        let f = index();
        assert_eq!((f.principals(), f.events()), (2, 13));
        let r = f.report("alice", ip("10.1.2.200"), 2);
        assert_eq!(r.training_events, 10);
        assert_eq!((r.ip_events, r.network_events, r.wide_network_events), (0, 6, 8));
        assert_eq!((r.network.as_str(), r.wide_network.as_str()), ("10.1.2.0/24", "10.1.0.0/16"));
        assert_eq!(
            r.familiar_networks,
            [
                FamiliarNetwork { prefix: "10.1.2.0/24".into(), events: 6, share: 0.6 },
                // 10.1.7.0/24 and 192.0.2.0/24 tie at 2: lower address first.
                FamiliarNetwork { prefix: "10.1.7.0/24".into(), events: 2, share: 0.2 },
            ]
        );
        assert_eq!(f.report("alice", ip("10.1.2.3"), 0).ip_events, 5);
        assert!(f.report("alice", ip("10.1.2.3"), 0).familiar_networks.is_empty());
    }

    #[test]
    fn ipv6_and_mapped_addresses() {
        let f = index();
        let r = f.report("bob", ip("2001:db8:aa:ffff::1"), 3);
        assert_eq!((r.network.as_str(), r.network_events), ("2001:db8:aa::/48", 3));
        assert_eq!((r.wide_network.as_str(), r.wide_network_events), ("2001:db8::/32", 3));
        assert_eq!(r.familiar_networks[0].prefix, "2001:db8:aa::/48");
        // IPv4-mapped IPv6 is its IPv4 address.
        assert_eq!(f.report("alice", ip("::ffff:10.1.2.3"), 1).ip_events, 5);
    }

    #[test]
    fn unknown_principal_is_all_zero() {
        let r = index().report("mallory", ip("10.1.2.3"), 3);
        assert!(!r.known_principal());
        assert_eq!((r.ip_events, r.network_events, r.wide_network_events), (0, 0, 0));
        assert!(r.familiar_networks.is_empty());
    }

    #[test]
    fn from_a_tuple_file_with_errors_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.csv");
        std::fs::write(&good, "alice,10.1.2.3\nalice,10.1.2.4\n").unwrap();
        let f = Familiarity::from_tuple_file(&good).unwrap();
        assert_eq!(f.report("alice", ip("10.1.2.5"), 1).network_events, 2);
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "alice,10.1.2.3\nalice,not-an-ip\n").unwrap();
        let err = Familiarity::from_tuple_file(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.csv:2"), "{err}");
    }
}
