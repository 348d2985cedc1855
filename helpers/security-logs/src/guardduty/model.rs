//! The GuardDuty finding fields the extraction needs (camelCase; PascalCase is normalised before).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A GuardDuty finding, reduced to what the tuples need.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Finding {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub finding_type: Option<String>,
    #[serde(deserialize_with = "number_or_string_f64")]
    pub severity: Option<f64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub resource: Option<Resource>,
    pub service: Option<Service>,
}

/// `resource`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Resource {
    pub access_key_details: Option<AccessKeyDetails>,
}

/// `resource.accessKeyDetails`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct AccessKeyDetails {
    pub access_key_id: Option<String>,
    pub principal_id: Option<String>,
    pub user_name: Option<String>,
    pub user_type: Option<String>,
}

/// `service`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Service {
    pub action: Option<Action>,
    /// True once the finding was archived (by hand or by a suppression rule).
    #[serde(deserialize_with = "bool_or_string")]
    pub archived: Option<bool>,
    /// `additionalInfo`: `{"sample": true}` in exported findings, `{"value": "{\"sample\":true}", "type":
    /// "default"}` in the API's and EventBridge's.
    pub additional_info: Option<Value>,
}

impl Service {
    /// True for a sample finding (made by CreateSampleFindings or the console's "Generate sample findings").
    pub fn is_sample(&self) -> bool {
        let Some(info) = &self.additional_info else { return false };
        let flag = |v: &Value| v.get("sample").and_then(as_bool).unwrap_or(false);
        flag(info)
            || info
                .get("value")
                .and_then(Value::as_str)
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
                .is_some_and(|inner| flag(&inner))
    }
}

/// `true`, `"true"` (any case) as true; `false`, `"false"` as false.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().to_ascii_lowercase().parse().ok(),
        _ => None,
    }
}

/// `service.action`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Action {
    pub action_type: Option<String>,
    pub aws_api_call_action: Option<RemoteAction>,
    pub network_connection_action: Option<RemoteAction>,
    pub port_probe_action: Option<PortProbeAction>,
}

/// An action with one remote party (`awsApiCallAction`, `networkConnectionAction`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RemoteAction {
    pub remote_ip_details: Option<RemoteIpDetails>,
}

/// `portProbeAction`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PortProbeAction {
    pub port_probe_details: Option<Vec<RemoteAction>>,
}

/// `remoteIpDetails`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RemoteIpDetails {
    pub ip_address_v4: Option<String>,
    pub ip_address_v6: Option<String>,
    pub organization: Option<Organization>,
    pub country: Option<Country>,
    pub city: Option<City>,
}

/// The network owning a remote IP, as GuardDuty reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Organization {
    /// Autonomous system number (a string in GuardDuty's JSON).
    #[serde(deserialize_with = "number_or_string")]
    pub asn: Option<String>,
    /// Name of the autonomous system's organisation.
    pub asn_org: Option<String>,
    /// Internet service provider.
    pub isp: Option<String>,
    /// Organisation name.
    pub org: Option<String>,
}

/// `remoteIpDetails.country`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Country {
    pub country_name: Option<String>,
}

/// `remoteIpDetails.city`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct City {
    pub city_name: Option<String>,
}

/// Accepts `true`, `"true"` or null (and their `false`) as an optional flag.
fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            as_bool(&v).map(Some).ok_or_else(|| serde::de::Error::custom(format!("expected true or false, found {v}")))
        }
    }
}

/// Accepts `"123"`, `123` or null as an optional string.
fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!("expected a string or number, found {other}"))),
    }
}

/// Accepts `5`, `5.0`, `"5.0"` or null as an optional number.
fn number_or_string_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("expected a number, found {s:?}")))
        }
        Some(other) => Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
    }
}
