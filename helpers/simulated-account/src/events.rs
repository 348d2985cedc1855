//! The account's CloudTrail events as typed intent (who, when, from where), before serialisation.

use std::net::IpAddr;

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;

use ipinsights_engine::tuples::Tuple;

use super::config::SimConfig;
use super::network::random_public_v4;
use super::population::{Principal, PrincipalKind};
use ipinsights_security_logs::SkipReason;

/// API calls principals make: (eventSource, eventName, readOnly).
pub(crate) const API_CALLS: [(&str, &str, bool); 16] = [
    ("sts.amazonaws.com", "GetCallerIdentity", true),
    ("s3.amazonaws.com", "ListBuckets", true),
    ("s3.amazonaws.com", "GetBucketLocation", true),
    ("ec2.amazonaws.com", "DescribeInstances", true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true),
    ("ec2.amazonaws.com", "RunInstances", false),
    ("iam.amazonaws.com", "ListUsers", true),
    ("iam.amazonaws.com", "GetRole", true),
    ("iam.amazonaws.com", "CreateAccessKey", false),
    ("lambda.amazonaws.com", "ListFunctions20150331", true),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", false),
    ("logs.amazonaws.com", "DescribeLogGroups", true),
    ("cloudformation.amazonaws.com", "DescribeStacks", true),
    ("kms.amazonaws.com", "Decrypt", true),
    ("dynamodb.amazonaws.com", "DescribeTable", true),
    ("secretsmanager.amazonaws.com", "GetSecretValue", true),
];

/// Calls AWS services make themselves: (invokedBy = sourceIPAddress, eventSource, eventName).
pub(crate) const SERVICE_CALLS: [(&str, &str, &str); 6] = [
    ("ec2.amazonaws.com", "sts.amazonaws.com", "AssumeRole"),
    ("lambda.amazonaws.com", "sts.amazonaws.com", "AssumeRole"),
    ("s3.amazonaws.com", "kms.amazonaws.com", "GenerateDataKey"),
    ("cloudtrail.amazonaws.com", "kms.amazonaws.com", "GenerateDataKey"),
    ("autoscaling.amazonaws.com", "ec2.amazonaws.com", "DescribeInstances"),
    ("config.amazonaws.com", "iam.amazonaws.com", "GetRole"),
];

/// Services principals call through (their calls then carry the service's name as source).
pub(crate) const INVOKERS: [&str; 3] =
    ["cloudformation.amazonaws.com", "athena.amazonaws.com", "servicecatalog.amazonaws.com"];

/// Who made a simulated call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A user or a role session: `principals[index]`, `sessions[session]`.
    Principal {
        /// Index into the account's principals.
        index: usize,
        /// Index into its sessions (0 for users).
        session: usize,
    },
    /// An AWS service (no principal id).
    Service,
    /// An unauthenticated caller (empty principal id).
    Anonymous,
}

/// Where a simulated call came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A real address.
    Ip(IpAddr),
    /// A service DNS name, e.g. `ec2.amazonaws.com`.
    Service(&'static str),
    /// The literal `AWS Internal`.
    AwsInternal,
}

/// One simulated CloudTrail event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimEvent {
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Who called.
    pub actor: Actor,
    /// From where.
    pub source: Source,
    /// Index into the API catalogue (service calls: into the service-call catalogue).
    pub api: usize,
}

impl SimEvent {
    /// The tuple this event should yield, or the reason it should be skipped.
    pub fn expected(&self, principals: &[Principal]) -> Result<Tuple, SkipReason> {
        match (self.source, self.actor) {
            (Source::Service(_), _) => Err(SkipReason::ServiceName),
            (Source::AwsInternal, _) => Err(SkipReason::AwsInternal),
            (Source::Ip(ip), Actor::Principal { index, .. }) => {
                Ok(Tuple::new(principals[index].principal_id.clone(), ip))
            }
            (Source::Ip(_), _) => Err(SkipReason::NoPrincipal),
        }
    }
}

/// Draws `cfg.events` events, sorted by time.
pub(crate) fn events(cfg: &SimConfig, principals: &[Principal], rng: &mut impl Rng) -> Vec<SimEvent> {
    let weights: Vec<f64> = principals.iter().map(|p| p.activity).collect();
    let who = WeightedIndex::new(&weights).ok();
    let mut out = Vec::with_capacity(cfg.events);
    for _ in 0..cfg.events {
        let r: f64 = rng.gen();
        let mut cut = cfg.service_fraction;
        let event = if r < cut || who.is_none() {
            let api = rng.gen_range(0..SERVICE_CALLS.len());
            (Actor::Service, Source::Service(SERVICE_CALLS[api].0), api)
        } else if r < cut + cfg.anonymous_fraction {
            (Actor::Anonymous, Source::Ip(random_public_v4(rng)), 1)
        } else {
            cut += cfg.anonymous_fraction;
            let index = who.as_ref().map_or(0, |w| w.sample(rng));
            let p = &principals[index];
            let actor = Actor::Principal { index, session: rng.gen_range(0..p.sessions.len()) };
            let source = if r < cut + cfg.invoked_by_service_fraction {
                Source::Service(INVOKERS[rng.gen_range(0..INVOKERS.len())])
            } else if r < cut + cfg.invoked_by_service_fraction + cfg.aws_internal_fraction {
                Source::AwsInternal
            } else {
                Source::Ip(p.draw_ip(rng, cfg))
            };
            (actor, source, rng.gen_range(0..API_CALLS.len()))
        };
        let is_user =
            matches!(event.0, Actor::Principal { index, .. } if principals[index].kind == PrincipalKind::User);
        out.push(SimEvent { time: event_time(cfg, is_user, rng), actor: event.0, source: event.1, api: event.2 });
    }
    out.sort_by_key(|e| e.time);
    out
}

/// A time in the simulated period; users mostly work 08:00–19:00 UTC, machines around the clock.
fn event_time(cfg: &SimConfig, office_hours: bool, rng: &mut impl Rng) -> u64 {
    let day = u64::from(rng.gen_range(0..cfg.days));
    let hour = if office_hours && rng.gen_bool(0.8) { rng.gen_range(8..19) } else { rng.gen_range(0..24) };
    cfg.start_unix_secs + day * 86_400 + hour * 3600 + rng.gen_range(0..3600)
}
