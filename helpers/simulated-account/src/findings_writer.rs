//! Writes simulated findings as NDJSON of EventBridge events, plus the ground-truth CSV.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

use rand::Rng;
use serde_json::{json, Value};

use super::clock::Utc;
use super::config::SimConfig;
use super::findings::SimFinding;
use super::ids::{hex, uuid};
use super::network::Org;
use super::population::{Principal, PrincipalKind};
use crate::error::{Result, SimulationError};
use ipinsights_engine::atomic::write_atomically;

/// Writes `findings` to `path`, one EventBridge `GuardDuty Finding` event per line.
pub(crate) fn write_findings(
    cfg: &SimConfig,
    principals: &[Principal],
    findings: &[SimFinding],
    path: &Path,
    rng: &mut impl Rng,
) -> Result<()> {
    let detector = hex(rng, 32);
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let finding = finding_json(cfg, principals, f, &detector, rng);
            let event = json!({
                "version": "0",
                "id": uuid(rng),
                "detail-type": "GuardDuty Finding",
                "source": "aws.guardduty",
                "account": cfg.account_id,
                "time": Utc::from_unix(f.time + 300).iso(),
                "region": cfg.region,
                "resources": [],
                "detail": finding,
            });
            event.to_string()
        })
        .collect();
    write_atomically(path, |w| lines.iter().try_for_each(|l| writeln!(w, "{l}"))).map_err(|e| write_error(path, e))
}

/// Writes the ground truth: `finding_id,label,entity,ip,finding_type`, one row per remote address.
pub(crate) fn write_truth(principals: &[Principal], findings: &[SimFinding], path: &Path) -> Result<()> {
    write_atomically(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(["finding_id", "label", "entity", "ip", "finding_type"])?;
        for f in findings {
            let entity = f.principal.map_or("", |(i, _)| principals[i].principal_id.as_str());
            for (ip, _) in &f.remotes {
                csv.write_record([&f.id, f.label.as_str(), entity, &ip.to_string(), f.finding_type])?;
            }
        }
        csv.flush()
    })
    .map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, source: std::io::Error) -> SimulationError {
    SimulationError::Write { path: path.to_path_buf(), source }
}

fn finding_json(
    cfg: &SimConfig,
    principals: &[Principal],
    f: &SimFinding,
    detector: &str,
    rng: &mut impl Rng,
) -> Value {
    let (account, region) = (&cfg.account_id, &cfg.region);
    let first_seen = Utc::from_unix(f.time).iso();
    let count = rng.gen_range(1..20u32);
    let last_seen = Utc::from_unix(f.time + u64::from(count) * 60).iso();
    let created = Utc::from_unix(f.time + 300).iso_millis(rng.gen_range(0..1000));
    let (resource, action, title) = match f.principal {
        Some((index, session)) => api_call_parts(&principals[index], session, f.remotes[0]),
        None => port_probe_parts(f, region, rng),
    };
    json!({
        "schemaVersion": "2.0",
        "accountId": account,
        "region": region,
        "partition": "aws",
        "id": f.id,
        "arn": format!("arn:aws:guardduty:{region}:{account}:detector/{detector}/finding/{}", f.id),
        "type": f.finding_type,
        "resource": resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector,
            "action": action,
            "resourceRole": "TARGET",
            "additionalInfo": {},
            "eventFirstSeen": first_seen,
            "eventLastSeen": last_seen,
            "archived": false,
            "count": count,
        },
        "severity": f.severity,
        "createdAt": created,
        "updatedAt": created,
        "title": title,
        "description": format!("{title} The finding type is {}.", f.finding_type),
    })
}

/// The resource, action and title of an API call made with `p`'s credentials (session `session`) from `remote`.
fn api_call_parts(p: &Principal, session: usize, remote: (IpAddr, &Org)) -> (Value, Value, String) {
    let resource = json!({
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": p.access_keys[session],
            "principalId": p.session_principal_id(session),
            "userName": p.name,
            "userType": if p.kind == PrincipalKind::User { "IAMUser" } else { "AssumedRole" },
        },
    });
    let action = json!({
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {
            "api": "ListBuckets",
            "serviceName": "s3.amazonaws.com",
            "callerType": "Remote IP",
            "remoteIpDetails": remote_ip_details(remote),
            "affectedResources": {},
        },
    });
    (resource, action, format!("API ListBuckets was invoked using {} credentials.", p.name))
}

/// The resource, action and title of a port probe of an EC2 instance (SSH, then RDP) from `f`'s remotes.
fn port_probe_parts(f: &SimFinding, region: &str, rng: &mut impl Rng) -> (Value, Value, String) {
    let details: Vec<Value> = f
        .remotes
        .iter()
        .zip([(22, "SSH"), (3389, "RDP")])
        .map(|(&remote, (port, name))| {
            json!({"localPortDetails": {"port": port, "portName": name}, "remoteIpDetails": remote_ip_details(remote)})
        })
        .collect();
    let instance = format!("i-0{}", hex(rng, 16));
    let resource = json!({
        "resourceType": "Instance",
        "instanceDetails": {"instanceId": instance, "instanceType": "t3.micro", "availabilityZone": format!("{region}a")},
    });
    let action = json!({
        "actionType": "PORT_PROBE",
        "portProbeAction": {"blocked": false, "portProbeDetails": details},
    });
    (resource, action, format!("Unprotected port on EC2 instance {instance} is being probed."))
}

fn remote_ip_details((ip, org): (IpAddr, &Org)) -> Value {
    let key = if ip.is_ipv4() { "ipAddressV4" } else { "ipAddressV6" };
    json!({
        key: ip.to_string(),
        "organization": {"asn": org.asn, "asnOrg": org.asn_org, "isp": org.isp, "org": org.org},
        "country": {"countryName": org.country},
        "city": {"cityName": org.city},
        "geoLocation": {"lat": org.lat, "lon": org.lon},
    })
}
