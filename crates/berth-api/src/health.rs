//! `GET /healthz` (the process answers) and `GET /readyz` (the metadata database and the blob
//! store answer), without authentication, for load balancers and orchestrators.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use serde::Serialize;

use crate::state::AppState;

/// What the last probe found (a process serves one registry).
static WAS_READY: AtomicBool = AtomicBool::new(true);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// `/healthz`: `{"status": "ok"}`.
#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// `/readyz`: the status, and what each dependency answered.
#[derive(Serialize)]
struct Readiness<'a> {
    status: &'static str,
    database: Probe<'a>,
    store: Probe<'a>,
}

/// `"ok"`, or `{"error": …}`.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Probe<'a> {
    Ok,
    Error(&'a str),
}

impl<'a> From<&'a Result<(), String>> for Probe<'a> {
    fn from(r: &'a Result<(), String>) -> Self {
        match r {
            Ok(()) => Probe::Ok,
            Err(e) => Probe::Error(e),
        }
    }
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(Health { status: "ok" })).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let (database, store) = state.registry.readiness().await;
    let ready = database.is_ok() && store.is_ok();
    // logged when readiness changes, not at every probe
    if WAS_READY.swap(ready, Ordering::Relaxed) != ready {
        if ready {
            tracing::info!("ready again");
        } else {
            tracing::warn!(database = ?database, store = ?store, "not ready");
        }
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ok" } else { "unavailable" },
            database: (&database).into(),
            store: (&store).into(),
        }),
    )
        .into_response()
}
