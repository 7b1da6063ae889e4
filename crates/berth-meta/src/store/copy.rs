//! Copying a single-node installation's metadata (SQLite) into an empty PostgreSQL database, for
//! `berth admin migrate`.

use super::MetaStore;
use crate::db::{query, query_as, query_scalar, Arg, Db};
use crate::{MetaError, Result};

/// The tables in an order that satisfies their foreign keys. Upload sessions are not copied
/// (their bytes stay behind; clients start those uploads again), nor are job claims (a scan's
/// lease is copied with it and simply runs out).
const TABLES: &[&str] = &[
    "accounts",
    "principals",
    "access_keys",
    "settings",
    "account_settings",
    "repositories",
    "repository_tags",
    "blobs",
    "repository_blobs",
    "manifests",
    "tags",
    "manifest_blobs",
    "manifest_children",
    "iam_groups",
    "iam_group_members",
    "iam_roles",
    "iam_inline_policies",
    "iam_managed_policies",
    "iam_attachments",
    "registry_policies",
    "lifecycle_previews",
    "lifecycle_events",
    "repository_transfer",
    "vuln_imports",
    "vuln_advisories",
    "image_inventories",
    "image_scans",
    "registry_scanning",
    "replication_configs",
    "creation_templates",
    "replications",
    "replication_backfills",
    "backfill_images",
    "secrets",
    "secret_versions",
    "pull_through_cache_rules",
    "replication_outcomes",
];

/// Tables whose `id` comes from an identity column, moved past the copied rows afterwards.
const IDENTITIES: &[&str] = &[
    "principals",
    "repositories",
    "manifests",
    "iam_groups",
    "iam_managed_policies",
    "lifecycle_events",
    "vuln_imports",
    "replication_outcomes",
];

impl MetaStore {
    /// Accounts in the store (a migration's target must have none).
    pub async fn account_count(&self) -> Result<i64> {
        Ok(query_scalar("SELECT count(*) FROM accounts")
            .fetch_one(self.db.read())
            .await?)
    }

    /// Copy every row of this (SQLite) store into `target`, an empty PostgreSQL store, in one
    /// transaction. Returns the rows copied per table.
    pub async fn copy_into(&self, target: &MetaStore) -> Result<Vec<(String, u64)>> {
        if !matches!(self.db, Db::Sqlite { .. }) || !target.db.is_postgres() {
            return Err(MetaError::Unsupported(
                "metadata is copied from SQLite into PostgreSQL only".into(),
            ));
        }
        if target.account_count().await? > 0 {
            return Err(MetaError::Unsupported(
                "the target database is not empty (it has accounts)".into(),
            ));
        }
        let mut tx = target.db.begin().await?;
        let mut copied = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let columns: Vec<(String, String)> = query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT)
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
            )
            .bind(*table)
            .fetch_all(tx.conn())
            .await?;
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            let select = format!("SELECT {} FROM {table}", names.join(", "));
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                (1..=names.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let rows = query(&select).fetch_all(self.db.read()).await?;
            for r in &rows {
                let mut q = query(&insert);
                for (name, kind) in &columns {
                    q = q.bind(match kind.as_str() {
                        "bigint" => Arg::I64(r.try_get(name)?),
                        "bytea" => Arg::Blob(r.try_get(name)?),
                        _ => Arg::String(r.try_get(name)?),
                    });
                }
                q.execute(tx.conn()).await?;
            }
            copied.push((table.to_string(), rows.len() as u64));
        }
        for table in IDENTITIES {
            query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(copied)
    }
}
