//! The query's answer → tuples: each row is one distinct (identity type, principal id, ARN, issuer ARN, source IP)
//! with its count of events; the source IP is classified and the entity found by the same rules as the S3 reader
//! ([`classify_source`], [`entity_of`]), so tuples, multiplicities and skip counts equal the S3 reader's for the
//! same records. Memory is one entry per distinct ⟨entity, IP⟩ pair until the tuples are laid out.

use std::collections::HashMap;

use ipinsights_security_logs::{
    classify_source, entity_of, role_name_of_session_arn, CloudTrailExtract, CloudTrailTuple, Identity, Tuple,
    TupleMode,
};

/// The columns the query returns, in order (its header row).
pub const COLUMNS: [&str; 6] = ["identity_type", "principal_id", "arn", "issuer_arn", "source_ip", "events"];

/// Accumulates the query's rows.
#[derive(Debug, Default)]
pub struct Aggregate {
    header_seen: bool,
    pairs: HashMap<Tuple, u64>,
    out: CloudTrailExtract,
    /// Rows read (distinct combinations, header excluded).
    pub rows: usize,
    /// Usable events (tuples in `AllEvents` mode).
    pub events: u64,
}

impl Aggregate {
    /// Takes one CSV row: the header first (checked against [`COLUMNS`]), then the data rows.
    pub fn add(&mut self, row: Vec<Option<String>>) -> Result<(), String> {
        if !self.header_seen {
            let names: Vec<&str> = row.iter().map(|v| v.as_deref().unwrap_or("")).collect();
            if names != COLUMNS {
                return Err(format!("the header is {names:?}, not the query's columns {COLUMNS:?}"));
            }
            self.header_seen = true;
            return Ok(());
        }
        let [kind, principal_id, arn, issuer_arn, source_ip, events]: [Option<String>; 6] =
            row.try_into().map_err(|row: Vec<_>| format!("{} values, not {}", row.len(), COLUMNS.len()))?;
        let events = events
            .as_deref()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| format!("the event count {events:?} is not a whole number"))?;
        let n = usize::try_from(events).map_err(|_| format!("the event count {events} is too large"))?;
        self.rows += 1;
        self.out.records += n;
        let ip = match classify_source(source_ip.as_deref()) {
            Ok(ip) => ip,
            Err(reason) => {
                self.out.skipped.add_n(reason, n);
                return Ok(());
            }
        };
        let identity = Identity {
            kind: kind.as_deref(),
            principal_id: principal_id.as_deref(),
            role_name: arn.as_deref().and_then(role_name_of_session_arn),
            role_arn: issuer_arn.as_deref(),
        };
        let entity = match entity_of(&identity) {
            Ok(entity) => entity,
            Err(reason) => {
                self.out.skipped.add_n(reason.into(), n);
                return Ok(());
            }
        };
        if entity.session_folded {
            self.out.role_sessions_folded += n;
        }
        self.events += events;
        *self.pairs.entry(Tuple::new(entity.name, ip)).or_insert(0) += events;
        Ok(())
    }

    /// True once the header was read (an empty result file has none).
    pub fn has_header(&self) -> bool {
        self.header_seen
    }

    /// Distinct ⟨entity, IP⟩ pairs so far.
    pub fn unique_pairs(&self) -> usize {
        self.pairs.len()
    }

    /// The tuples in `mode`, sorted by entity then address (a query has no file order): `AllEvents` repeats each
    /// pair as many times as it was seen, `UniquePairs` keeps it once and counts the rest as duplicates.
    pub fn finish(mut self, mode: TupleMode) -> CloudTrailExtract {
        let mut pairs: Vec<(Tuple, u64)> = self.pairs.into_iter().collect();
        pairs.sort_by(|a, b| (&a.0.entity, a.0.ip).cmp(&(&b.0.entity, b.0.ip)));
        self.out.unique_pairs = pairs.len();
        for (tuple, count) in pairs {
            let copies = match mode {
                TupleMode::AllEvents => count,
                TupleMode::UniquePairs => {
                    self.out.duplicates += usize::try_from(count.saturating_sub(1)).unwrap_or(usize::MAX);
                    1
                }
            };
            for _ in 0..copies {
                self.out.tuples.push(CloudTrailTuple { tuple: tuple.clone(), event_time: None });
            }
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipinsights_security_logs::SkipReason;

    fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn header() -> Vec<Option<String>> {
        COLUMNS.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn rows_become_tuples_with_their_counts_and_skips() {
        let mut agg = Aggregate::default();
        agg.add(header()).unwrap();
        let session = "arn:aws:sts::1:assumed-role/app/s1";
        agg.add(row(&[Some("AssumedRole"), Some("AROAX:s1"), Some(session), None, Some("1.2.3.4"), Some("3")]))
            .unwrap();
        agg.add(row(&[Some("AssumedRole"), Some("AROAX:s2"), None, None, Some("1.2.3.4"), Some("2")])).unwrap();
        agg.add(row(&[Some("IAMUser"), Some("AIDAY"), None, None, Some("ec2.amazonaws.com"), Some("4")])).unwrap();
        agg.add(row(&[None, None, None, None, Some("5.6.7.8"), Some("1")])).unwrap();
        agg.add(row(&[Some("IAMUser"), Some("AIDAY"), None, None, None, Some("2")])).unwrap();
        let sso = "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1";
        agg.add(row(&[Some("AssumedRole"), Some("AROAZ:alice"), None, Some(sso), Some("9.9.9.9"), Some("1")])).unwrap();
        assert_eq!(agg.rows, 6);
        let all = agg.finish(TupleMode::AllEvents);
        assert_eq!(all.records, 13);
        assert_eq!(all.tuples.len(), 6);
        assert_eq!(all.tuples.iter().filter(|t| t.tuple.entity == "AROAX").count(), 5);
        assert_eq!(all.tuples.last().unwrap().tuple.entity, "AROAZ:alice", "Identity Center sessions stay apart");
        assert_eq!(all.role_sessions_folded, 5);
        assert_eq!(all.skipped.get(SkipReason::ServiceName), 4);
        assert_eq!(all.skipped.get(SkipReason::NoPrincipal), 1);
        assert_eq!(all.skipped.get(SkipReason::NoSourceIp), 2);
        assert_eq!(all.unique_pairs, 2);
    }

    #[test]
    fn unique_pairs_keep_each_pair_once() {
        let mut agg = Aggregate::default();
        agg.add(header()).unwrap();
        agg.add(row(&[Some("IAMUser"), Some("AIDAY"), None, None, Some("1.2.3.4"), Some("7")])).unwrap();
        let out = agg.finish(TupleMode::UniquePairs);
        assert_eq!((out.tuples.len(), out.duplicates, out.unique_pairs), (1, 6, 1));
    }

    #[test]
    fn bad_rows_are_refused() {
        let mut agg = Aggregate::default();
        let err = agg.add(row(&[Some("a")])).unwrap_err();
        assert!(err.contains("not the query's columns"), "{err}");
        agg.add(header()).unwrap();
        let err = agg.add(row(&[Some("IAMUser"), Some("AIDAY"), None, None, Some("1.2.3.4"), Some("x")])).unwrap_err();
        assert!(err.contains("is not a whole number"), "{err}");
        let err = agg.add(row(&[Some("IAMUser")])).unwrap_err();
        assert!(err.contains("1 values, not 6"), "{err}");
    }
}
