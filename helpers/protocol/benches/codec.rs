//! Codec throughput: CSV request decoding and JSON response encoding, rows per second on one core.
//! Run with `cargo bench -p ipinsights-protocol`.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Instant;

use ipinsights_protocol::*;

fn rate(label: &str, rows: usize, reps: usize, mut f: impl FnMut()) {
    f(); // warm up
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{label:<44} {:>8.2} M rows/s", (rows * reps) as f64 / secs / 1e6);
}

fn main() {
    let n = 1_000_000;
    let rows: Vec<(String, IpAddr)> = (0..n)
        .map(|i: usize| {
            (
                format!("AIDA{:012}", i % 20_000),
                IpAddr::from([(i % 223) as u8 + 1, (i >> 3) as u8, (i >> 11) as u8, i as u8]),
            )
        })
        .collect();
    for format in [RequestFormat::Csv, RequestFormat::Json, RequestFormat::JsonLines] {
        let body = encode_request(format, &rows);
        rate(&format!("decode {:?} ({} MB)", format, body.len() / 1_000_000), n, 3, || {
            black_box(decode_request(format, black_box(&body)).unwrap());
        });
    }
    rate("split CSV into 6 MiB bodies", n, 3, || {
        black_box(split_requests(RequestFormat::Csv, &rows, MAX_BODY_BYTES).unwrap());
    });
    let preds: Vec<Prediction> = (0..n).map(|i| Prediction::score(i as f32 * 0.37 - 1234.5)).collect();
    for kind in [ResponseKind::Json, ResponseKind::JsonLines] {
        let format = ResponseFormat::plain(kind);
        rate(&format!("encode {kind:?} response"), n, 3, || {
            black_box(encode_response(format, black_box(&preds)));
        });
        let body = encode_response(format, &preds);
        rate(&format!("decode {kind:?} response"), n, 3, || {
            black_box(decode_response(kind, black_box(&body)).unwrap());
        });
    }
}
