//! Lifecycle policies: the policy of a repository, the images its rules see, previews, and the
//! record of expirations.

use crate::db::{query, query_as};

use super::MetaStore;
use crate::{MetaError, Result};

/// An image as lifecycle rules see it: a manifest that no index in its repository lists and
/// whose subject (for a referrer) is not in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleImage {
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: i64,
    pub last_pulled_at: Option<i64>,
    pub media_type: String,
    pub size: i64,
}

/// A repository's stored preview.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LifecyclePreview {
    pub policy: String,
    pub status: String,
    pub results: String,
    pub started_at: i64,
}

/// One recorded expiration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub account_id: String,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub rule_priority: i64,
    pub actor: String,
    pub expired_at: i64,
}

/// A repository with a lifecycle policy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LifecycleRepository {
    pub id: i64,
    pub account_id: String,
    pub name: String,
    pub policy: String,
}

#[derive(sqlx::FromRow)]
struct LifecycleImageRow {
    id: i64,
    digest: String,
    pushed_at: i64,
    last_pulled_at: Option<i64>,
    media_type: String,
    size: i64,
}

#[derive(sqlx::FromRow)]
struct LifecycleEventRow {
    account_id: String,
    repository: String,
    digest: String,
    /// A JSON array.
    tags: String,
    rule_priority: i64,
    actor: String,
    expired_at: i64,
}

impl MetaStore {
    /// A repository's lifecycle policy and when it last ran: `None` when the repository does not
    /// exist.
    pub async fn lifecycle_policy(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Option<(Option<String>, Option<i64>)>> {
        Ok(query_as(
            "SELECT lifecycle_policy, lifecycle_evaluated_at FROM repositories WHERE account_id = $1 AND name = $2",
        )
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// Set (or with `None` remove) a repository's lifecycle policy; `false` when the repository
    /// does not exist.
    pub async fn set_lifecycle_policy(
        &self,
        account: &str,
        name: &str,
        text: Option<&str>,
    ) -> Result<bool> {
        let done = query(
            "UPDATE repositories SET lifecycle_policy = $1 WHERE account_id = $2 AND name = $3",
        )
        .bind(text)
        .bind(account)
        .bind(name)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_lifecycle_evaluated(&self, repo: i64, at: i64) -> Result<()> {
        query("UPDATE repositories SET lifecycle_evaluated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(repo)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    /// Every repository with a lifecycle policy, by account and name.
    pub async fn lifecycle_repositories(&self) -> Result<Vec<LifecycleRepository>> {
        Ok(query_as(
            "SELECT id, account_id, name, lifecycle_policy AS policy FROM repositories
             WHERE lifecycle_policy IS NOT NULL ORDER BY account_id, name",
        )
        .fetch_all(self.db.read())
        .await?)
    }

    /// The images of a repository that lifecycle rules judge. Children of an index stay while the
    /// index does, and referrers while their subject does: neither is a candidate.
    pub async fn lifecycle_images(&self, repo: i64) -> Result<Vec<LifecycleImage>> {
        let rows: Vec<LifecycleImageRow> = query_as(
            "SELECT m.digest, m.pushed_at, m.last_pulled_at, m.media_type, m.size, m.id
             FROM manifests m
             WHERE m.repository_id = $1
               AND NOT EXISTS (SELECT 1 FROM manifest_children c WHERE c.child_id = m.id)
               AND (m.subject_digest IS NULL OR NOT EXISTS
                    (SELECT 1 FROM manifests s WHERE s.repository_id = $1 AND s.digest = m.subject_digest))
             ORDER BY m.pushed_at, m.digest",
        )
        .bind(repo)
        .fetch_all(self.db.read())
        .await?;
        let mut tags_of: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for (id, tag) in query_as::<(i64, String)>(
            "SELECT manifest_id, name FROM tags WHERE repository_id = $1 ORDER BY name",
        )
        .bind(repo)
        .fetch_all(self.db.read())
        .await?
        {
            tags_of.entry(id).or_default().push(tag);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(LifecycleImage {
                tags: tags_of.remove(&r.id).unwrap_or_default(),
                digest: r.digest,
                pushed_at: r.pushed_at,
                last_pulled_at: r.last_pulled_at,
                media_type: r.media_type,
                size: r.size,
            });
        }
        Ok(out)
    }

    pub async fn put_lifecycle_preview(&self, repo: i64, p: &LifecyclePreview) -> Result<()> {
        query(
            "INSERT INTO lifecycle_previews (repository_id, policy, status, results, started_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repository_id) DO UPDATE SET policy = excluded.policy,
                status = excluded.status, results = excluded.results, started_at = excluded.started_at",
        )
        .bind(repo)
        .bind(&p.policy)
        .bind(&p.status)
        .bind(&p.results)
        .bind(p.started_at)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn lifecycle_preview(&self, repo: i64) -> Result<Option<LifecyclePreview>> {
        Ok(query_as(
            "SELECT policy, status, results, started_at FROM lifecycle_previews WHERE repository_id = $1",
        )
        .bind(repo)
        .fetch_optional(self.db.read())
        .await?)
    }

    pub async fn record_lifecycle_event(&self, e: &LifecycleEvent) -> Result<()> {
        query(
            "INSERT INTO lifecycle_events (account_id, repository, digest, tags, rule_priority, actor, expired_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&e.account_id)
        .bind(&e.repository)
        .bind(&e.digest)
        .bind(serde_json::to_string(&e.tags).unwrap_or_else(|_| "[]".into()))
        .bind(e.rule_priority)
        .bind(&e.actor)
        .bind(e.expired_at)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// The recorded expirations of an account's repository (or of the account with `None`),
    /// newest first.
    pub async fn lifecycle_events(
        &self,
        account: &str,
        repository: Option<&str>,
        limit: i64,
    ) -> Result<Vec<LifecycleEvent>> {
        let rows: Vec<LifecycleEventRow> = query_as(
            "SELECT account_id, repository, digest, tags, rule_priority, actor, expired_at
             FROM lifecycle_events WHERE account_id = $1 AND ($2 IS NULL OR repository = $2)
             ORDER BY expired_at DESC, id DESC LIMIT $3",
        )
        .bind(account)
        .bind(repository)
        .bind(limit)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(LifecycleEvent {
                    tags: serde_json::from_str(&r.tags).map_err(|e| {
                        MetaError::Corrupt(format!("stored lifecycle event tags {:?}: {e}", r.tags))
                    })?,
                    account_id: r.account_id,
                    repository: r.repository,
                    digest: r.digest,
                    rule_priority: r.rule_priority,
                    actor: r.actor,
                    expired_at: r.expired_at,
                })
            })
            .collect()
    }
}
