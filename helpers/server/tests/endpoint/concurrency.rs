//! Many clients at once: every answer correct; large requests do not starve small ones.

use ipinsights_client::EndpointClient;
use ipinsights_protocol::{encode_request, max_rows_per_response, RequestFormat, ResponseFormat, MAX_RESPONSE_BYTES};

use crate::common::{expected, rows, start};

#[test]
fn many_concurrent_clients_all_get_their_own_answers() {
    let server = start();
    let url = server.url();
    std::thread::scope(|s| {
        for t in 0..32u64 {
            let url = url.clone();
            s.spawn(move || {
                let client = EndpointClient::new(url);
                for i in 0..40 {
                    let rows = rows(1 + (t as usize * 7 + i) % 20, t * 1000 + i as u64);
                    let got: Vec<f32> = client.predict(&rows).unwrap().into_iter().map(|p| p.dot_product).collect();
                    assert_eq!(got, expected(&rows), "client {t} request {i}");
                }
            });
        }
    });
}

#[test]
fn small_requests_are_answered_while_large_ones_are_scored() {
    let server = start();
    // As many rows as an answer under 6 MiB can always hold.
    let most = max_rows_per_response(ResponseFormat::default(), 0, MAX_RESPONSE_BYTES);
    let big_rows = rows(most, 9);
    let big = encode_request(RequestFormat::Csv, &big_rows);
    assert!(big.len() > 3 << 20 && big.len() <= ipinsights_protocol::MAX_BODY_BYTES, "{} bytes", big.len());
    let small_rows = rows(1, 10);
    let small_done_during_big = std::thread::scope(|s| {
        let large = s.spawn(|| {
            let client = EndpointClient::new(server.url());
            for _ in 0..3 {
                let body = client.invoke(&big, "text/csv", "application/json").unwrap();
                assert!(body.len() > big_rows.len() * 10);
            }
        });
        let client = EndpointClient::new(server.url());
        let mut done = 0;
        while !large.is_finished() {
            let got = client.predict(&small_rows).unwrap();
            assert_eq!(got[0].dot_product, expected(&small_rows)[0]);
            done += 1;
        }
        done
    });
    assert!(small_done_during_big >= 5, "only {small_done_during_big} small requests completed during 3 large ones");
}
