//! Blobs and their links to repositories: lookups for `/v2/` and ECR's layer operations, linking
//! (after an upload or a cross-repository mount) and unlinking.

use berth_oci::Digest;

use crate::db::{query, query_as, query_scalar};

use super::{digest, MetaStore};
use crate::{now_millis, MetaError, Result};

/// Record a blob (if new) and link it to a repository: `?1` digest, `?2` size, `?3` now,
/// `?4` repository.
pub(super) const LINK_BLOB: &str =
    "INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (digest) DO UPDATE SET unreferenced_since = NULL;
     INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($4, $1, $3)
     ON CONFLICT (repository_id, digest) DO UPDATE SET unreferenced_since = NULL";

/// A repository found by name, with the link of one blob to it when there is one.
#[derive(sqlx::FromRow)]
struct BlobLinkRow {
    repository_id: i64,
    size: Option<i64>,
    marked: Option<bool>,
}

impl MetaStore {
    /// Blob lookup by repository name in one query: `None` when the repository does not exist,
    /// `Some(None)` when it exists but does not link the blob.
    pub async fn blob_by_repository_name(
        &self,
        account: &str,
        name: &str,
        d: &Digest,
    ) -> Result<Option<Option<u64>>> {
        Ok(self
            .blob_link(account, name, d)
            .await?
            .map(|(_, link)| link.map(|(size, _)| size)))
    }

    /// As [`MetaStore::blob_by_repository_name`], with the repository's ID and whether the
    /// collector has marked the link unreferenced.
    pub async fn blob_link(
        &self,
        account: &str,
        name: &str,
        d: &Digest,
    ) -> Result<Option<(i64, Option<(u64, bool)>)>> {
        let row: Option<BlobLinkRow> = query_as(
            "SELECT r.id AS repository_id, b.size, rb.unreferenced_since IS NOT NULL AS marked
             FROM repositories r
             LEFT JOIN repository_blobs rb ON rb.repository_id = r.id AND rb.digest = $1
             LEFT JOIN blobs b ON b.digest = rb.digest
             WHERE r.account_id = $2 AND r.name = $3",
        )
        .bind(d.to_string())
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.map(|r| {
            let link = r.size.map(|s| (s as u64, r.marked.unwrap_or(false)));
            (r.repository_id, link)
        }))
    }

    /// Size of `digest` if any repository of `account` links it.
    pub async fn account_blob(&self, account: &str, d: &Digest) -> Result<Option<u64>> {
        let size: Option<i64> = query_scalar(
            "SELECT b.size FROM repository_blobs rb
             JOIN repositories r ON r.id = rb.repository_id
             JOIN blobs b ON b.digest = rb.digest
             WHERE r.account_id = $1 AND rb.digest = $2 LIMIT 1",
        )
        .bind(account)
        .bind(d.to_string())
        .fetch_optional(self.db.read())
        .await?;
        Ok(size.map(|s| s as u64))
    }

    /// Record blob `digest` of `size` bytes (if new) and link it to `repo`.
    pub async fn link_blob(&self, repo: i64, d: &Digest, size: u64) -> Result<()> {
        let mut tx = self.batched().await?;
        query(&format!("BEGIN; {LINK_BLOB}; COMMIT"))
            .bind(d.to_string())
            .bind(size as i64)
            .bind(now_millis())
            .bind(repo)
            .execute(tx.conn())
            .await?;
        tx.committed();
        Ok(())
    }

    pub async fn unlink_blob(&self, repo: i64, d: &Digest) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let user: Option<String> = query_scalar(
            "SELECT m.digest FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
             WHERE m.repository_id = $1 AND mb.digest = $2 LIMIT 1",
        )
        .bind(repo)
        .bind(d.to_string())
        .fetch_optional(tx.conn())
        .await?;
        if let Some(m) = user {
            return Err(MetaError::BlobInUse(digest(&m)?));
        }
        let done = query("DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2")
            .bind(repo)
            .bind(d.to_string())
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
