//! The blocking client: automatic splitting, concurrency, order, verbose, errors.

use ipinsights_client::{ClientError, EndpointClient, ResponseFormat, ResponseKind};
use ipinsights_protocol::{split_requests, RequestFormat, MAX_BODY_BYTES};

use crate::common::{expected, model, rows, start, NAME};

#[test]
fn inputs_over_6_mib_are_split_and_scored_like_in_process() {
    let server = start();
    let rows = rows(400_000, 2);
    let bodies = split_requests(RequestFormat::Csv, &rows, MAX_BODY_BYTES).unwrap();
    assert!(bodies.len() >= 2, "the input must need several requests ({} bodies)", bodies.len());
    let want = expected(&rows);
    let scores = |client: EndpointClient| -> Vec<f32> {
        client.predict(&rows).unwrap().into_iter().map(|p| p.dot_product).collect()
    };
    assert_eq!(scores(EndpointClient::new(server.url())), want);
    let many_small = EndpointClient::new(format!("{}/endpoints/{NAME}", server.url())).with_max_body_bytes(64 << 10);
    assert_eq!(scores(many_small), want);
}

#[test]
fn verbose_predictions_carry_embeddings() {
    let server = start();
    let rows = rows(300, 3);
    let client = EndpointClient::new(server.url()).with_max_body_bytes(2000);
    let predictions = client.predict_as(&rows, ResponseFormat::verbose(ResponseKind::JsonLines)).unwrap();
    let model = model();
    assert_eq!(predictions.len(), rows.len());
    for (p, (entity, ip)) in predictions.iter().zip(&rows) {
        assert_eq!(p.dot_product, model.score_pairs(&[(entity, *ip)])[0]);
        assert_eq!(p.entity_embedding.as_ref().unwrap(), &model.entity_embedding(entity));
        assert_eq!(p.ip_embedding.as_ref().unwrap(), &model.ip_embedding(*ip));
    }
}

#[test]
fn large_verbose_inputs_are_split_by_rows_too() {
    let server = start();
    let rows = rows(5000, 6);
    let predictions =
        EndpointClient::new(server.url()).predict_as(&rows, ResponseFormat::verbose(ResponseKind::Json)).unwrap();
    let scores: Vec<f32> = predictions.iter().map(|p| p.dot_product).collect();
    assert_eq!(scores, expected(&rows));
    assert!(predictions.iter().all(|p| p.ip_embedding.as_ref().is_some_and(|e| e.len() == 16)));
}

#[test]
fn no_rows_send_nothing_and_server_errors_surface() {
    let server = start();
    let client = EndpointClient::new(server.url());
    assert!(client.predict(&Vec::<(String, std::net::IpAddr)>::new()).unwrap().is_empty());
    let err = client.invoke(b"user_1,10.1.7.1\nuser_2,10.1.7\n", "text/csv", "application/json").unwrap_err();
    match err {
        ClientError::Status { status: 400, error_type: Some(t), message } => {
            assert_eq!(t, "ValidationError");
            assert!(message.contains("row 2"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let wrong = EndpointClient::new(format!("{}/endpoints/nope", server.url()));
    assert!(matches!(wrong.predict(&rows(3, 4)), Err(ClientError::Status { status: 404, .. })));
}
