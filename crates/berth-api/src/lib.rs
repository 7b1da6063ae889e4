//! Berth's HTTP front ends. `oci` serves the OCI Distribution API under `/v2/`; `aws` serves the
//! AWS protocols on `POST /` (SigV4, then `ecr` by the signing service). Every handler translates
//! the request, calls `berth-registry`, and maps its errors to the protocol's.
//!
//! This crate holds no SQL and no storage logic.

pub mod admin;
pub mod authz;
pub mod aws;
#[cfg(test)]
mod docs;
pub mod ecr;
pub mod ecr_public;
mod endpoint;
mod health;
pub mod iam;
pub mod oci;
pub mod operations;
pub mod query;
pub mod secretsmanager;
mod state;
pub mod sts;
mod unread_body;
mod watermark;

pub use state::{now_secs, AppState};
pub use watermark::{ReceiveWatermark, MAX_READ_BUF};

use axum::Router;
use http::{HeaderName, Request};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application: routes, request IDs and request tracing. Authorization headers
/// and other secrets are never recorded.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(oci::router())
        .merge(endpoint::router())
        .with_state(state)
        .layer(axum::middleware::from_fn(
            unread_body::keep_connection_usable,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<axum::body::Body>| {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO))
            // every response is logged above, with its status; what made a 5xx is logged
            // where it happened, once (a full disk is not an error line per request)
            .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
