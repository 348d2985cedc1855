//! `predict_via` through an in-process transport as strict as SageMaker about sizes: every request and every
//! answer under 6 MiB, at most four requests in flight, answers in input order, miscounts and failures surfaced.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ipinsights_client::{predict_via, predict_with, ClientError, SplitLimits, Transport, MAX_CONCURRENT_REQUESTS};
use ipinsights_protocol::{
    decode_request, encode_response, max_rows_per_response, Prediction, RequestFormat, ResponseFormat, ResponseKind,
    MAX_BODY_BYTES, MAX_RESPONSE_BYTES,
};

/// Every number in the longest text, so answers are as large as they can be.
const LONGEST: f32 = -1.000_000_3e-6;

/// Scores the entity `e{n}` as `n` (so order is checkable), with `dim`-long embeddings when asked.
struct Emulated {
    dim: usize,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    pause: Duration,
    largest: Mutex<(usize, usize)>,
    drop_one_on_call: Option<usize>,
    fail_on_call: Option<usize>,
    no_embeddings: bool,
}

impl Emulated {
    fn new(dim: usize) -> Self {
        Self {
            dim,
            calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            pause: Duration::ZERO,
            largest: Mutex::new((0, 0)),
            drop_one_on_call: None,
            fail_on_call: None,
            no_embeddings: false,
        }
    }
}

fn status(status: u16, message: String) -> ClientError {
    ClientError::Status { status, error_type: Some("ValidationError".into()), message }
}

impl Transport for Emulated {
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(self.pause);
        let answered = (|| {
            if body.len() > MAX_BODY_BYTES {
                return Err(status(413, format!("request of {} bytes", body.len())));
            }
            if self.fail_on_call == Some(call) {
                return Err(status(500, "boom".into()));
            }
            let format = RequestFormat::from_content_type(content_type).unwrap();
            let accept = ResponseFormat::from_accept(Some(accept)).unwrap();
            let pairs = decode_request(format, &body).map_err(|e| status(400, e.to_string()))?;
            let mut predictions: Vec<Prediction> = pairs
                .iter()
                .map(|(entity, _)| {
                    let n: f32 = entity[1..].parse().unwrap();
                    let embedding = (accept.verbose && !self.no_embeddings).then(|| vec![LONGEST; self.dim]);
                    Prediction { dot_product: n, entity_embedding: embedding.clone(), ip_embedding: embedding }
                })
                .collect();
            if self.drop_one_on_call == Some(call) {
                predictions.pop();
            }
            let answer = encode_response(accept, &predictions);
            if answer.len() > MAX_RESPONSE_BYTES {
                return Err(status(424, format!("answer of {} bytes", answer.len())));
            }
            let mut largest = self.largest.lock().unwrap();
            *largest = (largest.0.max(body.len()), largest.1.max(answer.len()));
            Ok(answer)
        })();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        answered
    }
}

fn rows(n: usize, entity_len: usize) -> Vec<(String, IpAddr)> {
    (0..n)
        .map(|i| (format!("e{i:0width$}", width = entity_len.saturating_sub(1)), IpAddr::from([10, 0, 0, 1])))
        .collect()
}

fn in_order(predictions: &[Prediction], n: usize) {
    assert_eq!(predictions.len(), n);
    for (i, p) in predictions.iter().enumerate() {
        assert_eq!(p.dot_product, i as f32, "prediction {i} out of place");
    }
}

#[test]
fn verbose_answers_stay_under_6_mib_whatever_the_vector_dim() {
    for dim in [4, 128, 1000, 4096] {
        for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
            let transport = Emulated::new(dim);
            let format = ResponseFormat::verbose(kind);
            let n = 3 * max_rows_per_response(format, dim, MAX_RESPONSE_BYTES) + 7;
            let predictions = predict_via(&transport, &rows(n, 6), RequestFormat::Csv, format).unwrap();
            in_order(&predictions, n);
            assert!(predictions.iter().all(|p| p.ip_embedding.as_ref().is_some_and(|e| e.len() == dim)));
            let (_, largest_answer) = *transport.largest.lock().unwrap();
            assert!(largest_answer > MAX_RESPONSE_BYTES / 2, "dim {dim} {kind:?}: requests far smaller than needed");
        }
    }
}

#[test]
fn plain_answers_are_bounded_by_rows_and_requests_by_bytes() {
    let transport = Emulated::new(0);
    // Short rows: one 6 MiB request of them would ask for a 17 MB answer.
    let n = 700_000;
    let predictions = predict_via(&transport, &rows(n, 7), RequestFormat::Csv, ResponseFormat::default()).unwrap();
    in_order(&predictions, n);
    // Long entity names: the request's bytes are the limit.
    let transport = Emulated::new(0);
    let long = rows(20_000, 1000);
    let predictions = predict_via(&transport, &long, RequestFormat::JsonLines, ResponseFormat::default()).unwrap();
    in_order(&predictions, long.len());
    let (largest_request, _) = *transport.largest.lock().unwrap();
    assert!(largest_request > MAX_BODY_BYTES - 2000, "{largest_request}");
}

/// Requests of about 1,000 bytes: many of them, cheaply.
fn small_requests() -> SplitLimits {
    SplitLimits { max_body_bytes: 1000, ..SplitLimits::default() }
}

#[test]
fn at_most_four_requests_are_in_flight() {
    let transport = Emulated { pause: Duration::from_millis(30), ..Emulated::new(0) };
    let input = rows(2000, 7);
    let predictions =
        predict_with(&transport, &input, RequestFormat::Csv, ResponseFormat::default(), small_requests()).unwrap();
    in_order(&predictions, input.len());
    assert!(transport.calls.load(Ordering::SeqCst) > 20);
    assert_eq!(transport.most_in_flight.load(Ordering::SeqCst), MAX_CONCURRENT_REQUESTS);
}

#[test]
fn miscounts_failures_and_missing_embeddings_are_errors() {
    let input = rows(2000, 7);
    let short = Emulated { drop_one_on_call: Some(3), ..Emulated::new(0) };
    let e = predict_with(&short, &input, RequestFormat::Csv, ResponseFormat::default(), small_requests()).unwrap_err();
    assert!(matches!(e, ClientError::Count { got, sent } if got + 1 == sent), "{e}");

    let failing = Emulated { fail_on_call: Some(1), pause: Duration::from_millis(20), ..Emulated::new(0) };
    let e =
        predict_with(&failing, &input, RequestFormat::Csv, ResponseFormat::default(), small_requests()).unwrap_err();
    assert!(matches!(e, ClientError::Status { status: 500, .. }), "{e}");
    assert!(failing.calls.load(Ordering::SeqCst) < 10, "the first error stops the rest");

    let bare = Emulated { no_embeddings: true, ..Emulated::new(16) };
    let e = predict_via(&bare, &input[..100], RequestFormat::Csv, ResponseFormat::verbose(ResponseKind::Json));
    assert!(matches!(e, Err(ClientError::MissingEmbeddings)), "{e:?}");

    let idle = Emulated::new(0);
    assert!(predict_via(&idle, &rows(0, 3), RequestFormat::Csv, ResponseFormat::default()).unwrap().is_empty());
    assert_eq!(idle.calls.load(Ordering::SeqCst), 0);
}
