//! Garbage collection's side of the metadata: marking what nothing references, finding what
//! stayed unreferenced past the grace period, and deleting it only when a re-check inside the
//! deleting transaction agrees.

use super::MetaStore;
use crate::db::{query, query_as, query_scalar};
use crate::Result;

/// A link that no manifest of its repository uses.
const LINK_UNUSED: &str =
    "NOT EXISTS (SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
                  WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest)";
/// A blob that no repository links and no manifest references.
const BLOB_UNUSED: &str =
    "NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest)
     AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = b.digest)";

/// What a marking step changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marked {
    /// Newly found unreferenced.
    pub marked: u64,
    /// Referenced again since an earlier mark.
    pub cleared: u64,
    /// Examined in all.
    pub examined: u64,
}

/// A row of `blobs`: a blob's size, and since when (epoch ms) the collector has marked it
/// unreferenced.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlobRecord {
    pub digest: String,
    pub size: i64,
    pub unreferenced_since: Option<i64>,
}

/// A manifest's reference to a blob, as a consistency check sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlobReference {
    pub repository_id: i64,
    /// The manifest's digest.
    pub manifest: String,
    pub blob: String,
    /// Whether the blob has a row.
    pub blob_recorded: bool,
    /// Whether the manifest's repository links the blob.
    pub linked: bool,
}

/// A repository's account and name by ID.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RepositoryName {
    pub id: i64,
    pub account_id: String,
    pub name: String,
}

impl MetaStore {
    /// Mark the links no manifest of their repository uses (at `now`, unless marked already) and
    /// clear the marks of links in use again.
    pub async fn mark_links(&self, now: i64) -> Result<Marked> {
        self.mark("repository_blobs AS rb", LINK_UNUSED, now).await
    }

    /// Mark the blobs nothing references and clear the marks of blobs referenced again.
    pub async fn mark_blobs(&self, now: i64) -> Result<Marked> {
        self.mark("blobs AS b", BLOB_UNUSED, now).await
    }

    /// Set `unreferenced_since` where `unused` holds and it is unset; clear it where it no
    /// longer holds; in one transaction.
    async fn mark(&self, table: &str, unused: &str, now: i64) -> Result<Marked> {
        let mut tx = self.db.begin().await?;
        let cleared = query(&format!(
            "UPDATE {table} SET unreferenced_since = NULL
             WHERE unreferenced_since IS NOT NULL AND NOT ({unused})"
        ))
        .execute(tx.conn())
        .await?
        .rows_affected();
        let marked = query(&format!(
            "UPDATE {table} SET unreferenced_since = $1 WHERE unreferenced_since IS NULL AND {unused}"
        ))
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        let name = table.split_whitespace().next().unwrap_or(table);
        let examined: i64 = query_scalar(&format!("SELECT count(*) FROM {name}"))
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Marked {
            marked,
            cleared,
            examined: examined as u64,
        })
    }

    /// Links marked at or before `cutoff`: (repository, digest).
    pub async fn stale_links(&self, cutoff: i64) -> Result<Vec<(i64, String)>> {
        Ok(query_as(
            "SELECT repository_id, digest FROM repository_blobs
             WHERE unreferenced_since IS NOT NULL AND unreferenced_since <= $1
             ORDER BY repository_id, digest",
        )
        .bind(cutoff)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Delete every link still unused and marked at or before `cutoff`, in one statement that
    /// re-checks each; how many went.
    pub async fn delete_stale_links(&self, cutoff: i64) -> Result<u64> {
        let done = query(&format!(
            "DELETE FROM repository_blobs AS rb
             WHERE unreferenced_since IS NOT NULL AND unreferenced_since <= $1 AND {LINK_UNUSED}"
        ))
        .bind(cutoff)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected())
    }

    /// Clear the mark of a link a client has just been told exists (a blob HEAD or GET), so
    /// that a push relying on it does not lose it to the collector.
    pub async fn touch_link(&self, account: &str, name: &str, digest: &str) -> Result<()> {
        query(
            "UPDATE repository_blobs SET unreferenced_since = NULL
             WHERE digest = $1 AND unreferenced_since IS NOT NULL AND repository_id =
                (SELECT id FROM repositories WHERE account_id = $2 AND name = $3)",
        )
        .bind(digest)
        .bind(account)
        .bind(name)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// Every blob marked unreferenced.
    pub async fn marked_blobs(&self) -> Result<Vec<BlobRecord>> {
        Ok(query_as(
            "SELECT digest, size, unreferenced_since FROM blobs
             WHERE unreferenced_since IS NOT NULL ORDER BY digest",
        )
        .fetch_all(self.db.read())
        .await?)
    }

    /// Delete the rows of those of `digests` still unreferenced and marked at or before
    /// `cutoff`, in one transaction; the digests deleted. The caller holds their locks and
    /// removes their bytes afterwards.
    pub async fn delete_stale_blobs(&self, digests: &[String], cutoff: i64) -> Result<Vec<String>> {
        let mut tx = self.db.begin().await?;
        let mut gone = Vec::new();
        for d in digests {
            let deleted: Option<String> = query_scalar(&format!(
                "DELETE FROM blobs AS b WHERE digest = $1
                 AND unreferenced_since IS NOT NULL AND unreferenced_since <= $2 AND {BLOB_UNUSED}
                 RETURNING digest"
            ))
            .bind(d)
            .bind(cutoff)
            .fetch_optional(tx.conn())
            .await?;
            gone.extend(deleted);
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Every blob digest with a row.
    pub async fn blob_digests(&self) -> Result<std::collections::HashSet<String>> {
        Ok(query_scalar("SELECT digest FROM blobs")
            .fetch_all(self.db.read())
            .await?
            .into_iter()
            .collect())
    }

    /// Every upload session ID with a row.
    pub async fn upload_ids(&self) -> Result<std::collections::HashSet<String>> {
        Ok(query_scalar("SELECT id FROM uploads")
            .fetch_all(self.db.read())
            .await?
            .into_iter()
            .collect())
    }

    /// Whether a blob has a row.
    pub async fn blob_known(&self, digest: &str) -> Result<bool> {
        Ok(
            query_scalar::<i64>("SELECT CAST(1 AS BIGINT) FROM blobs WHERE digest = $1")
                .bind(digest)
                .fetch_optional(self.db.write())
                .await?
                .is_some(),
        )
    }

    /// Upload sessions not touched since `before`: (id, repository).
    pub async fn stale_uploads(&self, before: i64) -> Result<Vec<String>> {
        Ok(
            query_scalar("SELECT id FROM uploads WHERE updated_at < $1 ORDER BY id")
                .bind(before)
                .fetch_all(self.db.read())
                .await?,
        )
    }

    /// Delete an upload session's row if it is still untouched since `before`.
    pub async fn delete_upload_if_stale(&self, id: &str, before: i64) -> Result<bool> {
        let done = query("DELETE FROM uploads WHERE id = $1 AND updated_at < $2")
            .bind(id)
            .bind(before)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether an upload session has a row.
    pub async fn upload_known(&self, id: &str) -> Result<bool> {
        Ok(
            query_scalar::<i64>("SELECT CAST(1 AS BIGINT) FROM uploads WHERE id = $1")
                .bind(id)
                .fetch_optional(self.db.write())
                .await?
                .is_some(),
        )
    }
}

/// What `fsck` reads: every reference, to check it against the rest and the store.
impl MetaStore {
    /// Tags whose manifest row is missing: (repository, tag).
    pub async fn dangling_tags(&self) -> Result<Vec<(i64, String)>> {
        Ok(query_as(
            "SELECT t.repository_id, t.name FROM tags t
             LEFT JOIN manifests m ON m.id = t.manifest_id
             WHERE m.id IS NULL OR m.repository_id != t.repository_id",
        )
        .fetch_all(self.db.read())
        .await?)
    }

    pub async fn delete_dangling_tag(&self, repo: i64, tag: &str) -> Result<bool> {
        let done = query(
            "DELETE FROM tags WHERE repository_id = $1 AND name = $2
             AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.id = tags.manifest_id
                             AND m.repository_id = tags.repository_id)",
        )
        .bind(repo)
        .bind(tag)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every reference of a manifest to a blob.
    pub async fn manifest_references(&self) -> Result<Vec<BlobReference>> {
        Ok(query_as(
            "SELECT m.repository_id, m.digest AS manifest, mb.digest AS blob,
                    EXISTS (SELECT 1 FROM blobs b WHERE b.digest = mb.digest) AS blob_recorded,
                    EXISTS (SELECT 1 FROM repository_blobs rb
                            WHERE rb.repository_id = m.repository_id AND rb.digest = mb.digest)
                        AS linked
             FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
             ORDER BY m.repository_id, m.digest, mb.digest",
        )
        .fetch_all(self.db.read())
        .await?)
    }

    /// Re-create a repository's link to a blob that has a row (a repair).
    pub async fn relink(&self, repo: i64, digest: &str) -> Result<bool> {
        let done = query(
            "INSERT INTO repository_blobs (repository_id, digest, created_at)
             SELECT $1, digest, $2 FROM blobs WHERE digest = $3 ON CONFLICT DO NOTHING",
        )
        .bind(repo)
        .bind(crate::now_millis())
        .bind(digest)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every blob row.
    pub async fn all_blobs(&self) -> Result<Vec<BlobRecord>> {
        Ok(
            query_as("SELECT digest, size, unreferenced_since FROM blobs ORDER BY digest")
                .fetch_all(self.db.read())
                .await?,
        )
    }

    /// Repository names by ID (for reports).
    pub async fn repository_names(&self) -> Result<Vec<RepositoryName>> {
        Ok(
            query_as("SELECT id, account_id, name FROM repositories ORDER BY id")
                .fetch_all(self.db.read())
                .await?,
        )
    }
}
