//! A GuardDuty finding as the SDK returns it, written back as the JSON GetFindings prints (PascalCase keys, as the
//! AWS CLI shows it), so the security crate's reader turns it into pairs exactly as it does findings from files.
//! Only the fields IP Insights and an analyst use are kept; absent fields are left out, as the API leaves them out.

use aws_sdk_guardduty::types::{Action, Finding, LocalPortDetails, RemoteIpDetails, Resource, Service};
use serde_json::{Map, Value};

/// An object builder that skips `None`s.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn put(mut self, key: &str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// The finding as GetFindings JSON.
pub fn finding_to_json(f: &Finding) -> Value {
    Obj::default()
        .put("AccountId", f.account_id())
        .put("Arn", f.arn())
        .put("CreatedAt", f.created_at())
        .put("Description", f.description())
        .put("Id", f.id())
        .put("Partition", f.partition())
        .put("Region", f.region())
        .put("Resource", f.resource().map(resource))
        .put("SchemaVersion", f.schema_version())
        .put("Service", f.service().map(service))
        .put("Severity", f.severity())
        .put("Title", f.title())
        .put("Type", f.r#type())
        .put("UpdatedAt", f.updated_at())
        .done()
}

fn resource(r: &Resource) -> Value {
    let key = r.access_key_details().map(|k| {
        Obj::default()
            .put("AccessKeyId", k.access_key_id())
            .put("PrincipalId", k.principal_id())
            .put("UserName", k.user_name())
            .put("UserType", k.user_type())
            .done()
    });
    Obj::default().put("ResourceType", r.resource_type()).put("AccessKeyDetails", key).done()
}

fn service(s: &Service) -> Value {
    Obj::default()
        .put("Action", s.action().map(action))
        .put(
            "AdditionalInfo",
            s.additional_info().map(|i| Obj::default().put("Value", i.value()).put("Type", i.r#type()).done()),
        )
        .put("Archived", s.archived())
        .put("Count", s.count())
        .put("DetectorId", s.detector_id())
        .put("EventFirstSeen", s.event_first_seen())
        .put("EventLastSeen", s.event_last_seen())
        .put("ResourceRole", s.resource_role())
        .put("ServiceName", s.service_name())
        .done()
}

fn action(a: &Action) -> Value {
    let api = a.aws_api_call_action().map(|c| {
        Obj::default()
            .put("Api", c.api())
            .put("CallerType", c.caller_type())
            .put("ErrorCode", c.error_code())
            .put("RemoteIpDetails", c.remote_ip_details().map(remote))
            .put("ServiceName", c.service_name())
            .put("UserAgent", c.user_agent())
            .done()
    });
    let network = a.network_connection_action().map(|n| {
        Obj::default()
            .put("Blocked", n.blocked())
            .put("ConnectionDirection", n.connection_direction())
            .put("LocalPortDetails", n.local_port_details().map(port))
            .put("Protocol", n.protocol())
            .put("RemoteIpDetails", n.remote_ip_details().map(remote))
            .put(
                "RemotePortDetails",
                n.remote_port_details()
                    .map(|p| Obj::default().put("Port", p.port()).put("PortName", p.port_name()).done()),
            )
            .done()
    });
    let probe = a.port_probe_action().map(|p| {
        let details: Vec<Value> = p
            .port_probe_details()
            .iter()
            .map(|d| {
                Obj::default()
                    .put("LocalPortDetails", d.local_port_details().map(port))
                    .put("RemoteIpDetails", d.remote_ip_details().map(remote))
                    .done()
            })
            .collect();
        Obj::default().put("Blocked", p.blocked()).put("PortProbeDetails", Some(details)).done()
    });
    let dns =
        a.dns_request_action().map(|d| Obj::default().put("Domain", d.domain()).put("Protocol", d.protocol()).done());
    Obj::default()
        .put("ActionType", a.action_type())
        .put("AwsApiCallAction", api)
        .put("DnsRequestAction", dns)
        .put("NetworkConnectionAction", network)
        .put("PortProbeAction", probe)
        .done()
}

fn port(p: &LocalPortDetails) -> Value {
    Obj::default().put("Port", p.port()).put("PortName", p.port_name()).done()
}

fn remote(r: &RemoteIpDetails) -> Value {
    let org = r.organization().map(|o| {
        Obj::default().put("Asn", o.asn()).put("AsnOrg", o.asn_org()).put("Isp", o.isp()).put("Org", o.org()).done()
    });
    Obj::default()
        .put("City", r.city().map(|c| Obj::default().put("CityName", c.city_name()).done()))
        .put(
            "Country",
            r.country().map(|c| {
                Obj::default().put("CountryCode", c.country_code()).put("CountryName", c.country_name()).done()
            }),
        )
        .put("GeoLocation", r.geo_location().map(|g| Obj::default().put("Lat", g.lat()).put("Lon", g.lon()).done()))
        .put("IpAddressV4", r.ip_address_v4())
        .put("IpAddressV6", r.ip_address_v6())
        .put("Organization", org)
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_guardduty::types::{AccessKeyDetails, AwsApiCallAction, Organization};

    #[test]
    fn the_reader_gets_the_pair_and_the_context() {
        let finding = Finding::builder()
            .id("f1")
            .r#type("UnauthorizedAccess:IAMUser/MaliciousIPCaller")
            .severity(5.0)
            .updated_at("2024-03-05T14:07:02.413Z")
            .resource(
                Resource::builder()
                    .resource_type("AccessKey")
                    .access_key_details(
                        AccessKeyDetails::builder().principal_id("AROAEXAMPLE:alice").user_name("alice").build(),
                    )
                    .build(),
            )
            .service(
                Service::builder()
                    .action(
                        Action::builder()
                            .action_type("AWS_API_CALL")
                            .aws_api_call_action(
                                AwsApiCallAction::builder()
                                    .remote_ip_details(
                                        RemoteIpDetails::builder()
                                            .ip_address_v4("198.51.100.7")
                                            .organization(
                                                Organization::builder().asn("64500").asn_org("EXAMPLE").build(),
                                            )
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        let json = serde_json::json!({ "Findings": [finding_to_json(&finding)] });
        let results = ipinsights_security_logs::findings_in_value(json).unwrap();
        let tuples = results[0].outcome.as_ref().unwrap();
        assert_eq!(
            (tuples[0].tuple.entity.as_str(), tuples[0].tuple.ip.to_string().as_str()),
            ("AROAEXAMPLE", "198.51.100.7")
        );
        assert_eq!(tuples[0].organization.as_ref().unwrap().asn_org.as_deref(), Some("EXAMPLE"));
        assert_eq!(tuples[0].severity, Some(5.0));
        assert_eq!(results[0].header.updated_at.as_deref(), Some("2024-03-05T14:07:02.413Z"));
    }
}
