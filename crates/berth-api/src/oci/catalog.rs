//! `GET /v2/_catalog?n=&last=`: the repositories of the caller's registry.

use axum::response::Response;
use berth_registry::Registry;
use serde_json::json;

use super::{listing, page_param, Caller, OciError};

pub(crate) async fn list(
    reg: &Registry,
    caller: &Caller,
    n: Option<&str>,
    last: Option<&str>,
) -> Result<Response, OciError> {
    let n = page_param(n)?;
    let page = reg.catalog(&caller.account, n, last).await?;
    Ok(listing("/v2/_catalog", n, page, json!({}), "repositories"))
}
