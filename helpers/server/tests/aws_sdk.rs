//! The runtime API path through the real `aws-sdk-sagemakerruntime` client, pointed at the local
//! server with `endpoint_url`: what works against SageMaker works here unchanged.

#[allow(dead_code)]
#[path = "endpoint/common.rs"]
mod common;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sagemakerruntime::config::Credentials;
use aws_sdk_sagemakerruntime::primitives::Blob;
use aws_sdk_sagemakerruntime::Client;
use ipinsights_protocol::{decode_response, encode_request, RequestFormat, ResponseKind};

use common::{expected, model, rows, start, NAME};

async fn client(url: String) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDLOCALTEST", "local-test-secret", None, None, "test"))
        .endpoint_url(url)
        .load()
        .await;
    Client::new(&config)
}

#[tokio::test]
async fn invoke_endpoint_scores_like_in_process() {
    let server = start();
    let client = client(server.url()).await;
    let rows = rows(100, 5);
    for (format, accept, kind) in [
        (RequestFormat::Csv, "application/json", ResponseKind::Json),
        (RequestFormat::Json, "application/jsonlines; verbose=True", ResponseKind::JsonLines),
    ] {
        let out = client
            .invoke_endpoint()
            .endpoint_name(NAME)
            .content_type(format.content_type())
            .accept(accept)
            .body(Blob::new(encode_request(format, &rows)))
            .send()
            .await
            .unwrap();
        assert_eq!(out.content_type(), Some(kind.content_type()));
        let predictions = decode_response(kind, out.body().unwrap().as_ref()).unwrap();
        let scores: Vec<f32> = predictions.iter().map(|p| p.dot_product).collect();
        assert_eq!(scores, expected(&rows), "{format:?}");
        if kind == ResponseKind::JsonLines {
            assert_eq!(predictions[0].ip_embedding.as_ref().unwrap(), &model().ip_embedding(rows[0].1));
        }
    }
}

#[tokio::test]
async fn errors_surface_as_validation_errors_with_the_message() {
    let server = start();
    let client = client(server.url()).await;
    let bad_row = client
        .invoke_endpoint()
        .endpoint_name(NAME)
        .content_type("text/csv")
        .body(Blob::new("user_1,10.1.7.1\nuser_2,10.1.7\n"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(bad_row.is_validation_error(), "{bad_row:?}");
    let message = bad_row.meta().message().unwrap_or_default();
    assert!(message.contains("row 2") && message.contains("10.1.7"), "{message}");

    let unknown = client
        .invoke_endpoint()
        .endpoint_name("other-endpoint")
        .content_type("text/csv")
        .body(Blob::new("user_1,10.1.7.1\n"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(unknown.is_validation_error(), "{unknown:?}");
    assert!(unknown.meta().message().unwrap_or_default().contains("Endpoint other-endpoint not found"));

    let unsupported = client
        .invoke_endpoint()
        .endpoint_name(NAME)
        .content_type("text/plain")
        .body(Blob::new("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(unsupported.is_validation_error(), "{unsupported:?}");
    assert_eq!(unsupported.meta().code(), Some("ValidationError"));
}
