//! Upload sessions: opened, their size recorded as bytes arrive, finished (the blob recorded and
//! linked) or cancelled.

use berth_oci::Digest;

use crate::db::{query, query_as, query_scalar};

use super::blobs::LINK_BLOB;
use super::MetaStore;
use crate::{now_millis, Result};

/// An upload looked up by repository name: the repository, and the session's size there.
#[derive(sqlx::FromRow)]
struct UploadRow {
    repository_id: i64,
    size: Option<i64>,
}

impl MetaStore {
    pub async fn create_upload(&self, id: &str, repo: i64) -> Result<()> {
        let now = now_millis();
        query("INSERT INTO uploads (id, repository_id, size, started_at, updated_at) VALUES ($1, $2, 0, $3, $4)")
            .bind(id)
            .bind(repo)
            .bind(now)
            .bind(now)
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    /// Open upload `id` in repository `name` of `account` in one statement; `None` when the
    /// repository does not exist.
    pub async fn create_upload_by_name(
        &self,
        account: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<i64>> {
        let now = now_millis();
        Ok(query_scalar(
            "INSERT INTO uploads (id, repository_id, size, started_at, updated_at)
             SELECT $1, id, 0, $2, $3 FROM repositories WHERE account_id = $4 AND name = $5
             RETURNING repository_id",
        )
        .bind(id)
        .bind(now)
        .bind(now)
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.write())
        .await?)
    }

    /// Upload `id` if it belongs to repository `name` of `account`, in one query: `None` when the
    /// repository does not exist, else the repository's ID and the upload's size, `None` when no
    /// row records the upload there.
    pub async fn upload_by_repository_name(
        &self,
        account: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<(i64, Option<u64>)>> {
        let row: Option<UploadRow> = query_as(
            "SELECT r.id AS repository_id,
                    (SELECT u.size FROM uploads u WHERE u.id = $1 AND u.repository_id = r.id) AS size
             FROM repositories r WHERE r.account_id = $2 AND r.name = $3",
        )
        .bind(id)
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.map(|r| (r.repository_id, r.size.map(|s| s as u64))))
    }

    /// Record upload `id` of `repo`, `size` bytes long, when its first bytes arrive (on SQLite a
    /// session that has received nothing is held in memory only).
    pub async fn record_upload(&self, id: &str, repo: i64, size: u64) -> Result<()> {
        let now = now_millis();
        query(
            "INSERT INTO uploads (id, repository_id, size, started_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (id) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(repo)
        .bind(size as i64)
        .bind(now)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// Record the size of upload `id`; false when the session no longer exists.
    pub async fn set_upload_size(&self, id: &str, size: u64) -> Result<bool> {
        let done = query("UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3")
            .bind(size as i64)
            .bind(now_millis())
            .bind(id)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let done = query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Finish upload session `id` as blob `digest` of `size` bytes in `repo`: the session row goes
    /// and the blob is recorded and linked, in one transaction sent as one batch.
    pub async fn finish_upload(&self, id: &str, repo: i64, d: &Digest, size: u64) -> Result<()> {
        let mut tx = self.batched().await?;
        query(&format!(
            "BEGIN; {LINK_BLOB}; DELETE FROM uploads WHERE id = $5; COMMIT"
        ))
        .bind(d.to_string())
        .bind(size as i64)
        .bind(now_millis())
        .bind(repo)
        .bind(id)
        .execute(tx.conn())
        .await?;
        tx.committed();
        Ok(())
    }
}
