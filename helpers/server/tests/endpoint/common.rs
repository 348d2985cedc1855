//! Shared helpers: a tiny model trained with the engine, servers on 127.0.0.1, raw HTTP requests.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use ipinsights_engine::{train, IpInsightsParams, Model, TrainOptions, Tuple};
use ipinsights_server::{spawn_endpoint, EndpointHandle, EndpointState, ServerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The endpoint name every test server uses.
pub const NAME: &str = "test-endpoint";

/// A small model trained once per test binary: 40 users, each seen from two /24 networks.
pub fn model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let mut rng = StdRng::seed_from_u64(7);
            let tuples: Vec<Tuple> = (0..40u8)
                .flat_map(|user| (0..30).map(move |i| (user, i)))
                .map(|(user, i)| {
                    let net = if i % 3 == 0 { [172, 16, user, 0] } else { [10, user, 7, 0] };
                    let ip = IpAddr::from([net[0], net[1], net[2], rng.gen()]);
                    Tuple::new(format!("user_{user}"), ip)
                })
                .collect();
            let hp = IpInsightsParams::new(100, 16).epochs(3).mini_batch_size(100).learning_rate(0.01).check().unwrap();
            let options = TrainOptions { threads: 1, ..TrainOptions::default() };
            Arc::new(train(&hp, &tuples, None, &options, &mut |_| {}).unwrap().model)
        })
        .clone()
}

/// A server for [`model`] on 127.0.0.1 with a free port.
pub fn start() -> EndpointHandle {
    spawn_endpoint(&ServerConfig::localhost(0), EndpointState::ready(NAME, model())).unwrap()
}

/// `n` seeded random rows: known users and others, IPv4 (mostly in the users' networks) and IPv6.
pub fn rows(n: usize, seed: u64) -> Vec<(String, IpAddr)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let user: u8 = rng.gen_range(0..50);
            let ip = match rng.gen_range(0..10) {
                0 => IpAddr::from(rng.gen::<[u16; 8]>()),
                1..=3 => IpAddr::from(rng.gen::<[u8; 4]>()),
                _ => IpAddr::from([10, user, 7, rng.gen()]),
            };
            (format!("user_{user}"), ip)
        })
        .collect()
}

/// The in-process scores of `rows`.
pub fn expected(rows: &[(String, IpAddr)]) -> Vec<f32> {
    model().score_pairs(rows)
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub error_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        let json: serde_json::Value = serde_json::from_slice(&self.body).expect("error bodies are JSON");
        assert_eq!(json["__type"].as_str(), self.error_type.as_deref(), "header and body agree on the type");
        json["message"].as_str().expect("a message").to_string()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (content_type, error_type) = (header("content-type"), header("x-amzn-errortype"));
    let body = response.body_mut().with_config().limit(u64::MAX).read_to_vec().unwrap();
    Answer { status: response.status().as_u16(), content_type, error_type, body }
}

/// POSTs `body` to `url` with optional `Content-Type` and `Accept` headers.
pub fn post(url: &str, content_type: Option<&str>, accept: Option<&str>, body: &[u8]) -> Answer {
    let mut request = agent().post(url);
    if let Some(ct) = content_type {
        request = request.header("Content-Type", ct);
    }
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    answer(request.send(body).unwrap())
}

/// GETs `url`.
pub fn get(url: &str) -> Answer {
    answer(agent().get(url).call().unwrap())
}

/// POSTs `body` as a chunked stream (no `Content-Length`).
pub fn post_chunked(url: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let reader = std::io::Cursor::new(body);
    let request = agent().post(url).header("Content-Type", content_type);
    answer(request.send(ureq::SendBody::from_owned_reader(reader)).unwrap())
}
