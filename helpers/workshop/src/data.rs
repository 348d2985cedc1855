//! Preparing the workshop's data: an out-of-time split of CloudTrail tuples, as the tutorial splits its logs.

use ipinsights_engine::tuples::Tuple;
use ipinsights_security::CloudTrailTuple;

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

/// The `(entity, ip)` pairs of tuples, ready for `Predictor::predict`.
pub fn pairs(tuples: &[Tuple]) -> Vec<(String, std::net::IpAddr)> {
    tuples.iter().map(|t| (t.entity.clone(), t.ip)).collect()
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
        assert_eq!(pairs(&held_out)[0].0, "late");
    }
}
