//! Writes simulated events as CloudTrail would deliver them to S3: one gzip file per 5-minute window.

use std::fs;
use std::path::{Path, PathBuf};

use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::clock::Utc;
use super::config::SimConfig;
use super::events::{Actor, SimEvent, Source, API_CALLS, SERVICE_CALLS};
use super::gzip::GzipPacker;
use super::ids::{alnum, aws_id, uuid};
use super::population::{Principal, PrincipalKind};
use crate::error::{Result, SimulationError};
use ipinsights_engine::atomic::{write_atomically_with, Durability};

const WINDOW_SECS: u64 = 300;
/// User agents; the browser (console) one last, used by users only.
const USER_AGENTS: [&str; 4] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/s3.ls",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
];

#[derive(Serialize)]
struct LogFile<'a> {
    #[serde(rename = "Records")]
    records: Vec<Record<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    event_version: &'static str,
    user_identity: Identity<'a>,
    event_time: String,
    event_source: &'static str,
    event_name: &'static str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: String,
    user_agent: &'a str,
    request_parameters: Option<()>,
    response_elements: Option<()>,
    #[serde(rename = "requestID")]
    request_id: String,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: &'a str,
    event_category: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoked_by: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext {
    session_issuer: SessionIssuer,
    web_id_federation_data: serde_json::Map<String, serde_json::Value>,
    attributes: Attributes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer {
    #[serde(rename = "type")]
    kind: &'static str,
    principal_id: String,
    arn: String,
    account_id: String,
    user_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    creation_date: String,
    mfa_authenticated: &'static str,
}

/// Writes all events under `root/AWSLogs/{account}/CloudTrail/{region}/Y/M/D/`; returns the files written.
///
/// The records and file names come from `rng` in order (the simulation is deterministic); serialising, compressing
/// and writing the files, most of the time, runs on all cores.
pub(crate) fn write_trail(
    cfg: &SimConfig,
    principals: &[Principal],
    events: &[SimEvent],
    root: &Path,
    rng: &mut impl Rng,
) -> Result<Vec<PathBuf>> {
    let trail = root.join("AWSLogs").join(&cfg.account_id).join("CloudTrail").join(&cfg.region);
    let mut files: Vec<(PathBuf, Vec<Record>)> = Vec::new();
    let mut start = 0;
    while start < events.len() {
        let window = events[start].time / WINDOW_SECS;
        let end = start + events[start..].iter().take_while(|e| e.time / WINDOW_SECS == window).count();
        let delivered = Utc::from_unix((window + 1) * WINDOW_SECS);
        let dir = delivered.date_folders().iter().fold(trail.to_path_buf(), |dir, folder| dir.join(folder));
        fs::create_dir_all(&dir).map_err(|source| SimulationError::Write { path: dir.clone(), source })?;
        let name = format!(
            "{}_CloudTrail_{}_{}_{}.json.gz",
            cfg.account_id,
            cfg.region,
            delivered.file_stamp(),
            alnum(rng, 16)
        );
        let records: Vec<Record> = events[start..end].iter().map(|e| record(cfg, principals, e, rng)).collect();
        files.push((dir.join(name), records));
        start = end;
    }
    files
        .into_par_iter()
        .map_init(
            || (Vec::new(), GzipPacker::new()),
            |(json, packer), (path, records)| {
                json.clear();
                serde_json::to_writer(&mut *json, &LogFile { records })
                    .map_err(|e| SimulationError::Write { path: path.clone(), source: e.into() })?;
                // Thousands of regenerable files: atomic for readers, not synced one by one (a crash
                // mid-simulation leaves an incomplete tree whatever each file's durability).
                write_atomically_with(&path, Durability::Unsynced, |w| packer.write(json, w))
                    .map_err(|source| SimulationError::Write { path: path.clone(), source })?;
                Ok(path)
            },
        )
        .collect()
}

fn record<'a>(cfg: &'a SimConfig, principals: &'a [Principal], e: &SimEvent, rng: &mut impl Rng) -> Record<'a> {
    let (event_source, event_name, read_only) = match e.actor {
        Actor::Service => {
            let (_, source, name) = SERVICE_CALLS[e.api];
            (source, name, true)
        }
        _ => API_CALLS[e.api],
    };
    let invoked_by = match e.source {
        Source::Service(name) => Some(name),
        Source::AwsInternal => Some("AWS Internal"),
        Source::Ip(_) => None,
    };
    let source_ip_address = match e.source {
        Source::Ip(ip) => ip.to_string(),
        Source::Service(name) => name.to_string(),
        Source::AwsInternal => "AWS Internal".to_string(),
    };
    let user_agent = match (e.actor, invoked_by) {
        (_, Some(by)) => by,
        (Actor::Principal { index, .. }, None) => {
            let machine = principals[index].kind == PrincipalKind::Role;
            USER_AGENTS[index % (USER_AGENTS.len() - usize::from(machine))]
        }
        _ => "[aws-sdk-java/1.12.653 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10]",
    };
    let request_id = if event_source == "s3.amazonaws.com" { aws_id(rng, "", 16) } else { uuid(rng) };
    Record {
        event_version: "1.08",
        user_identity: identity(cfg, principals, e, invoked_by),
        event_time: Utc::from_unix(e.time).iso(),
        event_source,
        event_name,
        aws_region: &cfg.region,
        source_ip_address,
        user_agent,
        request_parameters: None,
        response_elements: None,
        request_id,
        event_id: uuid(rng),
        read_only,
        event_type: "AwsApiCall",
        management_event: true,
        recipient_account_id: &cfg.account_id,
        event_category: "Management",
    }
}

fn identity<'a>(
    cfg: &'a SimConfig,
    principals: &'a [Principal],
    e: &SimEvent,
    invoked_by: Option<&'static str>,
) -> Identity<'a> {
    let mut id = Identity {
        kind: "AWSService",
        principal_id: None,
        arn: None,
        account_id: None,
        access_key_id: None,
        user_name: None,
        session_context: None,
        invoked_by,
    };
    match e.actor {
        Actor::Service => {}
        Actor::Anonymous => {
            id.kind = "AWSAccount";
            id.principal_id = Some(String::new());
            id.account_id = Some("ANONYMOUS_PRINCIPAL");
        }
        Actor::Principal { index, session } => {
            let p = &principals[index];
            let account = cfg.account_id.as_str();
            id.principal_id = Some(p.session_principal_id(session));
            id.account_id = Some(account);
            id.access_key_id = Some(&p.access_keys[session]);
            if p.kind == PrincipalKind::User {
                id.kind = "IAMUser";
                id.arn = Some(format!("arn:aws:iam::{account}:user/{}", p.name));
                id.user_name = Some(&p.name);
            } else {
                id.kind = "AssumedRole";
                id.arn = Some(format!("arn:aws:sts::{account}:assumed-role/{}/{}", p.name, p.sessions[session]));
                id.session_context = Some(SessionContext {
                    session_issuer: SessionIssuer {
                        kind: "Role",
                        principal_id: p.principal_id.clone(),
                        arn: format!("arn:aws:iam::{account}:role/{}", p.name),
                        account_id: account.to_string(),
                        user_name: p.name.clone(),
                    },
                    web_id_federation_data: serde_json::Map::new(),
                    attributes: Attributes {
                        creation_date: Utc::from_unix(e.time - e.time % 3600).iso(),
                        mfa_authenticated: "false",
                    },
                });
            }
        }
    }
    id
}
