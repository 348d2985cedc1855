//! `Predictor`: score ⟨entity, IP⟩ pairs on an endpoint, as the SDK's `predictor.predict(...)`, through the
//! session's backend (one body in, one body out per call).
//!
//! A pair the service cannot read is never sent: on SageMaker (IPv4 only) an IPv6 pair is answered as *not
//! scorable* with its reason, row by row, and the request for the other pairs succeeds. [`Predictions`] keeps both:
//! the scored pairs with their predictions, and the rows that were not scorable.

mod invoke;

use crate::data::AsPair;
use crate::error::Result;
use crate::session::Session;
use crate::table::Table;
use invoke::{predict_via, Invoker};
use ipinsights_client::Prediction;
use ipinsights_engine::tuples::{parse_tuples, ReadOptions};
use ipinsights_sagemaker_facts::{sagemaker_reads, IPV4_ONLY};
use std::borrow::Cow;
use std::net::IpAddr;

/// Pairs as the notebook holds them: entity and address.
type Pair<'a> = (&'a str, IpAddr);

/// The pairs to send and the rows not to: with `ipv4_only`, IPv6 pairs are not scorable. When every pair is sent
/// (always on the local backend) the pairs are borrowed as they are.
fn split_scorable<'p, 'a>(pairs: &'p [Pair<'a>], ipv4_only: bool) -> (Cow<'p, [Pair<'a>]>, Vec<NotScorable>) {
    if !ipv4_only || pairs.iter().all(|&(_, ip)| sagemaker_reads(ip)) {
        return (Cow::Borrowed(pairs), Vec::new());
    }
    let mut sent = Vec::with_capacity(pairs.len());
    let mut skipped = Vec::new();
    for (row, &(entity, ip)) in pairs.iter().enumerate() {
        if ipv4_only && !sagemaker_reads(ip) {
            let reason = format!("IPv6 address: {IPV4_ONLY}");
            skipped.push(NotScorable { row, entity: entity.to_string(), ip, reason });
        } else {
            sent.push((entity, ip));
        }
    }
    (Cow::Owned(sent), skipped)
}

/// Request body format (`predictor.serializer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serializer {
    /// `text/csv` rows `entity,ip` (the SDK's `csv_serializer`).
    Csv,
    /// `application/json` `{"instances": [{"features": [entity, ip]}, …]}` (the SDK's `json_serializer`).
    Json,
    /// `application/jsonlines`: one instance per line.
    JsonLines,
}

/// Response format (`predictor.deserializer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deserializer {
    /// `application/json` (the SDK's `json_deserializer`).
    Json,
    /// `application/json; verbose=True`: also the embeddings.
    JsonVerbose,
    /// `application/jsonlines`: one prediction per line.
    JsonLines,
    /// `application/jsonlines; verbose=True`.
    JsonLinesVerbose,
}

impl Serializer {
    fn format(self) -> ipinsights_client::RequestFormat {
        use ipinsights_client::RequestFormat;
        match self {
            Serializer::Csv => RequestFormat::Csv,
            Serializer::Json => RequestFormat::Json,
            Serializer::JsonLines => RequestFormat::JsonLines,
        }
    }
}

impl Deserializer {
    fn format(self) -> ipinsights_client::ResponseFormat {
        use ipinsights_client::{ResponseFormat, ResponseKind};
        match self {
            Deserializer::Json => ResponseFormat::plain(ResponseKind::Json),
            Deserializer::JsonVerbose => ResponseFormat::verbose(ResponseKind::Json),
            Deserializer::JsonLines => ResponseFormat::plain(ResponseKind::JsonLines),
            Deserializer::JsonLinesVerbose => ResponseFormat::verbose(ResponseKind::JsonLines),
        }
    }
}

/// A handle on an endpoint (`sagemaker.predictor.Predictor`): plain data (session, name, formats), safe to keep
/// across cells.
#[derive(Debug, Clone)]
pub struct Predictor {
    session: Session,
    /// The endpoint's name (`predictor.endpoint`).
    pub endpoint: String,
    /// How requests are encoded.
    pub serializer: Serializer,
    /// What responses to ask for.
    pub deserializer: Deserializer,
}

/// An input row the service cannot score, and why (an IPv6 pair on SageMaker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotScorable {
    /// Its index in the input (0-based).
    pub row: usize,
    /// The entity.
    pub entity: String,
    /// The address.
    pub ip: IpAddr,
    /// Why it was not scored.
    pub reason: String,
}

/// One input row's result: its prediction, or why it was not scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowResult<'a> {
    /// Scored.
    Scored(&'a Prediction),
    /// Not scorable.
    NotScorable(&'a NotScorable),
}

/// A scored pair with the two vectors behind its score ([`Predictions::embeddings`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PairEmbeddings {
    /// The entity.
    pub entity: String,
    /// The address.
    pub ip: IpAddr,
    /// The score.
    pub dot_product: f32,
    /// The entity's embedding.
    pub entity_embedding: Vec<f32>,
    /// The address's embedding.
    pub ip_embedding: Vec<f32>,
}

/// Predictions with the pairs they score, in input order, and the input rows that could not be scored.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// The scored pairs, in input order.
    pub pairs: Vec<(String, IpAddr)>,
    /// One prediction per scored pair.
    pub predictions: Vec<Prediction>,
    /// The input rows that could not be scored, in input order, each with its reason: IPv6 pairs on SageMaker
    /// (IPv4 only). Always empty on the local backend.
    pub not_scorable: Vec<NotScorable>,
}

impl Predictions {
    /// The `dot_product` of every scored pair (higher = more normal), in the order of [`Predictions::pairs`]; the
    /// rows in [`Predictions::not_scorable`] have none (see [`Predictions::dot_products_by_row`]).
    pub fn dot_products(&self) -> Vec<f32> {
        self.predictions.iter().map(|p| p.dot_product).collect()
    }

    /// The `dot_product` of every input row, in input order: `None` for a row that was not scorable.
    pub fn dot_products_by_row(&self) -> Vec<Option<f32>> {
        self.rows()
            .into_iter()
            .map(|r| match r {
                RowResult::Scored(p) => Some(p.dot_product),
                RowResult::NotScorable(_) => None,
            })
            .collect()
    }

    /// Every input row's result, in input order.
    pub fn rows(&self) -> Vec<RowResult<'_>> {
        let mut scored = self.predictions.iter();
        let mut skipped = self.not_scorable.iter().peekable();
        (0..self.input_rows())
            .filter_map(|row| match skipped.next_if(|n| n.row == row) {
                Some(n) => Some(RowResult::NotScorable(n)),
                None => scored.next().map(RowResult::Scored),
            })
            .collect()
    }

    /// Every scored pair with its embeddings (verbose predictions; empty vectors when the answer had none), in
    /// input order.
    pub fn embeddings(&self) -> Vec<PairEmbeddings> {
        let vector = |v: &Option<Vec<f32>>| v.clone().unwrap_or_default();
        self.pairs
            .iter()
            .zip(&self.predictions)
            .map(|((entity, ip), p)| PairEmbeddings {
                entity: entity.clone(),
                ip: *ip,
                dot_product: p.dot_product,
                entity_embedding: vector(&p.entity_embedding),
                ip_embedding: vector(&p.ip_embedding),
            })
            .collect()
    }

    /// Number of predictions (scored pairs).
    pub fn len(&self) -> usize {
        self.predictions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.predictions.is_empty()
    }

    /// Number of input rows: scored and not scorable.
    pub fn input_rows(&self) -> usize {
        self.predictions.len() + self.not_scorable.len()
    }

    /// The first `n` input rows as a table (`entity`, `ip`, `dot_product`, and embedding sizes when verbose); a
    /// row that was not scorable shows why.
    pub fn head(&self, n: usize) -> Table {
        let verbose = self.predictions.iter().any(|p| p.entity_embedding.is_some());
        let mut columns = vec!["entity", "ip", "dot_product"];
        if verbose {
            columns.extend(["entity_embedding", "ip_embedding"]);
        }
        let mut table = Table::new(columns);
        let mut pairs = self.pairs.iter();
        for result in self.rows().into_iter().take(n) {
            let mut row = match result {
                RowResult::Scored(p) => {
                    let (entity, ip) = pairs.next().map(|(e, ip)| (e.clone(), ip.to_string())).unwrap_or_default();
                    let mut row = vec![entity, ip, format!("{:.6}", p.dot_product)];
                    if verbose {
                        let show = |v: &Option<Vec<f32>>| {
                            v.as_ref()
                                .map_or(String::new(), |v| format!("[{:.4}, {:.4}, … {} values]", v[0], v[1], v.len()))
                        };
                        row.push(show(&p.entity_embedding));
                        row.push(show(&p.ip_embedding));
                    }
                    row
                }
                RowResult::NotScorable(skip) => {
                    vec![skip.entity.clone(), skip.ip.to_string(), format!("not scorable: {}", skip.reason)]
                }
            };
            row.resize(table.columns.len(), String::new());
            table.push(row);
        }
        table.note = Some(format!("{} of {} rows", n.min(self.input_rows()), self.input_rows()));
        table
    }

    /// Shows the first rows in a notebook cell.
    pub fn evcxr_display(&self) {
        self.head(5).evcxr_display();
    }
}

impl Predictor {
    /// A predictor on endpoint `endpoint` of the session's backend (CSV in, JSON out).
    pub(crate) fn new(session: &Session, endpoint: &str) -> Self {
        Predictor {
            session: session.clone(),
            endpoint: endpoint.into(),
            serializer: Serializer::Csv,
            deserializer: Deserializer::Json,
        }
    }

    /// A predictor on an existing endpoint (`Predictor(endpoint_name)`): one still being created is waited for
    /// (printing like `deploy`), which is how a new cell, or a new kernel's session, picks up a deploy whose wait
    /// was interrupted; an endpoint that does not exist or failed is an error.
    pub fn attach(session: &Session, endpoint: &str) -> Result<Self> {
        let described = session.backend().attach_endpoint(endpoint, &mut crate::session::print_fragment)?;
        Ok(Predictor::new(session, &described.endpoint_name))
    }

    /// Scores pairs (any number: large inputs are split into requests under SageMaker's limits, request and
    /// answer alike, and sent a few at a time on every backend). Pairs the service cannot read (IPv6 on SageMaker)
    /// are not sent and come back as [`Predictions::not_scorable`], never as a failed request.
    /// Takes any tuples as they are: training or held-out tuples, CloudTrail or GuardDuty tuples, `(entity, ip)`.
    pub fn predict<T: AsPair>(&self, tuples: &[T]) -> Result<Predictions> {
        // The generic part stays this one borrowing pass: it is compiled inside the notebook cell.
        let borrowed: Vec<(&str, IpAddr)> = tuples.iter().map(|t| (t.entity(), t.ip())).collect();
        self.predict_pairs(&borrowed)
    }

    /// [`Predictor::predict`] on borrowed pairs (compiled once, with this crate). Pairs the backend's service
    /// cannot read are not sent: they come back in `not_scorable`, and one line says how many and why.
    fn predict_pairs(&self, pairs: &[(&str, IpAddr)]) -> Result<Predictions> {
        let backend = self.session.backend();
        let (sent, not_scorable) = split_scorable(pairs, backend.ipv4_only());
        let invoker = Invoker { backend, endpoint: &self.endpoint };
        let predictions = predict_via(&invoker, &sent, self.serializer.format(), self.deserializer.format())?;
        if !not_scorable.is_empty() {
            println!(
                "{} of {} pairs not scorable: IPv6 addresses ({IPV4_ONLY}); they are listed with their rows in \
                 `not_scorable`, and the scores cover the other {} pairs",
                not_scorable.len(),
                pairs.len(),
                sent.len()
            );
        }
        let pairs = sent.iter().map(|&(e, ip)| (e.to_string(), ip)).collect();
        Ok(Predictions { pairs, predictions, not_scorable })
    }

    /// Whether the endpoint reads IPv4 only (SageMaker): IPv6 pairs are then answered as not scorable.
    pub fn ipv4_only(&self) -> bool {
        self.session.backend().ipv4_only()
    }

    /// Scores `entity,ip` CSV text (as the SDK's csv_serializer would send it).
    pub fn predict_csv(&self, csv: &str) -> Result<Predictions> {
        let file = parse_tuples(csv.as_bytes(), "input", ReadOptions::default())?;
        let pairs: Vec<(String, IpAddr)> = file.tuples.into_iter().map(|t| (t.entity, t.ip)).collect();
        self.predict(&pairs)
    }

    /// Deletes the endpoint (`predictor.delete_endpoint()`); deleting twice is an error.
    pub fn delete_endpoint(&self) -> Result<()> {
        self.session.backend().delete_endpoint(&self.endpoint)?;
        println!("Deleted endpoint {}", self.endpoint);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ipv4_only_backends_leave_ipv6_pairs_out_and_nothing_is_copied_when_all_are_sent() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let pairs = [("alice", v4), ("bob", v6), ("carol", v4)];

        let (sent, skipped) = split_scorable(&pairs, false);
        assert!(matches!(sent, Cow::Borrowed(_)) && sent.len() == 3 && skipped.is_empty());

        let (sent, skipped) = split_scorable(&pairs[..1], true);
        assert!(matches!(sent, Cow::Borrowed(_)) && skipped.is_empty());

        let (sent, skipped) = split_scorable(&pairs, true);
        assert_eq!(&*sent, &[("alice", v4), ("carol", v4)]);
        assert_eq!(skipped.len(), 1);
        assert_eq!((skipped[0].row, skipped[0].entity.as_str(), skipped[0].ip), (1, "bob", v6));
        assert!(skipped[0].reason.contains(IPV4_ONLY), "{}", skipped[0].reason);
    }
}
