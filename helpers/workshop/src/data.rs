//! Preparing the workshop's data: an out-of-time split of CloudTrail tuples, as the tutorial splits its logs, and
//! [`AsPair`], which lets `Predictor::predict` and `Session::upload_tuples` take any source's tuples (training,
//! CloudTrail, GuardDuty) as they are.

use ipinsights_engine::tuples::Tuple;
use ipinsights_security_logs::{CloudTrailTuple, FindingTuple};
use std::net::IpAddr;

/// Anything that names an ⟨entity, IP⟩ pair: engine tuples, CloudTrail tuples and GuardDuty finding tuples.
pub trait AsPair {
    /// The entity (principal).
    fn entity(&self) -> &str;
    /// The IP address.
    fn ip(&self) -> IpAddr;
}

impl AsPair for Tuple {
    fn entity(&self) -> &str {
        &self.entity
    }
    fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl AsPair for CloudTrailTuple {
    fn entity(&self) -> &str {
        &self.tuple.entity
    }
    fn ip(&self) -> IpAddr {
        self.tuple.ip
    }
}

impl AsPair for FindingTuple {
    fn entity(&self) -> &str {
        &self.tuple.entity
    }
    fn ip(&self) -> IpAddr {
        self.tuple.ip
    }
}

impl<S: AsRef<str>> AsPair for (S, IpAddr) {
    fn entity(&self) -> &str {
        self.0.as_ref()
    }
    fn ip(&self) -> IpAddr {
        self.1
    }
}

/// Splits tuples by event time: the earliest `train_share` (0–1) train, the rest are held out as normal activity
/// the model has not seen. Tuples without a time sort first. Returns `(train, held_out)` as engine tuples.
pub fn split_by_time(tuples: &[CloudTrailTuple], train_share: f64) -> (Vec<Tuple>, Vec<Tuple>) {
    let mut order: Vec<&CloudTrailTuple> = tuples.iter().collect();
    // ISO-8601 UTC timestamps sort as text; the sort is stable, so equal times keep log order.
    order.sort_by(|a, b| a.event_time.cmp(&b.event_time));
    let cut = ((order.len() as f64) * train_share.clamp(0.0, 1.0)).round() as usize;
    let convert = |t: &&CloudTrailTuple| t.tuple.clone();
    (order[..cut].iter().map(convert).collect(), order[cut..].iter().map(convert).collect())
}

/// How many distinct principals (entities) `tuples` name (a `u32`, as `num_entity_vectors` is; saturating).
pub fn distinct_principals<T: AsPair>(tuples: &[T]) -> u32 {
    let distinct = tuples.iter().map(|t| t.entity()).collect::<std::collections::HashSet<&str>>().len();
    u32::try_from(distinct).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_time_not_by_position() {
        let t = |e: &str, time: &str| CloudTrailTuple {
            tuple: Tuple::new(e, "1.1.1.1".parse().unwrap()),
            event_time: Some(time.into()),
        };
        let tuples = vec![
            t("late", "2026-01-03T00:00:00Z"),
            t("early", "2026-01-01T00:00:00Z"),
            t("mid", "2026-01-02T00:00:00Z"),
        ];
        let (train, held_out) = split_by_time(&tuples, 0.67);
        let names = |v: &[Tuple]| v.iter().map(|t| t.entity.clone()).collect::<Vec<_>>();
        assert_eq!(names(&train), vec!["early", "mid"]);
        assert_eq!(names(&held_out), vec!["late"]);
        assert_eq!(distinct_principals(&tuples), 3);
        assert_eq!(distinct_principals(&[t("a", "2026-01-01T00:00:00Z"), t("a", "2026-01-02T00:00:00Z")]), 1);
        assert_eq!(
            (tuples[1].entity(), tuples[1].ip()),
            ("early", "1.1.1.1".parse().unwrap()),
            "CloudTrail tuples too"
        );
    }
}
