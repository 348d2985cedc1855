//! Simulated GuardDuty findings with their ground-truth labels.

use std::net::IpAddr;

use rand::Rng;

use super::config::SimConfig;
use super::ids::hex;
use super::network::{random_public_v4, Org, FOREIGN_ORGS, HOME_ISPS};
use super::population::{Principal, PrincipalKind};

/// Finding types for access keys: (type, severity). The first is only raised for role credentials.
pub(crate) const KEY_FINDING_TYPES: [(&str, f64); 5] = [
    ("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", 8.0),
    ("Recon:IAMUser/MaliciousIPCaller", 5.0),
    ("Discovery:S3/TorIPCaller", 5.0),
    ("UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", 5.0),
    ("Discovery:IAMUser/AnomalousBehavior", 2.0),
];
/// The finding type raised for probed EC2 instances.
pub(crate) const PORT_PROBE_TYPE: (&str, f64) = ("Recon:EC2/PortProbeUnprotectedPort", 2.0);

/// What a scorer should conclude about a simulated finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingLabel {
    /// The access key was used from a network foreign to its principal.
    Anomalous,
    /// The access key was used from one of its principal's usual networks (a false positive).
    Benign,
    /// No access key involved (EC2 port probe): gives no tuple.
    NotScorable,
}

impl FindingLabel {
    /// `anomalous`, `benign` or `not_scorable` (the ground-truth file's spelling).
    pub fn as_str(&self) -> &'static str {
        match self {
            FindingLabel::Anomalous => "anomalous",
            FindingLabel::Benign => "benign",
            FindingLabel::NotScorable => "not_scorable",
        }
    }
}

/// One simulated finding.
#[derive(Clone, Debug, PartialEq)]
pub struct SimFinding {
    /// 32 hex characters.
    pub id: String,
    /// GuardDuty finding type.
    pub finding_type: &'static str,
    /// Severity.
    pub severity: f64,
    /// Ground truth.
    pub label: FindingLabel,
    /// Time of the activity, seconds since the Unix epoch.
    pub time: u64,
    /// Principal index and session for access-key findings; `None` for port probes.
    pub principal: Option<(usize, usize)>,
    /// Remote addresses with their owners: one for API calls, two for port probes.
    pub remotes: Vec<(IpAddr, &'static Org)>,
}

/// Draws `cfg.findings` findings.
pub(crate) fn findings(cfg: &SimConfig, principals: &[Principal], rng: &mut impl Rng) -> Vec<SimFinding> {
    let period = u64::from(cfg.days) * 86_400;
    (0..cfg.findings)
        .map(|_| {
            let time = cfg.start_unix_secs + rng.gen_range(0..period);
            let id = hex(rng, 32);
            if rng.gen_bool(cfg.instance_finding_fraction) {
                let remotes = (0..2).map(|_| foreign_remote(principals, rng)).collect();
                let (finding_type, severity) = PORT_PROBE_TYPE;
                let label = FindingLabel::NotScorable;
                return SimFinding { id, finding_type, severity, label, time, principal: None, remotes };
            }
            let index = rng.gen_range(0..principals.len());
            let p = &principals[index];
            let session = rng.gen_range(0..p.sessions.len());
            let first_type = if p.kind == PrincipalKind::Role { 0 } else { 1 };
            let (finding_type, severity) = KEY_FINDING_TYPES[rng.gen_range(first_type..KEY_FINDING_TYPES.len())];
            let (label, remote) = if rng.gen_bool(cfg.benign_finding_fraction) {
                (FindingLabel::Benign, own_remote(p, rng))
            } else {
                (FindingLabel::Anomalous, foreign_remote(principals, rng))
            };
            let principal = Some((index, session));
            SimFinding { id, finding_type, severity, label, time, principal, remotes: vec![remote] }
        })
        .collect()
}

/// An address from the principal's own networks, with its owner.
fn own_remote(p: &Principal, rng: &mut impl Rng) -> (IpAddr, &'static Org) {
    let ip = p.draw_own_ip(rng);
    let org = p.networks.iter().find(|n| n.contains(ip)).map_or(&HOME_ISPS[0], |n| n.org);
    (ip, org)
}

/// A random public address that none of the principals owns, with a foreign owner.
fn foreign_remote(principals: &[Principal], rng: &mut impl Rng) -> (IpAddr, &'static Org) {
    let org = &FOREIGN_ORGS[rng.gen_range(0..FOREIGN_ORGS.len())];
    loop {
        let ip = random_public_v4(rng);
        if !principals.iter().any(|p| p.owns(ip) || p.mobile.is_some_and(|m| m.contains(ip))) {
            return (ip, org);
        }
    }
}
