//! `GET /v2/<name>/tags/list?n=&last=`.

use axum::response::Response;
use berth_registry::Registry;
use serde::Serialize;

use super::{listing, page_param, repo_name, Caller, OciError};

/// The spec's tag list: `{"name", "tags"}`.
#[derive(Serialize)]
struct TagList<'a> {
    name: &'a str,
    tags: Vec<String>,
}

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
    let cursor = page.items.last().cloned();
    listing(
        &format!("/v2/{name_str}/tags/list"),
        n,
        page.more,
        cursor,
        TagList {
            name: name_str,
            tags: page.items,
        },
    )
}
