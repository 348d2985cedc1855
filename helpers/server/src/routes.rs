//! The HTTP routes of an endpoint.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::invoke::{invoke, InvokeLimits};
use crate::{ApiError, EndpointState, ServerConfig};

#[derive(Clone)]
struct App {
    endpoint: EndpointState,
    limits: Arc<InvokeLimits>,
}

/// The endpoint's routes: `GET /ping`, `POST /invocations`, `POST /endpoints/{name}/invocations`, with
/// `config`'s body and response limits and invocation timeouts (connection timeouts belong to [`crate::serve`]).
pub fn router(state: EndpointState, config: &ServerConfig) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(container_invocations))
        .route("/endpoints/{name}/invocations", post(runtime_invocations))
        .fallback(no_route)
        .with_state(App { endpoint: state, limits: Arc::new(InvokeLimits::from(config)) })
}

/// 200 once the model is loaded, 503 before.
async fn ping(State(app): State<App>) -> StatusCode {
    if app.endpoint.scorer().is_some() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn container_invocations(State(app): State<App>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    invoke(&app.endpoint, &app.limits, &parts.headers, body).await.unwrap_or_else(IntoResponse::into_response)
}

async fn runtime_invocations(State(app): State<App>, Path(name): Path<String>, request: Request) -> Response {
    if name != app.endpoint.name() {
        let message = format!("Endpoint {name} not found (this server serves endpoint {})", app.endpoint.name());
        return ApiError::validation(StatusCode::NOT_FOUND, message).into_response();
    }
    container_invocations(State(app), request).await
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::validation(StatusCode::NOT_FOUND, format!("no route for {method} {}", uri.path()))
}
