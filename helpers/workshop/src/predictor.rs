//! `Predictor`: score ⟨entity, IP⟩ pairs on an endpoint, as the SDK's `predictor.predict(...)`.

use crate::error::{Result, WorkshopError};
use crate::local;
use crate::session::{Backend, Session};
use crate::table::Table;
use ipinsights_client::{EndpointClient, Prediction};
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

/// A handle on an endpoint; plain data (name, URL, formats), safe to keep across cells.
#[derive(Debug, Clone)]
pub struct Predictor {
    session: Session,
    /// The endpoint's name (`predictor.endpoint`).
    pub endpoint: String,
    url: String,
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
    /// A predictor on a local endpoint.
    pub(crate) fn local(session: &Session, endpoint: &str, url: &str) -> Self {
        Predictor {
            session: session.clone(),
            endpoint: endpoint.into(),
            url: url.into(),
            serializer: Serializer::Csv,
            deserializer: Deserializer::Json,
        }
    }

    /// A predictor on a SageMaker endpoint.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub(crate) fn aws(session: &Session, endpoint: &str) -> Self {
        Predictor { url: String::new(), ..Predictor::local(session, endpoint, "") }
    }

    /// A predictor on an existing endpoint (`Predictor(endpoint_name)`).
    pub fn attach(session: &Session, endpoint: &str) -> Result<Self> {
        match session.backend {
            Backend::Local => {
                let record = local::endpoint::find(&session.local_root, endpoint)?;
                Ok(Predictor::local(session, endpoint, &record.url))
            }
            Backend::Aws => {
                with_aws!(crate::aws_backend::describe(session, endpoint).map(|()| Predictor::aws(session, endpoint)))
            }
        }
    }

    /// Scores pairs (any number: large inputs are split into requests under 6 MiB and sent concurrently).
    pub fn predict<S: AsRef<str>>(&self, pairs: &[(S, IpAddr)]) -> Result<Predictions> {
        if self.session.backend == Backend::Aws {
            return with_aws!(self.predict_aws(pairs));
        }
        let client = EndpointClient::new(format!("{}/endpoints/{}", self.url, self.endpoint))
            .with_request_format(self.serializer.format());
        let predictions = client
            .predict_as(pairs, self.deserializer.format())
            .map_err(|e| WorkshopError::context(format!("endpoint {}", self.endpoint), e))?;
        let pairs = pairs.iter().map(|(e, ip)| (e.as_ref().to_string(), *ip)).collect();
        Ok(Predictions { pairs, predictions })
    }

    /// InvokeEndpoint on SageMaker, one request per body under the 6 MiB limit.
    #[cfg(feature = "aws")]
    fn predict_aws<S: AsRef<str>>(&self, pairs: &[(S, IpAddr)]) -> Result<Predictions> {
        use ipinsights_protocol::{decode_response, split_requests, MAX_BODY_BYTES};
        let (request, response) = (self.serializer.format(), self.deserializer.format());
        let chunks = split_requests(request, pairs, MAX_BODY_BYTES).map_err(|e| WorkshopError::new(e.to_string()))?;
        let mut predictions = Vec::with_capacity(pairs.len());
        for chunk in chunks {
            let body = crate::aws_backend::invoke(
                &self.session,
                &self.endpoint,
                chunk.body,
                request.content_type(),
                &response.accept(),
            )?;
            let decoded = decode_response(response.kind, &body)
                .map_err(|e| WorkshopError::context(format!("endpoint {}", self.endpoint), e))?;
            if decoded.len() != chunk.rows.len() {
                return Err(WorkshopError::new(format!(
                    "endpoint {} answered {} predictions for {} rows",
                    self.endpoint,
                    decoded.len(),
                    chunk.rows.len()
                )));
            }
            predictions.extend(decoded);
        }
        let pairs = pairs.iter().map(|(e, ip)| (e.as_ref().to_string(), *ip)).collect();
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
        match self.session.backend {
            Backend::Local => local::endpoint::delete(&self.session.local_root, &self.endpoint)?,
            Backend::Aws => with_aws!(crate::aws_backend::delete(&self.session, &self.endpoint))?,
        }
        println!("Deleted endpoint {}", self.endpoint);
        Ok(())
    }
}
