//! The detection record (one JSON line per scored or skipped finding IP) and its explanation.

use std::fmt::Write;
use std::net::IpAddr;

use ipinsights_security_logs::{FindingHeader, FindingTuple};
use serde::Serialize;

use crate::familiarity::FamiliarityReport;

/// What the detector decided for one finding IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// `score > threshold`: unusual for this principal.
    Alert,
    /// `score ≤ threshold`: usual enough.
    Pass,
    /// Not scored; `skip_reason` says why.
    Skipped,
}

/// One detection record. Scores: `dot_product` (higher = more normal) and `score = −dot_product`
/// (higher = more anomalous); the verdict is `alert` when `score > threshold`. Every key is always
/// present (null when unknown), so consumers see one schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detection {
    /// `alert`, `pass` or `skipped`.
    pub verdict: Verdict,
    /// Finding id.
    pub finding_id: Option<String>,
    /// Finding type, e.g. `UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom`.
    pub finding_type: Option<String>,
    /// Finding severity.
    pub severity: Option<f64>,
    /// `updatedAt`, else `createdAt` (ISO-8601).
    pub time: Option<String>,
    /// Account of the finding.
    pub account_id: Option<String>,
    /// Region of the finding.
    pub region: Option<String>,
    /// The entity scored, under the security crate's one entity rule (`entity_of`): the principal id, a service
    /// role's session counted as its role (`AROA…:session` → `AROA…`), surrounding whitespace trimmed.
    pub principal: Option<String>,
    /// The full principal id, e.g. `AROA…:session`.
    pub principal_id: Option<String>,
    /// `accessKeyDetails.userName`.
    pub user_name: Option<String>,
    /// `AWS_API_CALL`, `NETWORK_CONNECTION` or `PORT_PROBE`.
    pub action_type: Option<String>,
    /// The remote IP scored.
    pub ip: Option<IpAddr>,
    /// The model's `dot_product` (higher = more normal).
    pub dot_product: Option<f32>,
    /// `−dot_product` (higher = more anomalous), compared with `threshold`.
    pub score: Option<f32>,
    /// The anomaly-score threshold in force.
    pub threshold: f64,
    /// Why the verdict (scored records only).
    pub explanation: Option<Explanation>,
    /// Why the record was not scored (skipped records only).
    pub skip_reason: Option<String>,
}

/// The context an analyst needs to judge an alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// One human sentence: who, from where, the score against the threshold, and the history.
    pub summary: String,
    /// The remote network as GuardDuty describes it.
    pub remote: RemoteNetwork,
    /// The principal's history from the training tuples (null when the detector has no index).
    pub familiarity: Option<FamiliarityReport>,
}

/// GuardDuty's description of the remote address.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RemoteNetwork {
    /// Autonomous system number.
    pub asn: Option<String>,
    /// Name of the AS's organisation.
    pub asn_org: Option<String>,
    /// Internet service provider.
    pub isp: Option<String>,
    /// Organisation.
    pub org: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// City name.
    pub city: Option<String>,
}

impl RemoteNetwork {
    fn of(t: &FindingTuple) -> Self {
        let org = t.organization.clone().unwrap_or_default();
        RemoteNetwork {
            asn: org.asn,
            asn_org: org.asn_org,
            isp: org.isp,
            org: org.org,
            country: t.country.clone(),
            city: t.city.clone(),
        }
    }

    /// `AS14061 DIGITALOCEAN-ASN, Amsterdam, Netherlands` (whatever is known).
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        let name = self.asn_org.as_ref().or(self.org.as_ref()).or(self.isp.as_ref());
        match (&self.asn, name) {
            (Some(asn), Some(name)) => parts.push(format!("AS{asn} {name}")),
            (Some(asn), None) => parts.push(format!("AS{asn}")),
            (None, Some(name)) => parts.push(name.clone()),
            (None, None) => {}
        }
        parts.extend(self.city.clone());
        parts.extend(self.country.clone());
        if parts.is_empty() {
            "no network details".to_string()
        } else {
            parts.join(", ")
        }
    }
}

impl Detection {
    /// A record for a finding (or part of one) that was not scored.
    pub(crate) fn skipped(header: &FindingHeader, threshold: f64, reason: String) -> Self {
        Detection {
            verdict: Verdict::Skipped,
            finding_id: header.id.clone(),
            finding_type: header.finding_type.clone(),
            severity: header.severity,
            time: header.updated_at.clone().or_else(|| header.created_at.clone()),
            account_id: header.account_id.clone(),
            region: header.region.clone(),
            principal: None,
            principal_id: None,
            user_name: None,
            action_type: None,
            ip: None,
            dot_product: None,
            score: None,
            threshold,
            explanation: None,
            skip_reason: Some(reason),
        }
    }

    /// A record for a finding IP that was not sent to the scorer: principal and address kept, no score.
    pub(crate) fn unscored(t: &FindingTuple, threshold: f64, reason: String) -> Self {
        Detection {
            verdict: Verdict::Skipped,
            finding_id: Some(t.finding_id.clone()).filter(|s| !s.is_empty()),
            finding_type: Some(t.finding_type.clone()).filter(|s| !s.is_empty()),
            severity: t.severity,
            time: t.updated_at.clone().or_else(|| t.created_at.clone()),
            account_id: t.account_id.clone(),
            region: t.region.clone(),
            principal: Some(t.tuple.entity.clone()),
            principal_id: Some(t.principal_id.clone()),
            user_name: t.user_name.clone(),
            action_type: Some(t.action_type.clone()),
            ip: Some(t.tuple.ip),
            dot_product: None,
            score: None,
            threshold,
            explanation: None,
            skip_reason: Some(reason),
        }
    }

    /// A scored record; a non-finite `dot_product` makes it `skipped` (never a silent pass).
    pub(crate) fn scored(
        t: &FindingTuple,
        dot_product: f32,
        threshold: f64,
        familiarity: Option<FamiliarityReport>,
    ) -> Self {
        let score = -dot_product;
        let verdict = if !dot_product.is_finite() {
            Verdict::Skipped
        } else if f64::from(score) > threshold {
            Verdict::Alert
        } else {
            Verdict::Pass
        };
        let remote = RemoteNetwork::of(t);
        let explanation = (verdict != Verdict::Skipped).then(|| Explanation {
            summary: summary(t, score, threshold, &remote, familiarity.as_ref()),
            remote,
            familiarity,
        });
        let skip_reason = (verdict == Verdict::Skipped)
            .then(|| format!("the scorer returned a non-finite dot_product ({dot_product})"));
        Detection {
            verdict,
            dot_product: Some(dot_product),
            score: Some(score),
            explanation,
            skip_reason,
            ..Detection::unscored(t, threshold, String::new())
        }
    }
}

/// `AIDA… (alice) called from 198.51.100.7 (AS14061 …, Netherlands): score 3.2 > threshold 0; …`.
fn summary(
    t: &FindingTuple,
    score: f32,
    threshold: f64,
    remote: &RemoteNetwork,
    familiarity: Option<&FamiliarityReport>,
) -> String {
    let mut s = t.tuple.entity.clone();
    if let Some(user) = &t.user_name {
        let _ = write!(s, " ({user})");
    }
    let cmp = if f64::from(score) > threshold { ">" } else { "≤" };
    let _ = write!(s, " called from {} ({}): score {score} {cmp} threshold {threshold}", t.tuple.ip, remote.describe());
    let Some(f) = familiarity else { return s };
    let n = f.training_events;
    let _ = match () {
        _ if n == 0 => write!(s, "; the principal is not in the training data"),
        _ if f.ip_events > 0 => write!(s, "; seen from this address in {} of its {n} training events", f.ip_events),
        _ if f.network_events > 0 => {
            write!(s, "; new address in its network {} ({} of its {n} training events)", f.network, f.network_events)
        }
        _ if f.wide_network_events > 0 => write!(
            s,
            "; new network in its wide network {} ({} of its {n} training events)",
            f.wide_network, f.wide_network_events
        ),
        _ => write!(s, "; never seen from {} in its {n} training events", f.wide_network),
    };
    if !f.familiar_networks.is_empty() {
        let nets: Vec<String> =
            f.familiar_networks.iter().map(|n| format!("{} ({:.0}%)", n.prefix, n.share * 100.0)).collect();
        let _ = write!(s, "; usual networks: {}", nets.join(", "));
    }
    s
}
