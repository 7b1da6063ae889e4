//! `GET /v2/_catalog?n=&last=`: the repositories of the caller's registry that it may
//! `ecr:DescribeRepositories`. As AWS authorises a listing, the caller must be allowed
//! `ecr:DescribeRepositories` on the registry's `repository/*` (else 403 `DENIED`); each
//! repository's own decision then withholds what an explicit deny covers.

use axum::response::Response;
use serde::Serialize;

use super::{listing, page_param, Caller, OciError};
use crate::authz::Subject;
use crate::state::AppState;

/// The spec's catalog: `{"repositories"}`.
#[derive(Serialize)]
struct Catalog {
    repositories: Vec<String>,
}

pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    subject: &Subject,
    n: Option<&str>,
    last: Option<&str>,
) -> Result<Response, OciError> {
    let n = page_param(n)?;
    // as DescribeRepositories: allowed on the registry's `repository/*` first, then narrowed
    super::authorize(
        state,
        subject,
        "ecr:DescribeRepositories",
        &caller.account,
        "*",
    )
    .await?;
    let mut page = state.registry.catalog(&caller.account, n, last).await?;
    // a page keeps its place in the listing (and its Link) even when some names are withheld
    let cursor = page.items.last().cloned();
    let names: Vec<&str> = page.items.iter().map(String::as_str).collect();
    let decisions = subject
        .decide_repositories(state, "ecr:DescribeRepositories", &caller.account, &names)
        .await
        .map_err(super::authorization_failed)?;
    let allowed: Vec<String> = std::mem::take(&mut page.items)
        .into_iter()
        .zip(decisions)
        .filter(|(_, d)| d.allowed())
        .map(|(name, _)| name)
        .collect();
    listing(
        "/v2/_catalog",
        n,
        page.more,
        cursor,
        Catalog {
            repositories: allowed,
        },
    )
}
