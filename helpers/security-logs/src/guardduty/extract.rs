//! One GuardDuty finding → its ⟨entity, IP⟩ tuples, or the reason it has none.
//!
//! The entity is `resource.accessKeyDetails` under the one entity rule ([`entity_of`], the same as CloudTrail's:
//! the principal id, whole, except that a role session counts as its role unless the role — `userName` — is IAM
//! Identity Center's; `" alice"` is `alice`; a missing or blank principal id is a counted skip); each remote
//! address (`ipAddressV4`, or `ipAddressV6` when that is missing or empty) is parsed by the engine's `parse_ip`.

use ipinsights_engine::ip::parse_ip;
use ipinsights_engine::tuples::Tuple;
use serde::Serialize;

use super::model::{Action, Finding, Organization, RemoteIpDetails};
use crate::principal::{entity_of, Identity};
use crate::skip::FindingSkip;

/// One ⟨entity, IP⟩ pair from a GuardDuty finding, with the finding's context.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingTuple {
    /// The pair: the entity of `resource.accessKeyDetails` under the one entity rule (as for CloudTrail), and the
    /// remote IP (`ipAddressV4`, else — missing or empty — `ipAddressV6`; IPv4-mapped IPv6 turned into IPv4).
    /// Serialised flat, as `entity` and `ip`.
    #[serde(flatten)]
    pub tuple: Tuple,
    /// Finding id (empty if the finding has none).
    pub finding_id: String,
    /// Finding type, e.g. `Recon:IAMUser/MaliciousIPCaller` (empty if absent).
    pub finding_type: String,
    /// Severity (GuardDuty: 1–8.9).
    pub severity: Option<f64>,
    /// `createdAt` (ISO-8601).
    pub created_at: Option<String>,
    /// `updatedAt` (ISO-8601).
    pub updated_at: Option<String>,
    /// Account the finding belongs to.
    pub account_id: Option<String>,
    /// Region of the finding.
    pub region: Option<String>,
    /// `AWS_API_CALL`, `NETWORK_CONNECTION` or `PORT_PROBE`.
    pub action_type: String,
    /// The full principal id, e.g. `AROA…:session`.
    pub principal_id: String,
    /// `accessKeyDetails.accessKeyId`.
    pub access_key_id: Option<String>,
    /// `accessKeyDetails.userName`.
    pub user_name: Option<String>,
    /// `accessKeyDetails.userType` (IAMUser, AssumedRole, Root, …).
    pub user_type: Option<String>,
    /// Network owning the remote IP.
    pub organization: Option<Organization>,
    /// `remoteIpDetails.country.countryName`.
    pub country: Option<String>,
    /// `remoteIpDetails.city.cityName`.
    pub city: Option<String>,
}

/// The tuples of one finding, how many remote-IP details in it had no usable address, and whether its entity is a
/// role session folded into its role.
pub(crate) struct FindingTuples {
    pub tuples: Vec<FindingTuple>,
    pub details_without_ip: usize,
    pub session_folded: bool,
}

const API_CALL: &str = "AWS_API_CALL";
const NETWORK: &str = "NETWORK_CONNECTION";
const PORT_PROBE: &str = "PORT_PROBE";

/// Extracts the tuples of `finding`; `Err` gives the reason when there are none.
pub(crate) fn finding_tuples(finding: Finding) -> Result<FindingTuples, FindingSkip> {
    let key = finding.resource.and_then(|r| r.access_key_details).ok_or(FindingSkip::NoAccessKeyDetails)?;
    let principal_id = key.principal_id.clone().unwrap_or_default();
    let identity = Identity {
        kind: key.user_type.as_deref(),
        principal_id: Some(&principal_id),
        role_name: key.user_name.as_deref(),
        role_arn: None,
    };
    let found = entity_of(&identity)?;
    let (entity, session_folded) = (found.name.to_string(), found.session_folded);
    let action = finding.service.and_then(|s| s.action).unwrap_or_default();

    let remotes = remotes_of(action)?;

    let (mut tuples, mut missing, mut invalid) = (Vec::new(), 0, 0);
    for (action_type, details) in remotes {
        let text = address_text(&details);
        if text.trim().is_empty() {
            missing += 1;
            continue;
        }
        let Ok(ip) = parse_ip(&text) else {
            invalid += 1;
            continue;
        };
        tuples.push(FindingTuple {
            tuple: Tuple::new(entity.clone(), ip),
            finding_id: finding.id.clone().unwrap_or_default(),
            finding_type: finding.finding_type.clone().unwrap_or_default(),
            severity: finding.severity,
            created_at: finding.created_at.clone(),
            updated_at: finding.updated_at.clone(),
            account_id: finding.account_id.clone(),
            region: finding.region.clone(),
            action_type: action_type.to_string(),
            principal_id: principal_id.clone(),
            access_key_id: key.access_key_id.clone(),
            user_name: key.user_name.clone(),
            user_type: key.user_type.clone(),
            organization: details.organization,
            country: details.country.and_then(|c| c.country_name),
            city: details.city.and_then(|c| c.city_name),
        });
    }
    if tuples.is_empty() {
        return Err(if invalid > 0 { FindingSkip::InvalidIp } else { FindingSkip::NoRemoteIp });
    }
    Ok(FindingTuples { tuples, details_without_ip: missing + invalid, session_folded })
}

/// The remote-IP details of every action the finding holds, each with its action type; `Err` when there are none
/// (no remote address for a known action, or an action this reader does not know).
fn remotes_of(action: Action) -> Result<Vec<(&'static str, RemoteIpDetails)>, FindingSkip> {
    let mut remotes: Vec<(&'static str, RemoteIpDetails)> = Vec::new();
    let mut known_action = false;
    if let Some(a) = action.aws_api_call_action {
        known_action = true;
        remotes.extend(a.remote_ip_details.map(|d| (API_CALL, d)));
    }
    if let Some(a) = action.network_connection_action {
        known_action = true;
        remotes.extend(a.remote_ip_details.map(|d| (NETWORK, d)));
    }
    if let Some(a) = action.port_probe_action {
        known_action = true;
        let details = a.port_probe_details.unwrap_or_default();
        remotes.extend(details.into_iter().filter_map(|d| d.remote_ip_details).map(|d| (PORT_PROBE, d)));
    }
    let declared = action.action_type.as_deref().unwrap_or("");
    known_action |= [API_CALL, NETWORK, PORT_PROBE].contains(&declared);
    if remotes.is_empty() {
        return Err(if known_action { FindingSkip::NoRemoteIp } else { FindingSkip::UnsupportedAction });
    }
    Ok(remotes)
}

/// The first non-blank address of the details, IPv4 before IPv6 ("" when both are blank or missing).
fn address_text(details: &RemoteIpDetails) -> String {
    [details.ip_address_v4.as_deref(), details.ip_address_v6.as_deref()]
        .into_iter()
        .flatten()
        .find(|text| !text.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}
