//! Networks of the simulated world: who owns them, and addresses drawn from them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand::Rng;

/// The owner of a network, as GuardDuty's `remoteIpDetails` reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Org {
    /// Autonomous system number.
    pub asn: &'static str,
    /// Autonomous system organisation.
    pub asn_org: &'static str,
    /// Internet service provider.
    pub isp: &'static str,
    /// Organisation.
    pub org: &'static str,
    /// Country name.
    pub country: &'static str,
    /// City name.
    pub city: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

const fn org(
    asn: &'static str,
    asn_org: &'static str,
    isp: &'static str,
    country: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
) -> Org {
    Org { asn, asn_org, isp, org: isp, country, city, lat, lon }
}

/// Residential ISPs (home networks).
pub(crate) const HOME_ISPS: [Org; 4] = [
    org("7922", "COMCAST-7922", "Comcast Cable", "United States", "Seattle", 47.61, -122.33),
    org("701", "UUNET", "Verizon Fios", "United States", "New York", 40.71, -74.01),
    org("22773", "ASN-CXA-ALL-CCI-22773-RDC", "Cox Communications", "United States", "Phoenix", 33.45, -112.07),
    org("20115", "CHARTER-20115", "Charter Communications", "United States", "Austin", 30.27, -97.74),
];
/// Business connectivity of the company's offices.
pub(crate) const OFFICE_ISPS: [Org; 2] = [
    org("3356", "LEVEL3", "Level 3 Communications", "United States", "Seattle", 47.61, -122.33),
    org("174", "COGENT-174", "Cogent Communications", "United States", "Boston", 42.36, -71.06),
];
/// Mobile carriers.
pub(crate) const MOBILE_CARRIERS: [Org; 2] = [
    org("21928", "T-MOBILE-AS21928", "T-Mobile USA", "United States", "Bellevue", 47.61, -122.2),
    org("22394", "CELLCO", "Verizon Wireless", "United States", "Chicago", 41.88, -87.63),
];
/// Cloud and CI networks roles run from.
pub(crate) const CLOUD_NETWORKS: [Org; 2] = [
    org("16509", "AMAZON-02", "Amazon.com", "United States", "Ashburn", 39.04, -77.49),
    org("36459", "GITHUB", "GitHub, Inc.", "United States", "San Francisco", 37.77, -122.42),
];
/// Networks attackers call from (hosting, Tor exits, foreign ISPs).
pub(crate) const FOREIGN_ORGS: [Org; 8] = [
    org("14061", "DIGITALOCEAN-ASN", "DigitalOcean", "Netherlands", "Amsterdam", 52.37, 4.89),
    org("16276", "OVH", "OVH SAS", "France", "Roubaix", 50.69, 3.18),
    org("24940", "HETZNER-AS", "Hetzner Online GmbH", "Germany", "Falkenstein", 50.48, 12.37),
    org("4134", "CHINANET-BACKBONE", "China Telecom", "China", "Beijing", 39.9, 116.4),
    org("12389", "ROSTELECOM-AS", "Rostelecom", "Russia", "Moscow", 55.76, 37.62),
    org("60729", "ZWIEBELFREUNDE", "Stiftung Erneuerbare Freiheit", "Germany", "Berlin", 52.52, 13.4),
    org("9009", "M247", "M247 Europe SRL", "Romania", "Bucharest", 44.43, 26.1),
    org("45090", "TENCENT-NET-AP", "Tencent Cloud", "Singapore", "Singapore", 1.35, 103.82),
];

/// An IPv4 network with its owner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Network {
    /// First address.
    pub base: Ipv4Addr,
    /// Prefix length (16 or 24 here).
    pub prefix_len: u8,
    /// Owner.
    pub org: &'static Org,
}

impl fmt::Display for Network {
    /// `203.0.113.0/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix_len)
    }
}

/// Special-purpose IPv4 blocks (RFC 6890 and multicast/reserved) never used as public addresses.
const SPECIAL: [(u32, u8); 15] = [
    (0x0000_0000, 8),  // 0.0.0.0/8
    (0x0a00_0000, 8),  // 10.0.0.0/8
    (0x6440_0000, 10), // 100.64.0.0/10
    (0x7f00_0000, 8),  // 127.0.0.0/8
    (0xa9fe_0000, 16), // 169.254.0.0/16
    (0xac10_0000, 12), // 172.16.0.0/12
    (0xc000_0000, 24), // 192.0.0.0/24
    (0xc000_0200, 24), // 192.0.2.0/24
    (0xc058_6300, 24), // 192.88.99.0/24
    (0xc0a8_0000, 16), // 192.168.0.0/16
    (0xc612_0000, 15), // 198.18.0.0/15
    (0xc633_6400, 24), // 198.51.100.0/24
    (0xcb00_7100, 24), // 203.0.113.0/24
    (0xe000_0000, 4),  // 224.0.0.0/4
    (0xf000_0000, 4),  // 240.0.0.0/4
];

fn range(base: u32, len: u8) -> (u64, u64) {
    let size = 1u64 << (32 - u32::from(len));
    (u64::from(base), u64::from(base) + size)
}

/// True if no address of `base/len` is special-purpose.
fn is_public_net(base: u32, len: u8) -> bool {
    let (lo, hi) = range(base, len);
    SPECIAL.iter().all(|&(b, l)| {
        let (slo, shi) = range(b, l);
        hi <= slo || shi <= lo
    })
}

impl Network {
    /// A random public network of the given prefix length.
    pub(crate) fn random(rng: &mut impl Rng, prefix_len: u8, org: &'static Org) -> Network {
        let mask = u32::MAX << (32 - u32::from(prefix_len));
        loop {
            let base = rng.gen::<u32>() & mask;
            if is_public_net(base, prefix_len) {
                return Network { base: Ipv4Addr::from(base), prefix_len, org };
            }
        }
    }

    /// True if `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let IpAddr::V4(v4) = ip else { return false };
        let mask = u32::MAX << (32 - u32::from(self.prefix_len));
        u32::from(v4) & mask == u32::from(self.base)
    }

    /// A random host address (last octet 1–254).
    pub(crate) fn host(&self, rng: &mut impl Rng) -> IpAddr {
        let host_bits = 32 - u32::from(self.prefix_len);
        let upper = if host_bits > 8 { rng.gen::<u32>() & ((1 << host_bits) - 1) & !0xff } else { 0 };
        IpAddr::V4(Ipv4Addr::from(u32::from(self.base) | upper | rng.gen_range(1..=254)))
    }
}

/// A random public IPv4 address.
pub(crate) fn random_public_v4(rng: &mut impl Rng) -> IpAddr {
    loop {
        let ip = rng.gen::<u32>();
        if is_public_net(ip, 32) && ip & 0xff != 0 && ip & 0xff != 255 {
            return IpAddr::V4(Ipv4Addr::from(ip));
        }
    }
}

/// A residential IPv6 /64 (inside 2600::/12, a real ISP allocation block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net6 {
    /// The upper 64 bits.
    pub prefix: u64,
}

impl Net6 {
    /// A random /64 inside 2600::/12.
    pub(crate) fn random(rng: &mut impl Rng) -> Net6 {
        Net6 { prefix: (0x2600u64 << 48) | (rng.gen::<u64>() & 0x000f_ffff_ffff_ffff) }
    }

    /// A random address (SLAAC-style random interface id).
    pub(crate) fn host(&self, rng: &mut impl Rng) -> IpAddr {
        let bits = (u128::from(self.prefix) << 64) | u128::from(rng.gen::<u64>() | 1);
        IpAddr::V6(Ipv6Addr::from(bits))
    }

    /// True if `ip` is inside this /64.
    pub fn contains(&self, ip: IpAddr) -> bool {
        matches!(ip, IpAddr::V6(v6) if (u128::from(v6) >> 64) as u64 == self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_stay_inside_public_networks() {
        let mut rng = crate::rng(1, 0);
        for len in [16, 24] {
            for _ in 0..200 {
                let net = Network::random(&mut rng, len, &HOME_ISPS[0]);
                let ip = net.host(&mut rng);
                assert!(net.contains(ip), "{ip} not in {net}");
                let IpAddr::V4(v4) = ip else { panic!() };
                assert!(!v4.is_private() && !v4.is_loopback() && !v4.is_multicast(), "{ip}");
            }
        }
        assert!(!is_public_net(0xc0a8_0100, 24));
        assert!(!is_public_net(0xc000_0000, 16)); // contains 192.0.2.0/24
        let n6 = Net6::random(&mut rng);
        assert!(n6.contains(n6.host(&mut rng)));
    }
}
