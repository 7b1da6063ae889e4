//! Berth's HTTP front ends. `oci` serves the OCI Distribution API under `/v2/`; `aws` serves the
//! AWS protocols on `POST /` (SigV4, then `ecr` by the signing service). Every handler translates
//! the request, calls `berth-registry`, and maps its errors to the protocol's.
//!
//! This crate holds no SQL and no storage logic.

pub mod admin;
pub mod authz;
pub mod aws;
pub mod ecr;
mod health;
pub mod iam;
pub mod oci;
pub mod operations;
pub mod query;
pub mod sts;
mod unread_body;
mod watermark;

pub use watermark::{ReceiveWatermark, MAX_READ_BUF};

use std::sync::Arc;

use axum::Router;
use berth_iam::Iam;
use berth_registry::Registry;
use http::{HeaderName, Request};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub iam: Arc<Iam>,
    /// How long a request body may send nothing before the request fails.
    pub body_idle_timeout: std::time::Duration,
    /// The AWS region the registry presents itself as.
    pub region: String,
    /// The domain of registry hosts: `<account>.dkr.ecr.<region>.<domain>`.
    pub domain: String,
    /// Whether the listener speaks TLS (the scheme of URLs the server hands out).
    pub tls: bool,
    /// The installation's own account, whose root administers every account.
    pub home_account: String,
    /// The garbage collector's grace period and upload TTL (for `berth admin gc` through the
    /// server).
    pub gc_grace: std::time::Duration,
    pub upload_ttl: std::time::Duration,
}

/// Seconds since the Unix epoch (token and signature expiry, SigV4's clock window).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application: routes, request IDs and request tracing. Authorization headers
/// and other secrets are never recorded.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(oci::router())
        .merge(aws::router())
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
