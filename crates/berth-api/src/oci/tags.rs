//! `GET /v2/<name>/tags/list?n=&last=`.

use axum::response::Response;
use berth_registry::Registry;
use serde_json::json;

use super::{listing, page_param, repo_name, Caller, OciError};

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
    Ok(listing(
        &format!("/v2/{name_str}/tags/list"),
        n,
        page,
        json!({ "name": name_str }),
        "tags",
    ))
}
