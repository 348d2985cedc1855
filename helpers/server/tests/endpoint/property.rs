//! Seeded random inputs in random formats: server scores equal in-process scores.

use std::net::IpAddr;

use ipinsights_client::EndpointClient;
use ipinsights_engine::tuples::normalize_entity;
use ipinsights_protocol::{decode_response, encode_request, RequestFormat, ResponseFormat, ResponseKind};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::common::{model, start};

/// A random entity, often with whitespace around it (which the entity rule trims) but never only whitespace.
fn random_entity(rng: &mut StdRng) -> String {
    const PIECES: [&str; 12] =
        ["user_", "AIDA", "a,b", "q\"t", " sp", "ü", "日本", "\n", "x", "7", "role:session", "\t"];
    let n = rng.gen_range(0..5);
    let mut entity: String = (0..n).map(|_| *PIECES.choose(rng).unwrap()).collect();
    entity.push_str(PIECES[rng.gen_range(0..4)]);
    entity
}

fn random_ip(rng: &mut StdRng) -> IpAddr {
    if rng.gen_bool(0.2) {
        IpAddr::from(rng.gen::<[u16; 8]>())
    } else {
        IpAddr::from(rng.gen::<[u8; 4]>())
    }
}

#[test]
fn random_rows_score_the_same_over_http() {
    let server = start();
    let client = EndpointClient::new(server.url());
    let mut rng = StdRng::seed_from_u64(0x5eed_u64);
    let formats = [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines];
    for case in 0..60 {
        let n = rng.gen_range(1..200);
        let rows: Vec<(String, IpAddr)> = (0..n).map(|_| (random_entity(&mut rng), random_ip(&mut rng))).collect();
        let format = *formats.choose(&mut rng).unwrap();
        let kind = if rng.gen() { ResponseKind::Json } else { ResponseKind::JsonLines };
        let accept = ResponseFormat::plain(kind).accept();
        let body = client.invoke(&encode_request(format, &rows), format.content_type(), &accept).unwrap();
        let got: Vec<f32> = decode_response(kind, &body).unwrap().into_iter().map(|p| p.dot_product).collect();
        let trimmed: Vec<(&str, IpAddr)> = rows.iter().map(|(e, ip)| (normalize_entity(e), *ip)).collect();
        let want = model().score_pairs(&trimmed);
        assert_eq!(got, want, "case {case}: {format:?} -> {kind:?}, rows {rows:?}");
    }
}
