//! Repositories as the ECR control plane sees them: settings, resource tags, listing, deletion,
//! and account settings.

use crate::db::{query, query_as, query_scalar, InTx};
use crate::values::TagMutability;

use super::{stored, MetaStore};
use crate::{now_millis, MetaError, NewRepository, Repository, Result};

/// The columns of a [`RepositoryRow`].
const REPO_COLUMNS: &str = "id, account_id, name, created_at, tag_mutability, mutability_filters, scan_on_push, encryption_type, kms_key";

/// A row of `repositories`.
#[derive(sqlx::FromRow)]
struct RepositoryRow {
    id: i64,
    account_id: String,
    name: String,
    created_at: i64,
    tag_mutability: String,
    /// A JSON array of wildcard filters, or NULL.
    mutability_filters: Option<String>,
    scan_on_push: i64,
    encryption_type: String,
    kms_key: Option<String>,
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = MetaError;

    fn try_from(r: RepositoryRow) -> Result<Repository> {
        let mutability_filters = match r.mutability_filters {
            Some(f) => serde_json::from_str(&f)
                .map_err(|e| MetaError::Corrupt(format!("stored mutability filters {f:?}: {e}")))?,
            None => Vec::new(),
        };
        Ok(Repository {
            id: r.id,
            account_id: r.account_id,
            name: r.name,
            created_at: r.created_at,
            tag_mutability: stored("tag mutability", &r.tag_mutability)?,
            mutability_filters,
            scan_on_push: r.scan_on_push != 0,
            encryption_type: stored("encryption type", &r.encryption_type)?,
            kms_key: r.kms_key,
        })
    }
}

impl MetaStore {
    pub async fn repository(&self, account: &str, name: &str) -> Result<Option<Repository>> {
        query_as::<RepositoryRow>(&format!(
            "SELECT {REPO_COLUMNS} FROM repositories WHERE account_id = $1 AND name = $2"
        ))
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?
        .map(Repository::try_from)
        .transpose()
    }

    pub async fn create_repository(&self, account: &str, name: &str) -> Result<Repository> {
        query_as::<RepositoryRow>(&format!(
            "INSERT INTO repositories (account_id, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, name) DO NOTHING RETURNING {REPO_COLUMNS}"
        ))
        .bind(account)
        .bind(name)
        .bind(now_millis())
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::RepositoryExists)?
        .try_into()
    }

    /// The repository, created if it does not exist yet.
    pub async fn repository_or_create(&self, account: &str, name: &str) -> Result<Repository> {
        if let Some(r) = self.repository(account, name).await? {
            return Ok(r);
        }
        match self.create_repository(account, name).await {
            Ok(r) => Ok(r),
            Err(MetaError::RepositoryExists) => query_as::<RepositoryRow>(&format!(
                "SELECT {REPO_COLUMNS} FROM repositories WHERE account_id = $1 AND name = $2"
            ))
            .bind(account)
            .bind(name)
            .fetch_one(self.db.write())
            .await?
            .try_into(),
            Err(e) => Err(e),
        }
    }

    /// Repository names of an account after `after`, in byte order.
    pub async fn list_repositories(
        &self,
        account: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>> {
        Ok(query_scalar(
            "SELECT name FROM repositories WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(account)
        .bind(after.unwrap_or(""))
        .bind(limit as i64)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Create a repository with its settings and tags in one transaction.
    /// [`MetaError::RepositoryExists`] when the name is taken.
    pub async fn create_repository_with(&self, r: &NewRepository) -> Result<Repository> {
        let filters = filters_column(&r.mutability_filters);
        let mut tx = self.batched().await?;
        let row = query_as::<RepositoryRow>(&format!(
            "BEGIN;
             INSERT INTO repositories (account_id, name, created_at, tag_mutability,
                                       mutability_filters, scan_on_push, encryption_type, kms_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (account_id, name) DO NOTHING RETURNING {REPO_COLUMNS}"
        ))
        .bind(&r.account_id)
        .bind(&r.name)
        .bind(now_millis())
        .bind(r.tag_mutability.as_str())
        .bind(filters)
        .bind(r.scan_on_push as i64)
        .bind(r.encryption_type.as_str())
        .bind(&r.kms_key)
        .fetch_optional(tx.conn())
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(MetaError::RepositoryExists);
        };
        let repo = Repository::try_from(row)?;
        upsert_tags(&mut tx, repo.id, &r.tags).await?;
        query("COMMIT").execute(tx.conn()).await?;
        tx.committed();
        Ok(repo)
    }

    /// Repositories of an account after name `after`, in byte order, at most `limit`.
    pub async fn repositories_page(
        &self,
        account: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Repository>> {
        query_as::<RepositoryRow>(&format!(
            "SELECT {REPO_COLUMNS} FROM repositories WHERE account_id = $1 AND name > $2
             ORDER BY name LIMIT $3"
        ))
        .bind(account)
        .bind(after.unwrap_or(""))
        .bind(limit as i64)
        .fetch_all(self.db.read())
        .await?
        .into_iter()
        .map(Repository::try_from)
        .collect()
    }

    /// Delete a repository and everything in it. Without `force`, refused with
    /// [`MetaError::RepositoryNotEmpty`] while it holds an image. The blobs it linked are left for
    /// the collector; the rows of its manifests, tags, links, uploads and resource tags go with it.
    pub async fn delete_repository(&self, id: i64, force: bool) -> Result<()> {
        let mut tx = self.batched().await?;
        let (exists, images): (bool, bool) = query_as(
            "BEGIN;
             SELECT EXISTS (SELECT 1 FROM repositories WHERE id = $1),
                    EXISTS (SELECT 1 FROM manifests WHERE repository_id = $1)",
        )
        .bind(id)
        .fetch_one(tx.conn())
        .await?;
        if !exists || (images && !force) {
            tx.rollback().await?;
            return Err(if exists {
                MetaError::RepositoryNotEmpty
            } else {
                MetaError::RepositoryNotFound
            });
        }
        query(
            "UPDATE blobs SET unreferenced_since = $2
             WHERE unreferenced_since IS NULL
               AND digest IN (SELECT digest FROM repository_blobs WHERE repository_id = $1)
               AND NOT EXISTS (SELECT 1 FROM repository_blobs rb
                               WHERE rb.digest = blobs.digest AND rb.repository_id <> $1);
             DELETE FROM manifest_children WHERE parent_id IN
                 (SELECT id FROM manifests WHERE repository_id = $1);
             DELETE FROM repositories WHERE id = $1;
             COMMIT",
        )
        .bind(id)
        .bind(now_millis())
        .execute(tx.conn())
        .await?;
        tx.committed();
        Ok(())
    }

    pub async fn set_tag_mutability(
        &self,
        id: i64,
        mutability: TagMutability,
        filters: &[String],
    ) -> Result<()> {
        let filters = filters_column(filters);
        query("UPDATE repositories SET tag_mutability = $1, mutability_filters = $2 WHERE id = $3")
            .bind(mutability.as_str())
            .bind(filters)
            .bind(id)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    pub async fn set_scan_on_push(&self, id: i64, on: bool) -> Result<()> {
        query("UPDATE repositories SET scan_on_push = $1 WHERE id = $2")
            .bind(on as i64)
            .bind(id)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    // ---- resource tags ----

    pub async fn repository_tags(&self, id: i64) -> Result<Vec<(String, String)>> {
        Ok(
            query_as(
                "SELECT key, value FROM repository_tags WHERE repository_id = $1 ORDER BY key",
            )
            .bind(id)
            .fetch_all(self.db.read())
            .await?,
        )
    }

    /// Add or overwrite tags, refusing with `Ok(false)` (and changing nothing) when the
    /// repository would end up with more than `max` tags.
    pub async fn tag_repository(
        &self,
        id: i64,
        tags: &[(String, String)],
        max: usize,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        upsert_tags(&mut tx, id, tags).await?;
        let count: i64 =
            query_scalar("SELECT count(*) FROM repository_tags WHERE repository_id = $1")
                .bind(id)
                .fetch_one(tx.conn())
                .await?;
        if count as usize > max {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn untag_repository(&self, id: i64, keys: &[String]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for k in keys {
            query("DELETE FROM repository_tags WHERE repository_id = $1 AND key = $2")
                .bind(id)
                .bind(k)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- account settings ----

    pub async fn account_setting(&self, account: &str, name: &str) -> Result<Option<String>> {
        Ok(
            query_scalar("SELECT value FROM account_settings WHERE account_id = $1 AND name = $2")
                .bind(account)
                .bind(name)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    pub async fn put_account_setting(&self, account: &str, name: &str, value: &str) -> Result<()> {
        query(
            "INSERT INTO account_settings (account_id, name, value) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(account)
        .bind(name)
        .bind(value)
        .execute(self.db.write())
        .await?;
        Ok(())
    }
}

/// The `mutability_filters` column: JSON, or NULL when there are none.
fn filters_column(filters: &[String]) -> Option<String> {
    (!filters.is_empty()).then(|| serde_json::to_string(filters).unwrap_or_default())
}

/// Add or overwrite resource tags of a repository, inside the caller's transaction.
async fn upsert_tags(tx: &mut impl InTx, id: i64, tags: &[(String, String)]) -> Result<()> {
    for (k, v) in tags {
        query(
            "INSERT INTO repository_tags (repository_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (repository_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(id)
        .bind(k)
        .bind(v)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
