//! `Predictor`: score ⟨entity, IP⟩ pairs on an endpoint, as the SDK's `predictor.predict(...)`, through the
//! session's backend (one body in, one body out per call).

mod invoke;

use crate::error::Result;
use crate::session::Session;
use crate::table::Table;
use invoke::{predict_via, Invoker};
use ipinsights_client::Prediction;
use ipinsights_engine::tuples::{parse_tuples, ReadOptions};
use std::net::IpAddr;

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
            Deserializer::Json => ResponseFormat::new(ResponseKind::Json, false),
            Deserializer::JsonVerbose => ResponseFormat::new(ResponseKind::Json, true),
            Deserializer::JsonLines => ResponseFormat::new(ResponseKind::JsonLines, false),
            Deserializer::JsonLinesVerbose => ResponseFormat::new(ResponseKind::JsonLines, true),
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

/// Predictions with the pairs they score, in input order.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// The scored pairs.
    pub pairs: Vec<(String, IpAddr)>,
    /// One prediction per pair.
    pub predictions: Vec<Prediction>,
}

impl Predictions {
    /// The `dot_product` of every pair (higher = more normal).
    pub fn dot_products(&self) -> Vec<f32> {
        self.predictions.iter().map(|p| p.dot_product).collect()
    }

    /// Number of predictions.
    pub fn len(&self) -> usize {
        self.predictions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.predictions.is_empty()
    }

    /// The first `n` rows as a table (`entity`, `ip`, `dot_product`, and embedding sizes when verbose).
    pub fn head(&self, n: usize) -> Table {
        let verbose = self.predictions.iter().any(|p| p.entity_embedding.is_some());
        let mut columns = vec!["entity", "ip", "dot_product"];
        if verbose {
            columns.extend(["entity_embedding", "ip_embedding"]);
        }
        let mut table = Table::new(columns);
        for ((entity, ip), p) in self.pairs.iter().zip(&self.predictions).take(n) {
            let mut row = vec![entity.clone(), ip.to_string(), format!("{:.6}", p.dot_product)];
            if verbose {
                let show = |v: &Option<Vec<f32>>| {
                    v.as_ref().map_or(String::new(), |v| format!("[{:.4}, {:.4}, … {} values]", v[0], v[1], v.len()))
                };
                row.push(show(&p.entity_embedding));
                row.push(show(&p.ip_embedding));
            }
            table.push(row);
        }
        table.note = Some(format!("{} of {} rows", n.min(self.len()), self.len()));
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

    /// A predictor on an existing endpoint (`Predictor(endpoint_name)`); an endpoint that does not exist is an
    /// error.
    pub fn attach(session: &Session, endpoint: &str) -> Result<Self> {
        let described = session.backend().describe_endpoint(endpoint)?;
        Ok(Predictor::new(session, &described.endpoint_name))
    }

    /// Scores pairs (any number: large inputs are split into requests under SageMaker's limits and sent
    /// concurrently).
    pub fn predict<S: AsRef<str> + Sync>(&self, pairs: &[(S, IpAddr)]) -> Result<Predictions> {
        // The generic part stays this one borrowing pass: it is compiled inside the notebook cell.
        let borrowed: Vec<(&str, IpAddr)> = pairs.iter().map(|(e, ip)| (e.as_ref(), *ip)).collect();
        self.predict_pairs(&borrowed)
    }

    /// [`Predictor::predict`] on borrowed pairs (compiled once, with this crate).
    fn predict_pairs(&self, pairs: &[(&str, IpAddr)]) -> Result<Predictions> {
        let invoker = Invoker { backend: self.session.backend(), endpoint: &self.endpoint };
        let predictions = predict_via(&invoker, pairs, self.serializer.format(), self.deserializer.format())?;
        let pairs = pairs.iter().map(|&(e, ip)| (e.to_string(), ip)).collect();
        Ok(Predictions { pairs, predictions })
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
