//! Lifecycle runs and their events, garbage collection, fsck and usage.

use serde::Serialize;
use serde_json::Value;

use super::ctx::{seconds_or, Ctx};
use crate::aws::{registry_error, reply, AwsError, Epoch};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunLifecycleOutput<'a> {
    runs: Vec<RunShape<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListLifecycleEventsOutput<'a> {
    events: Vec<EventShape<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunShape<'a> {
    repository_name: &'a str,
    expired: Vec<ExpiredShape<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExpiredShape<'a> {
    image_digest: &'a str,
    image_tags: &'a [String],
    image_pushed_at: Epoch,
    applied_rule_priority: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EventShape<'a> {
    repository_name: &'a str,
    image_digest: &'a str,
    image_tags: &'a [String],
    applied_rule_priority: i64,
    actor: &'a str,
    expired_at: Epoch,
}

/// RunLifecycle: `RepositoryName`'s policy, or every policy of the account.
pub async fn run_lifecycle(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let actor = c.actor();
    let reports = match &c.params.repository {
        Some(r) => {
            let name = r.parse::<berth_oci::RepositoryName>().map_err(|_| {
                AwsError::new("ValidationError", format!("'{r}' is not a repository name"))
            })?;
            vec![c
                .registry
                .run_lifecycle(&c.account, &name, &actor)
                .await
                .map_err(registry_error)?]
        }
        None => c
            .registry
            .run_all_lifecycle(Some(&c.account), &actor)
            .await
            .map_err(registry_error)?,
    };
    let runs: Vec<RunShape> = reports
        .iter()
        .map(|r| RunShape {
            repository_name: &r.repository,
            expired: r
                .expired
                .iter()
                .map(|p| ExpiredShape {
                    image_digest: &p.digest,
                    image_tags: &p.tags,
                    image_pushed_at: Epoch(p.pushed_at),
                    applied_rule_priority: p.rule_priority,
                })
                .collect(),
        })
        .collect();
    reply(RunLifecycleOutput { runs })
}

/// ListLifecycleEvents: what lifecycle runs expired, newest first.
pub async fn list_lifecycle_events(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let events = c
        .registry
        .lifecycle_events(
            &c.account,
            c.params.repository.as_deref(),
            c.params.max_results.unwrap_or(1000),
        )
        .await
        .map_err(registry_error)?;
    let shapes: Vec<EventShape> = events
        .iter()
        .map(|e| EventShape {
            repository_name: &e.repository,
            image_digest: &e.digest,
            image_tags: &e.tags,
            applied_rule_priority: e.rule_priority,
            actor: &e.actor,
            expired_at: Epoch(e.expired_at),
        })
        .collect();
    reply(ListLifecycleEventsOutput { events: shapes })
}

/// RunGc: one collection pass over the whole store (across accounts).
pub async fn run_gc(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    let opts = berth_registry::gc::GcOptions {
        grace: seconds_or(c.params.grace, c.gc.grace),
        upload_ttl: seconds_or(c.params.upload_ttl, c.gc.upload_ttl),
        dry_run: c.params.dry_run,
    };
    reply(c.registry.gc(opts).await.map_err(registry_error)?)
}

/// Fsck: the consistency check (and repairs).
pub async fn fsck(c: &Ctx<'_>) -> Result<Value, AwsError> {
    c.installation_only()?;
    let opts = berth_registry::fsck::FsckOptions {
        verify_digests: !c.params.sizes_only,
        repair: c.params.repair,
        grace: seconds_or(c.params.grace, c.gc.grace),
        upload_ttl: seconds_or(c.params.upload_ttl, c.gc.upload_ttl),
    };
    reply(c.registry.fsck(opts).await.map_err(registry_error)?)
}

/// Usage: storage, transfer and an estimated cost, per account (every account and the store
/// for the installation's admin unless it names one).
pub async fn usage(c: &Ctx<'_>) -> Result<Value, AwsError> {
    let defaults = berth_registry::usage::Prices::default();
    let prices = berth_registry::usage::Prices {
        storage_per_gib_month: c
            .params
            .storage_price
            .unwrap_or(defaults.storage_per_gib_month),
        transfer_per_gib: c.params.transfer_price.unwrap_or(defaults.transfer_per_gib),
    };
    let scope = if c.installation_admin && !c.named_account {
        None
    } else {
        Some(c.account.as_str())
    };
    let report = c
        .registry
        .usage(scope, prices)
        .await
        .map_err(registry_error)?;
    if c.params.table {
        return Ok(Value::String(report.table()));
    }
    reply(report)
}
