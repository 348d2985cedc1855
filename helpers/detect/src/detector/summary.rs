//! Counts of what a detection run read and decided.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::record::{Detection, Verdict};

/// What a detection run read and decided; every record is counted under exactly one verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DetectSummary {
    /// Inputs (files or streams) read.
    pub inputs: usize,
    /// JSON values read.
    pub values: usize,
    /// GuardDuty findings among them (other EventBridge events not included).
    pub findings: usize,
    /// `alert` records.
    pub alerts: usize,
    /// `pass` records.
    pub passes: usize,
    /// `skipped` records by reason.
    pub skipped: BTreeMap<String, usize>,
}

impl DetectSummary {
    /// Counts one record.
    pub fn add(&mut self, record: &Detection) {
        match record.verdict {
            Verdict::Alert => self.alerts += 1,
            Verdict::Pass => self.passes += 1,
            Verdict::Skipped => {
                let reason = record.skip_reason.clone().unwrap_or_default();
                *self.skipped.entry(reason).or_insert(0) += 1;
            }
        }
    }

    /// Skipped records, all reasons.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// All records.
    pub fn records(&self) -> usize {
        self.alerts + self.passes + self.skipped_total()
    }
}

impl fmt::Display for DetectSummary {
    /// `detect: 60 findings in 60 JSON values from 1 input: 12 alert, 30 pass, 18 skipped (12 no access key details, …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "detect: {} findings in {} JSON values from {} input{}: {} alert, {} pass, {} skipped",
            self.findings,
            self.values,
            self.inputs,
            if self.inputs == 1 { "" } else { "s" },
            self.alerts,
            self.passes,
            self.skipped_total()
        )?;
        let mut reasons: Vec<(&String, &usize)> = self.skipped.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (i, (reason, n)) in reasons.into_iter().enumerate() {
            write!(f, "{}{n} {reason}", if i == 0 { " (" } else { ", " })?;
        }
        if !self.skipped.is_empty() {
            write!(f, ")")?;
        }
        Ok(())
    }
}
