//! Skip reasons and their counts: nothing read is dropped without being counted.

use std::collections::BTreeMap;
use std::fmt;

use crate::principal::NoEntity;

/// A reason type whose counts print as `skipped N {unit}: ...`.
pub trait SkipReasonKind: Copy + Ord + fmt::Debug {
    /// Plural noun for the things skipped ("records", "findings").
    const UNIT: &'static str;
    /// Short human label, e.g. "service name".
    fn label(&self) -> &'static str;
}

/// Why a CloudTrail record produced no tuple (checked in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// `sourceIPAddress` missing, null or empty.
    NoSourceIp,
    /// `sourceIPAddress` is the literal `AWS Internal`.
    AwsInternal,
    /// `sourceIPAddress` is a service DNS name such as `ec2.amazonaws.com`.
    ServiceName,
    /// `sourceIPAddress` is some other value that is not an IP address.
    NotAnIp,
    /// `userIdentity.principalId` missing or empty.
    NoPrincipal,
    /// `userIdentity.principalId` present, but its entity is blank (only whitespace, or nothing before ':').
    BlankPrincipal,
}

impl SkipReasonKind for SkipReason {
    const UNIT: &'static str = "records";
    fn label(&self) -> &'static str {
        match self {
            SkipReason::NoSourceIp => "no source IP",
            SkipReason::AwsInternal => "AWS Internal",
            SkipReason::ServiceName => "service name",
            SkipReason::NotAnIp => "not an IP",
            SkipReason::NoPrincipal => "no principal",
            SkipReason::BlankPrincipal => "blank principal",
        }
    }
}

/// Why a GuardDuty finding (or event) produced no tuple at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingSkip {
    /// An EventBridge event that is not a GuardDuty finding.
    NotAFinding,
    /// The finding has no `resource.accessKeyDetails`.
    NoAccessKeyDetails,
    /// `accessKeyDetails.principalId` missing or empty.
    NoPrincipal,
    /// `accessKeyDetails.principalId` present, but its entity is blank (only whitespace, or nothing before ':').
    BlankPrincipal,
    /// The action type carries no remote IP (e.g. `DNS_REQUEST`) or there is no action.
    UnsupportedAction,
    /// The action has no `ipAddressV4` / `ipAddressV6`.
    NoRemoteIp,
    /// The remote address does not parse as an IP address.
    InvalidIp,
    /// The finding is archived (`service.archived`): left out unless archived findings are asked for.
    Archived,
    /// A sample finding (`service.additionalInfo.sample`): left out unless samples are asked for.
    Sample,
}

impl SkipReasonKind for FindingSkip {
    const UNIT: &'static str = "findings";
    fn label(&self) -> &'static str {
        match self {
            FindingSkip::NotAFinding => "not a GuardDuty finding",
            FindingSkip::NoAccessKeyDetails => "no access key details",
            FindingSkip::NoPrincipal => "no principal",
            FindingSkip::BlankPrincipal => "blank principal",
            FindingSkip::UnsupportedAction => "action without remote IP",
            FindingSkip::NoRemoteIp => "no remote IP",
            FindingSkip::InvalidIp => "invalid IP",
            FindingSkip::Archived => "archived",
            FindingSkip::Sample => "sample",
        }
    }
}

impl From<NoEntity> for SkipReason {
    fn from(reason: NoEntity) -> Self {
        match reason {
            NoEntity::Missing => SkipReason::NoPrincipal,
            NoEntity::Blank => SkipReason::BlankPrincipal,
        }
    }
}

impl From<NoEntity> for FindingSkip {
    fn from(reason: NoEntity) -> Self {
        match reason {
            NoEntity::Missing => FindingSkip::NoPrincipal,
            NoEntity::Blank => FindingSkip::BlankPrincipal,
        }
    }
}

/// Counts of skipped items per reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkipCounts<R: SkipReasonKind> {
    counts: BTreeMap<R, usize>,
}

impl<R: SkipReasonKind> Default for SkipCounts<R> {
    fn default() -> Self {
        SkipCounts { counts: BTreeMap::new() }
    }
}

impl<R: SkipReasonKind> SkipCounts<R> {
    /// Counts one skipped item.
    pub fn add(&mut self, reason: R) {
        self.add_n(reason, 1);
    }

    /// Counts `n` skipped items of one reason (e.g. an aggregated query's row of `n` events).
    pub fn add_n(&mut self, reason: R, n: usize) {
        if n == 0 {
            return;
        }
        *self.counts.entry(reason).or_insert(0) += n;
    }

    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &Self) {
        for (&r, &n) in &other.counts {
            *self.counts.entry(r).or_insert(0) += n;
        }
    }

    /// Items skipped for `reason`.
    pub fn get(&self, reason: R) -> usize {
        self.counts.get(&reason).copied().unwrap_or(0)
    }

    /// Items skipped for any reason.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Non-zero counts, most frequent first (ties in reason order).
    pub fn by_count(&self) -> Vec<(R, usize)> {
        let mut v: Vec<(R, usize)> = self.counts.iter().map(|(&r, &n)| (r, n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

impl<R: SkipReasonKind> fmt::Display for SkipCounts<R> {
    /// `skipped 120 records: 80 service name, 30 AWS Internal, 10 no principal`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped {} {}", self.total(), R::UNIT)?;
        for (i, (r, n)) in self.by_count().into_iter().enumerate() {
            let sep = if i == 0 { ": " } else { ", " };
            write!(f, "{sep}{n} {}", r.label())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_added_at_once_equal_counts_added_one_by_one() {
        let (mut one_by_one, mut at_once) = (SkipCounts::default(), SkipCounts::default());
        for _ in 0..7 {
            one_by_one.add(SkipReason::AwsInternal);
        }
        at_once.add_n(SkipReason::AwsInternal, 7);
        at_once.add_n(SkipReason::NoPrincipal, 0);
        assert_eq!(at_once, one_by_one, "a zero count leaves no entry behind");
    }

    #[test]
    fn display_orders_by_count() {
        let mut c = SkipCounts::default();
        for _ in 0..10 {
            c.add(SkipReason::NoPrincipal);
        }
        for _ in 0..80 {
            c.add(SkipReason::ServiceName);
        }
        for _ in 0..30 {
            c.add(SkipReason::AwsInternal);
        }
        assert_eq!(c.to_string(), "skipped 120 records: 80 service name, 30 AWS Internal, 10 no principal");
        assert_eq!(SkipCounts::<FindingSkip>::default().to_string(), "skipped 0 findings");
    }
}
