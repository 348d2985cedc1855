//! The account's principals: IAM users and roles, each with the networks it works from.

use std::net::IpAddr;

use rand::seq::SliceRandom;
use rand::Rng;

use super::config::SimConfig;
use super::ids::{aws_id, hex};
use super::network::{random_public_v4, Net6, Network, CLOUD_NETWORKS, HOME_ISPS, MOBILE_CARRIERS, OFFICE_ISPS};

const USER_NAMES: [&str; 40] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia",
    "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin", "amir", "beatriz", "chen", "dmitri", "elena",
    "fatima", "gustavo", "hana", "ines", "jonas", "kwame", "lucia", "mateo", "noor", "oscar", "priya", "quentin",
    "rosa", "sanjay", "tomoko",
];
const ROLE_NAMES: [&str; 6] =
    ["ci-deploy", "ec2-web", "lambda-ingest", "data-pipeline", "admin-break-glass", "readonly-audit"];

/// IAM user or assumed role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `AIDA…`, userIdentity type `IAMUser`.
    User,
    /// `AROA…`, sessions `AROA…:name`, userIdentity type `AssumedRole`.
    Role,
}

/// One simulated principal and its habits.
#[derive(Clone, Debug)]
pub struct Principal {
    /// User or role.
    pub kind: PrincipalKind,
    /// User name or role name.
    pub name: String,
    /// `AIDA…` or `AROA…`: the entity its tuples carry.
    pub principal_id: String,
    /// Role session names (one entry, unused, for users).
    pub sessions: Vec<String>,
    /// Access key per session (`AKIA…` for users, `ASIA…` for role sessions).
    pub access_keys: Vec<String>,
    /// The stable networks it works from: users home then office; roles two cloud/CI networks.
    pub networks: Vec<Network>,
    /// Per network, the few addresses it usually gets there (home DHCP leases, office NAT egress);
    /// empty when any address of the network is equally likely.
    pub usual_hosts: Vec<Vec<IpAddr>>,
    /// Mobile carrier network (users only).
    pub mobile: Option<Network>,
    /// Home IPv6 /64, if the user has one.
    pub ipv6: Option<Net6>,
    /// Relative activity (share of events).
    pub activity: f64,
}

impl Principal {
    /// The `principalId` CloudTrail writes for `session`: `AIDA…` or `AROA…:session-name`.
    pub fn session_principal_id(&self, session: usize) -> String {
        match self.kind {
            PrincipalKind::User => self.principal_id.clone(),
            PrincipalKind::Role => format!("{}:{}", self.principal_id, self.sessions[session]),
        }
    }

    /// True if `ip` is in one of its stable networks (home, office, cloud, IPv6 home), not mobile or travel.
    pub fn owns(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip)) || self.ipv6.is_some_and(|n| n.contains(ip))
    }

    /// An address for one call: its stable networks; for users sometimes mobile or a travel IP.
    pub(crate) fn draw_ip(&self, rng: &mut impl Rng, cfg: &SimConfig) -> IpAddr {
        let r: f64 = if self.kind == PrincipalKind::Role { 1.0 } else { rng.gen() };
        if r < cfg.travel_fraction {
            return random_public_v4(rng);
        }
        if let (true, Some(mobile)) = (r < cfg.travel_fraction + cfg.mobile_fraction, self.mobile) {
            return mobile.host(rng);
        }
        self.draw_own_ip(rng)
    }

    /// An address from its stable networks only: mostly one of its usual addresses there, sometimes
    /// another address of the network, and home IPv6 half the time if it has it.
    pub(crate) fn draw_own_ip(&self, rng: &mut impl Rng) -> IpAddr {
        let i = rng.gen_range(0..self.networks.len());
        if let (0, Some(v6)) = (i, self.ipv6) {
            if rng.gen_bool(0.5) {
                return v6.host(rng);
            }
        }
        match self.usual_hosts[i].as_slice() {
            usual if !usual.is_empty() && rng.gen_bool(0.9) => usual[rng.gen_range(0..usual.len())],
            _ => self.networks[i].host(rng),
        }
    }
}

/// Creates the users then the roles.
pub(crate) fn population(cfg: &SimConfig, rng: &mut impl Rng) -> Vec<Principal> {
    let offices = [
        Network::random(rng, 16, &OFFICE_ISPS[0]),
        Network::random(rng, 24, &OFFICE_ISPS[1]),
        Network::random(rng, 24, &OFFICE_ISPS[0]),
    ];
    let office_nat: Vec<Vec<IpAddr>> = offices.iter().map(|o| hosts(o, 6, rng)).collect();
    let carriers = [Network::random(rng, 16, &MOBILE_CARRIERS[0]), Network::random(rng, 16, &MOBILE_CARRIERS[1])];
    let mut ranks: Vec<usize> = (0..cfg.users + cfg.roles).collect();
    ranks.shuffle(rng);
    let activity = |i: usize| 1.0 / (1.0 + ranks[i] as f64).powf(0.8);

    let mut out = Vec::with_capacity(cfg.users + cfg.roles);
    for i in 0..cfg.users {
        let isp = &HOME_ISPS[rng.gen_range(0..HOME_ISPS.len())];
        let home = Network::random(rng, 24, isp);
        let office = rng.gen_range(0..offices.len());
        out.push(Principal {
            kind: PrincipalKind::User,
            name: numbered(&USER_NAMES, i),
            principal_id: aws_id(rng, "AIDA", 17),
            sessions: vec![String::new()],
            access_keys: vec![aws_id(rng, "AKIA", 16)],
            usual_hosts: vec![hosts(&home, 2, rng), office_nat[office].clone()],
            networks: vec![home, offices[office]],
            mobile: Some(carriers[rng.gen_range(0..carriers.len())]),
            ipv6: rng.gen_bool(cfg.ipv6_user_fraction).then(|| Net6::random(rng)),
            activity: activity(i),
        });
    }
    for i in 0..cfg.roles {
        let sessions: Vec<String> = (0..rng.gen_range(1..=3)).map(|_| session_name(rng)).collect();
        let (cloud, ci) = (Network::random(rng, 16, &CLOUD_NETWORKS[0]), Network::random(rng, 24, &CLOUD_NETWORKS[1]));
        out.push(Principal {
            kind: PrincipalKind::Role,
            name: numbered(&ROLE_NAMES, i),
            principal_id: aws_id(rng, "AROA", 17),
            access_keys: sessions.iter().map(|_| aws_id(rng, "ASIA", 16)).collect(),
            sessions,
            usual_hosts: vec![hosts(&cloud, 20, rng), Vec::new()],
            networks: vec![cloud, ci],
            mobile: None,
            ipv6: None,
            activity: 1.5 * activity(cfg.users + i),
        });
    }
    out
}

/// `n` random addresses of `net`.
fn hosts(net: &Network, n: usize, rng: &mut impl Rng) -> Vec<IpAddr> {
    (0..n).map(|_| net.host(rng)).collect()
}

/// `names[i]`, with a number appended once the list is used up (`alice`, …, `alice2`).
fn numbered(names: &[&str], i: usize) -> String {
    let name = names[i % names.len()];
    match i / names.len() {
        0 => name.to_string(),
        round => format!("{name}{}", round + 1),
    }
}

/// A role session name as real tools make them.
fn session_name(rng: &mut impl Rng) -> String {
    match rng.gen_range(0..3) {
        0 => format!("i-0{}", hex(rng, 16)),
        1 => format!("botocore-session-{}", rng.gen_range(1_700_000_000u64..1_710_000_000)),
        _ => format!("GitHubActions-{}", rng.gen_range(1000..9999)),
    }
}
