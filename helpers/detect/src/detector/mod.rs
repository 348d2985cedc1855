//! The live detector (workshop step 6): GuardDuty finding in, scored and explained records out.
//!
//! Each finding's (principal, remote IP) tuples are extracted by the security crate, scored through
//! a [`Scorer`] (`dot_product`, higher = more normal) and compared with the threshold on the anomaly
//! score `score = −dot_product`: `score > threshold` is an `alert`, otherwise a `pass`. Findings
//! without a usable tuple become `skipped` records with the reason, never silently dropped; so do archived and
//! sample findings unless the detector's [`FindingScope`] asks for them.

mod record;
mod summary;
#[cfg(test)]
mod tests;

use std::io::Read;
use std::net::IpAddr;
use std::ops::ControlFlow;

use ipinsights_security_logs::{
    decompressing_reader, findings_in_value, stream_findings, FindingHeader, FindingResult, FindingScope,
    InputTooLarge, SkipReasonKind, StreamEvent,
};
use serde_json::Value;

pub use record::{Detection, Explanation, RemoteNetwork, Verdict};
pub use summary::DetectSummary;

use crate::error::{DetectError, Result};
use crate::familiarity::Familiarity;
use crate::scorer::{borrow_pairs, Scorer};

/// Skip reason for a remote-IP detail without a usable address inside a finding that had others.
pub const DETAIL_WITHOUT_IP: &str = "remote IP detail without a usable address";

/// Skip reason for an IPv6 remote address when the scorer takes IPv4 only (a SageMaker endpoint).
pub const IPV6_ON_IPV4_SCORER: &str = "IPv6 address: SageMaker's IP Insights scores IPv4 only";

/// Findings of a stream scored at once: enough for few scorer calls, few enough that a long array is answered
/// as it is read (a value's findings are also scored when the value ends).
pub const SCORE_BATCH: usize = 1000;

/// Scores findings against a threshold and explains the verdicts.
pub struct Detector {
    scorer: Box<dyn Scorer>,
    threshold: f64,
    familiarity: Option<Familiarity>,
    top_networks: usize,
    ipv4_only: bool,
    scope: FindingScope,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("scorer", &self.scorer.describe())
            .field("threshold", &self.threshold)
            .field("familiarity", &self.familiarity.as_ref().map(Familiarity::principals))
            .finish()
    }
}

impl Detector {
    /// A detector alerting when `−dot_product > threshold` (the anomaly-score threshold must be finite). A scorer
    /// that reads IPv4 only ([`Scorer::ipv4_only`]: a SageMaker endpoint) never gets IPv6 pairs, as with
    /// [`Detector::with_ipv4_only`].
    pub fn new(scorer: impl Scorer + 'static, threshold: f64) -> Result<Self> {
        if !threshold.is_finite() {
            return Err(DetectError::InvalidThreshold(threshold));
        }
        let ipv4_only = scorer.ipv4_only();
        Ok(Detector {
            scorer: Box::new(scorer),
            threshold,
            familiarity: None,
            top_networks: 3,
            ipv4_only,
            scope: FindingScope::default(),
        })
    }

    /// Explains verdicts with the principals' usual networks from this index.
    pub fn with_familiarity(mut self, familiarity: Familiarity) -> Self {
        self.familiarity = Some(familiarity);
        self
    }

    /// Lists this many usual networks per principal in explanations (default 3).
    pub fn with_top_networks(mut self, top: usize) -> Self {
        self.top_networks = top;
        self
    }

    /// Scores archived and sample findings too when `scope` says so (by default they are `skipped` records, reasons
    /// `archived` and `sample`).
    pub fn with_scope(mut self, scope: FindingScope) -> Self {
        self.scope = scope;
        self
    }

    /// Never sends IPv6 addresses to the scorer (SageMaker's IP Insights takes IPv4 only): they become `skipped`
    /// records with reason [`IPV6_ON_IPV4_SCORER`].
    pub fn with_ipv4_only(mut self) -> Self {
        self.ipv4_only = true;
        self
    }

    /// The anomaly-score threshold (`score = −dot_product`).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The scorer's description.
    pub fn scorer(&self) -> String {
        self.scorer.describe()
    }

    /// The records of one JSON value of any shape the security crate accepts (bare finding, array,
    /// EventBridge event, GetFindings output), in input order. A value of unknown shape gives one
    /// `skipped` record; only scoring failures are errors.
    pub fn detect_value(&self, value: Value) -> Result<Vec<Detection>> {
        Ok(self.detect_counted(value)?.0)
    }

    /// The records of every JSON value in `text` (one document, or NDJSON).
    pub fn detect_str(&self, text: &str) -> Result<Vec<Detection>> {
        let mut out = Vec::new();
        self.detect_reader(text.as_bytes(), "input", &mut DetectSummary::default(), |d| {
            out.push(d.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// Streams the JSON values of `reader` (plain or gzip; one document or NDJSON; bounded like the security
    /// crate's readers, one finding at a time), handing each record to `emit` once its finding is scored — at the
    /// end of each JSON value, or every [`SCORE_BATCH`] findings of a long one — and counting it in `summary`.
    /// `name` labels errors. Invalid JSON or an input over the limits stops the stream (records before it were
    /// already emitted).
    pub fn detect_reader<R: Read>(
        &self,
        reader: R,
        name: &str,
        summary: &mut DetectSummary,
        mut emit: impl FnMut(&Detection) -> std::io::Result<()>,
    ) -> Result<()> {
        let read_err = |source: std::io::Error| match InputTooLarge::in_io_error(&source) {
            Some(reason) => DetectError::TooLarge { name: name.to_string(), reason: reason.clone() },
            None => DetectError::Read { name: name.to_string(), source },
        };
        let reader = decompressing_reader(reader).map_err(read_err)?;
        summary.inputs += 1;
        let mut pending = Vec::new();
        let mut failure = None;
        let streamed = stream_findings(reader, &mut |event| {
            let done = match event {
                StreamEvent::Findings { results: Ok(results), .. } => {
                    pending.extend(results);
                    if pending.len() < SCORE_BATCH {
                        return ControlFlow::Continue(());
                    }
                    self.flush(&mut pending, summary, &mut emit)
                }
                StreamEvent::Findings { results: Err(message), .. } => {
                    self.flush(&mut pending, summary, &mut emit).and_then(|()| {
                        let record = Detection::skipped(
                            &FindingHeader::default(),
                            self.threshold,
                            format!("invalid finding: {message}"),
                        );
                        summary.add(&record);
                        emit(&record).map_err(DetectError::Emit)
                    })
                }
                StreamEvent::ValueEnd { .. } => {
                    summary.values += 1;
                    self.flush(&mut pending, summary, &mut emit)
                }
            };
            match done {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failure = Some(e);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        // Findings read before an error are still scored and emitted.
        self.flush(&mut pending, summary, &mut emit)?;
        streamed.map_err(|e| {
            if e.is_io() {
                read_err(e.into())
            } else {
                DetectError::Json { name: name.to_string(), line: e.line(), column: e.column(), source: e }
            }
        })
    }

    /// Scores the pending findings and emits their records, in order.
    fn flush(
        &self,
        pending: &mut Vec<FindingResult>,
        summary: &mut DetectSummary,
        emit: &mut impl FnMut(&Detection) -> std::io::Result<()>,
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let (records, findings) = self.score_results(std::mem::take(pending))?;
        summary.findings += findings;
        for record in &records {
            summary.add(record);
            emit(record).map_err(DetectError::Emit)?;
        }
        Ok(())
    }

    /// Records of one value and the number of GuardDuty findings in it.
    fn detect_counted(&self, value: Value) -> Result<(Vec<Detection>, usize)> {
        match findings_in_value(value) {
            Ok(results) => self.score_results(results),
            Err(message) => {
                let reason = format!("invalid finding: {message}");
                Ok((vec![Detection::skipped(&FindingHeader::default(), self.threshold, reason)], 0))
            }
        }
    }

    /// Records of these findings (scored in one call) and the number of GuardDuty findings among them.
    fn score_results(&self, results: Vec<FindingResult>) -> Result<(Vec<Detection>, usize)> {
        let results: Vec<FindingResult> = results.into_iter().map(|r| r.within(self.scope)).collect();
        let findings =
            results.iter().filter(|r| r.outcome != Err(ipinsights_security_logs::FindingSkip::NotAFinding)).count();
        let scorable = |ip: IpAddr| !(self.ipv4_only && ip.is_ipv6());
        let pairs: Vec<(String, IpAddr)> = results
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .flatten()
            .filter(|t| scorable(t.tuple.ip))
            .map(|t| (t.tuple.entity.clone(), t.tuple.ip))
            .collect();
        let scores = if pairs.is_empty() { Vec::new() } else { self.scorer.dot_products(&borrow_pairs(&pairs))? };
        if scores.len() != pairs.len() {
            return Err(DetectError::ScoreCount {
                scorer: self.scorer.describe(),
                sent: pairs.len(),
                got: scores.len(),
            });
        }
        let mut scores = scores.into_iter();
        let mut out = Vec::with_capacity(results.len());
        for result in results {
            match result.outcome {
                Ok(tuples) => {
                    for t in &tuples {
                        if !scorable(t.tuple.ip) {
                            out.push(Detection::unscored(t, self.threshold, IPV6_ON_IPV4_SCORER.to_string()));
                            continue;
                        }
                        let Some(dot_product) = scores.next() else { break };
                        let familiarity =
                            self.familiarity.as_ref().map(|f| f.report(&t.tuple.entity, t.tuple.ip, self.top_networks));
                        out.push(Detection::scored(t, dot_product, self.threshold, familiarity));
                    }
                    for _ in 0..result.details_without_ip {
                        out.push(Detection::skipped(&result.header, self.threshold, DETAIL_WITHOUT_IP.to_string()));
                    }
                }
                Err(reason) => out.push(Detection::skipped(&result.header, self.threshold, reason.label().to_string())),
            }
        }
        Ok((out, findings))
    }
}
