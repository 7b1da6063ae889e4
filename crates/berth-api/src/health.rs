//! `GET /healthz` (the process answers) and `GET /readyz` (the metadata database and the blob
//! store answer), without authentication, for load balancers and orchestrators.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::json;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let (database, store) = state.registry.readiness().await;
    let word = |r: &Result<(), String>| match r {
        Ok(()) => json!("ok"),
        Err(e) => json!({ "error": e }),
    };
    let ready = database.is_ok() && store.is_ok();
    if !ready {
        tracing::warn!(database = ?database, store = ?store, "not ready");
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ready { "ok" } else { "unavailable" },
            "database": word(&database),
            "store": word(&store),
        })),
    )
        .into_response()
}
