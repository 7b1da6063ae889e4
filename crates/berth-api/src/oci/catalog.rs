//! `GET /v2/_catalog?n=&last=`: the repositories of the caller's registry that it may
//! `ecr:DescribeRepositories`.

use axum::response::Response;
use berth_iam::policy::Decision;
use serde_json::json;

use super::{listing_from, page_param, Caller, OciError};
use crate::authz::Subject;
use crate::AppState;

pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    subject: &Subject,
    n: Option<&str>,
    last: Option<&str>,
) -> Result<Response, OciError> {
    let n = page_param(n)?;
    let mut page = state.registry.catalog(&caller.account, n, last).await?;
    // a page keeps its place in the listing (and its Link) even when some names are withheld
    let cursor = page.items.last().cloned();
    let names: Vec<&str> = page.items.iter().map(String::as_str).collect();
    state
        .iam
        .prefetch_repository_policies(&caller.account, &names)
        .await
        .map_err(super::authorization_failed)?;
    let mut allowed = Vec::with_capacity(page.items.len());
    for name in std::mem::take(&mut page.items) {
        match subject
            .decide(
                state,
                "ecr:DescribeRepositories",
                &caller.account,
                Some(&name),
            )
            .await
        {
            Ok(Decision::Allow) => allowed.push(name),
            Ok(_) => {}
            Err(e) => return Err(super::authorization_failed(e)),
        }
    }
    page.items = allowed;
    Ok(listing_from(
        "/v2/_catalog",
        n,
        page,
        cursor,
        json!({}),
        "repositories",
    ))
}
