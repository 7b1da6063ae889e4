//! Start/StopReplicationBackfill, ListReplicationBackfills, DescribeReplicationBackfillResults.

use berth_meta::{Backfill, Destination, ReplicationStatus};
use serde::Serialize;
use serde_json::Value;

use super::ctx::Ctx;
use super::requests::{
    BackfillRequest, BackfillResultsRequest, ListReplicationBackfillsRequest,
    StartReplicationBackfillRequest,
};
use crate::aws::registry_error as core_error;
use crate::aws::{next_token, read_token, reply, AwsError, Epoch, Input};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DestinationOut {
    region: String,
    registry_id: String,
}

impl DestinationOut {
    fn of(d: &Destination) -> DestinationOut {
        DestinationOut {
            region: d.region.clone(),
            registry_id: d.account.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    total_replication_count: i64,
    completed_replication_count: i64,
    failed_replication_count: i64,
    failure_codes: Vec<String>,
}

impl Progress {
    fn of(b: &Backfill) -> Progress {
        Progress {
            total_replication_count: b.total,
            completed_replication_count: b.completed,
            failed_replication_count: b.failed,
            failure_codes: b.failure_codes.clone(),
        }
    }
}

/// The answer of Start- and StopReplicationBackfill.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BackfillOut<'a> {
    replication_backfill_id: &'a str,
    registry_id: &'a str,
    destination: DestinationOut,
    status: &'static str,
    started_at: Epoch,
}

impl<'a> BackfillOut<'a> {
    fn of(b: &'a Backfill) -> BackfillOut<'a> {
        BackfillOut {
            replication_backfill_id: &b.id,
            registry_id: &b.account_id,
            destination: DestinationOut::of(&b.destination),
            status: b.status.as_str(),
            started_at: Epoch(b.started_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    replication_backfill_id: &'a str,
    destination: DestinationOut,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<&'a str>,
    progress: Progress,
    started_at: Epoch,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<Epoch>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse<'a> {
    registry_id: &'a str,
    backfills: Vec<Summary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageIdOut {
    image_digest: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut {
    repository_name: String,
    image_id: ImageIdOut,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultsResponse<'a> {
    registry_id: &'a str,
    replication_backfill_id: &'a str,
    destination: DestinationOut,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<&'a str>,
    progress: Progress,
    results: Vec<ResultOut>,
    started_at: Epoch,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<Epoch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// The page of `all` that `op`'s `nextToken` starts (the first without one), at most `max`
/// (`default` when not given), and the token of the next page.
fn page<'a, T>(
    op: &str,
    all: &'a [T],
    token: Option<&str>,
    max: Option<i64>,
    default: usize,
) -> Result<(&'a [T], Option<String>), AwsError> {
    let start: usize = match token {
        None => 0,
        Some(t) => read_token(op, t)?.parse().map_err(|_| {
            AwsError::new(
                "InvalidParameterException",
                "Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a valid pagination token'",
            )
        })?,
    };
    let max = max.map_or(default, |m| m as usize);
    let page = all.get(start..).unwrap_or_default();
    let page = &page[..page.len().min(max)];
    let next =
        (start + page.len() < all.len()).then(|| next_token(op, &(start + page.len()).to_string()));
    Ok((page, next))
}

pub async fn start_replication_backfill(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: StartReplicationBackfillRequest = inp.request()?;
    let account = ctx.registry(&req.registry_id);
    let Some(d) = req.destination else {
        return Err(AwsError::validation(
            "ValidationException",
            &[
                "Value null at 'destination' failed to satisfy constraint: Member must not be null"
                    .to_string(),
            ],
        ));
    };
    let destination = Destination {
        region: d.region.unwrap_or_default(),
        account: d.registry_id.unwrap_or_default(),
    };
    let b = ctx
        .state
        .registry
        .start_backfill(&account, &destination)
        .await
        .map_err(core_error)?;
    reply(BackfillOut::of(&b))
}

pub async fn stop_replication_backfill(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    let req: BackfillRequest = inp.request()?;
    let account = ctx.registry(&req.registry_id);
    let id = req.replication_backfill_id.unwrap_or_default();
    let b = ctx
        .state
        .registry
        .stop_backfill(&account, &id)
        .await
        .map_err(core_error)?;
    reply(BackfillOut::of(&b))
}

pub async fn list_replication_backfills(ctx: &Ctx<'_>, inp: Input) -> Result<Value, AwsError> {
    const OP: &str = "ListReplicationBackfills";
    let req: ListReplicationBackfillsRequest = inp.request()?;
    let account = ctx.registry(&req.registry_id);
    let all = ctx
        .state
        .registry
        .backfills(&account)
        .await
        .map_err(core_error)?;
    let (page, next) = page(OP, &all, req.next_token.as_deref(), req.max_results, 50)?;
    reply(ListResponse {
        registry_id: &account,
        backfills: page
            .iter()
            .map(|b| Summary {
                replication_backfill_id: &b.id,
                destination: DestinationOut::of(&b.destination),
                status: b.status.as_str(),
                failure_code: b.failure_code.as_deref(),
                progress: Progress::of(b),
                started_at: Epoch(b.started_at),
                ended_at: b.ended_at.map(Epoch),
            })
            .collect(),
        next_token: next,
    })
}

pub async fn describe_replication_backfill_results(
    ctx: &Ctx<'_>,
    inp: Input,
) -> Result<Value, AwsError> {
    const OP: &str = "DescribeReplicationBackfillResults";
    let req: BackfillResultsRequest = inp.request()?;
    let account = ctx.registry(&req.registry_id);
    let id = req.replication_backfill_id.clone().unwrap_or_default();
    let registry = &ctx.state.registry;
    let b = registry.backfill(&account, &id).await.map_err(core_error)?;
    let only = match req.result_status_filter.as_deref() {
        Some("COMPLETE") => Some(ReplicationStatus::Complete),
        Some(_) => Some(ReplicationStatus::Failed),
        None => None,
    };
    // per-image results once the backfill has ended, as ECR gives them
    let images = if b.status.is_going() {
        Vec::new()
    } else {
        registry
            .backfill_images(&account, &id, only)
            .await
            .map_err(core_error)?
            .into_iter()
            // images a stop left out were not copied: no result
            .filter(|i| i.status == "COMPLETE" || i.status == "FAILED")
            .collect()
    };
    let (page, next) = page(OP, &images, req.next_token.as_deref(), req.max_results, 100)?;
    reply(ResultsResponse {
        registry_id: &account,
        replication_backfill_id: &b.id,
        destination: DestinationOut::of(&b.destination),
        status: b.status.as_str(),
        failure_code: b.failure_code.as_deref(),
        progress: Progress::of(&b),
        results: page
            .iter()
            .map(|i| ResultOut {
                repository_name: i.repository.clone(),
                image_id: ImageIdOut {
                    image_digest: i.digest.clone(),
                },
                status: i.status.clone(),
                failure_code: i.failure_code.clone(),
            })
            .collect(),
        started_at: Epoch(b.started_at),
        ended_at: b.ended_at.map(Epoch),
        next_token: next,
    })
}
