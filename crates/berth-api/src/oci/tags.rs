//! `GET /v2/<name>/tags/list?n=&last=`.

use axum::body::Body;
use axum::response::Response;
use berth_registry::Registry;
use http::StatusCode;
use serde_json::json;

use super::{finish, next_link, page_param, repo_name, respond, Caller, OciError};

pub(crate) async fn list(
    reg: &Registry,
    caller: &Caller,
    name_str: &str,
    n: Option<&str>,
    last: Option<&str>,
) -> Result<Response, OciError> {
    let name = repo_name(name_str)?;
    let n = page_param(n)?;
    let page = reg.tags(&caller.account, &name, n, last).await?;
    let mut b = respond(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/json");
    if page.more {
        if let Some(last) = page.items.last() {
            let n = n
                .unwrap_or(berth_registry::DEFAULT_PAGE)
                .min(berth_registry::MAX_PAGE);
            b = b.header(
                http::header::LINK,
                next_link(&format!("/v2/{name_str}/tags/list"), n, last),
            );
        }
    }
    let body = json!({ "name": name_str, "tags": page.items }).to_string();
    Ok(finish(b, Body::from(body)))
}
