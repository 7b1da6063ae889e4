//! `GET /v2/_catalog?n=&last=`: the repositories of the caller's registry.

use axum::body::Body;
use axum::response::Response;
use berth_registry::Registry;
use http::StatusCode;
use serde_json::json;

use super::{finish, next_link, page_param, respond, Caller, OciError};

pub(crate) async fn list(
    reg: &Registry,
    caller: &Caller,
    n: Option<&str>,
    last: Option<&str>,
) -> Result<Response, OciError> {
    let n = page_param(n)?;
    let page = reg.catalog(&caller.account, n, last).await?;
    let mut b = respond(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/json");
    if page.more {
        if let Some(last) = page.items.last() {
            let n = n
                .unwrap_or(berth_registry::DEFAULT_PAGE)
                .min(berth_registry::MAX_PAGE);
            b = b.header(http::header::LINK, next_link("/v2/_catalog", n, last));
        }
    }
    let body = json!({ "repositories": page.items }).to_string();
    Ok(finish(b, Body::from(body)))
}
