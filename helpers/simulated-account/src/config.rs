//! Settings of the simulated account, with workshop-sized defaults.

use crate::error::{Result, SimulationError};

/// What to simulate. `SimConfig::default()` is a small company: 40 users, 10 roles, 7 days, 30k events.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed: the same config writes byte-identical files.
    pub seed: u64,
    /// 12-digit AWS account id.
    pub account_id: String,
    /// Region the trail and GuardDuty run in.
    pub region: String,
    /// IAM users (`AIDA…`, type IAMUser).
    pub users: usize,
    /// IAM roles assumed by sessions (`AROA…:session`, type AssumedRole).
    pub roles: usize,
    /// Start of the simulated period, seconds since the Unix epoch (UTC).
    pub start_unix_secs: u64,
    /// Length of the simulated period in days.
    pub days: u32,
    /// CloudTrail records to write (including the noise below).
    pub events: usize,
    /// Share of records made by AWS services (type AWSService, `sourceIPAddress` a service name).
    pub service_fraction: f64,
    /// Share of records by principals through a service (`sourceIPAddress` e.g. `cloudformation.amazonaws.com`).
    pub invoked_by_service_fraction: f64,
    /// Share of records by principals with `sourceIPAddress` `AWS Internal`.
    pub aws_internal_fraction: f64,
    /// Share of anonymous records (empty principalId) from a real IP.
    pub anonymous_fraction: f64,
    /// Share of users with an IPv6 home network (half their home calls then use IPv6).
    pub ipv6_user_fraction: f64,
    /// Share of a user's calls from their mobile carrier network.
    pub mobile_fraction: f64,
    /// Share of a user's calls from a random travel IP anywhere.
    pub travel_fraction: f64,
    /// GuardDuty findings to write.
    pub findings: usize,
    /// Share of access-key findings from the principal's own networks (label benign).
    pub benign_finding_fraction: f64,
    /// Share of findings about EC2 instances (PORT_PROBE, no access key: not scorable).
    pub instance_finding_fraction: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            account_id: "123456789012".to_string(),
            region: "us-east-1".to_string(),
            users: 40,
            roles: 10,
            start_unix_secs: 1_709_510_400, // 2024-03-04T00:00:00Z
            days: 7,
            events: 30_000,
            service_fraction: 0.08,
            invoked_by_service_fraction: 0.03,
            aws_internal_fraction: 0.04,
            anonymous_fraction: 0.002,
            ipv6_user_fraction: 0.25,
            mobile_fraction: 0.07,
            travel_fraction: 0.03,
            findings: 60,
            benign_finding_fraction: 0.25,
            instance_finding_fraction: 0.1,
        }
    }
}

impl SimConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, message: &str| Err(SimulationError::Config { field, message: message.to_string() });
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return bad("account_id", "must be 12 digits");
        }
        let region_ok = self.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if self.region.is_empty() || !region_ok {
            return bad("region", "must look like `us-east-1`");
        }
        if self.users == 0 {
            return bad("users", "need at least one user");
        }
        if self.days == 0 {
            return bad("days", "must be at least 1");
        }
        // Findings and deliveries land up to a day after the last event; all must have four-digit years.
        let end = self.start_unix_secs.saturating_add((u64::from(self.days) + 1) * 86_400);
        if end >= super::clock::YEAR_10000_UNIX_SECS {
            return bad("start_unix_secs", "the simulated period must end before the year 10000");
        }
        let fractions = [
            ("service_fraction", self.service_fraction),
            ("invoked_by_service_fraction", self.invoked_by_service_fraction),
            ("aws_internal_fraction", self.aws_internal_fraction),
            ("anonymous_fraction", self.anonymous_fraction),
            ("ipv6_user_fraction", self.ipv6_user_fraction),
            ("mobile_fraction", self.mobile_fraction),
            ("travel_fraction", self.travel_fraction),
            ("benign_finding_fraction", self.benign_finding_fraction),
            ("instance_finding_fraction", self.instance_finding_fraction),
        ];
        for (field, value) in fractions {
            if !(0.0..=1.0).contains(&value) {
                return bad(field, "must be between 0 and 1");
            }
        }
        let noise = self.service_fraction
            + self.invoked_by_service_fraction
            + self.aws_internal_fraction
            + self.anonymous_fraction;
        if noise > 1.0 {
            return bad("service_fraction", "the four noise fractions add up to more than 1");
        }
        if self.mobile_fraction + self.travel_fraction > 1.0 {
            return bad("travel_fraction", "mobile + travel fractions add up to more than 1");
        }
        Ok(())
    }
}
