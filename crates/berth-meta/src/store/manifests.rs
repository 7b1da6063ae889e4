//! Manifests and tags as `/v2/` reads and changes them: lookups by tag or digest (with the
//! repository, in one query), tag removal and listing, referrers, and pull times. Storing a
//! manifest is [`put_manifest`](super::put_manifest).

use berth_oci::Digest;

use crate::db::{query, query_as, query_scalar};

use super::{digest, MetaStore};
use crate::{Manifest, ManifestMeta, MetaError, Referrer, Result};

/// The manifest a tag or digest names in a repository found by name (one row when the repository
/// exists; all `None` when the manifest does not); `body` is NULL unless asked for.
#[derive(sqlx::FromRow)]
struct ManifestRow {
    id: Option<i64>,
    digest: Option<String>,
    media_type: Option<String>,
    size: Option<i64>,
    body: Option<Vec<u8>>,
}

impl ManifestRow {
    fn into_manifest(self) -> Result<Option<Manifest>> {
        let (Some(id), Some(d), Some(media_type), Some(size)) =
            (self.id, self.digest, self.media_type, self.size)
        else {
            return Ok(None);
        };
        Ok(Some(Manifest {
            meta: ManifestMeta {
                id,
                digest: digest(&d)?,
                media_type,
                size: size as u64,
            },
            body: self.body.unwrap_or_default(),
        }))
    }
}

#[derive(sqlx::FromRow)]
struct ReferrerRow {
    digest: String,
    media_type: String,
    artifact_type: Option<String>,
    size: i64,
    body: Vec<u8>,
}

impl MetaStore {
    /// A manifest with its body, by tag, looked up by repository name in one query. `None` when the
    /// repository does not exist; `Some(None)` when the tag does not.
    pub async fn manifest_by_tag_name(
        &self,
        account: &str,
        name: &str,
        tag: &str,
        with_body: bool,
    ) -> Result<Option<Option<Manifest>>> {
        const BY_TAG: &str = "LEFT JOIN tags t ON t.repository_id = r.id AND t.name = $1
             LEFT JOIN manifests m ON m.id = t.manifest_id";
        self.manifest_by_name(account, name, BY_TAG, tag, with_body)
            .await
    }

    /// A manifest by digest, looked up by repository name in one query (see
    /// [`MetaStore::manifest_by_tag_name`]).
    pub async fn manifest_by_digest_name(
        &self,
        account: &str,
        name: &str,
        d: &Digest,
        with_body: bool,
    ) -> Result<Option<Option<Manifest>>> {
        const BY_DIGEST: &str = "LEFT JOIN manifests m ON m.repository_id = r.id AND m.digest = $1";
        self.manifest_by_name(account, name, BY_DIGEST, &d.to_string(), with_body)
            .await
    }

    /// The manifest that `joins` (of `repositories r`, to `manifests m`, with `$1` the key)
    /// find in repository `name` of `account`.
    async fn manifest_by_name(
        &self,
        account: &str,
        name: &str,
        joins: &str,
        key: &str,
        with_body: bool,
    ) -> Result<Option<Option<Manifest>>> {
        let body = if with_body { "m.body" } else { "NULL" };
        let row = query_as::<ManifestRow>(&format!(
            "SELECT m.id, m.digest, m.media_type, m.size, {body} AS body
             FROM repositories r {joins}
             WHERE r.account_id = $2 AND r.name = $3"
        ))
        .bind(key)
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        row.map(ManifestRow::into_manifest).transpose()
    }

    /// Delete a manifest and its tags. Refused while an index of the repository references it.
    /// Returns whether it existed.
    pub async fn delete_manifest(&self, repo: i64, d: &Digest) -> Result<bool> {
        match self.delete_image_digest(repo, d).await? {
            crate::ImageDeletion::Deleted { .. } => Ok(true),
            crate::ImageDeletion::NotFound => Ok(false),
            crate::ImageDeletion::ReferencedByIndex => Err(MetaError::ReferencedByIndex),
        }
    }

    /// Remove a tag (the manifest stays). Returns whether it existed.
    pub async fn delete_tag(&self, repo: i64, tag: &str) -> Result<bool> {
        let done = query("DELETE FROM tags WHERE repository_id = $1 AND name = $2")
            .bind(repo)
            .bind(tag)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Tags of a repository after `after`, in byte order.
    pub async fn list_tags(
        &self,
        repo: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>> {
        Ok(query_scalar(
            "SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(repo)
        .bind(after.unwrap_or(""))
        .bind(limit as i64)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Manifests of a repository whose subject is `subject`, optionally of one artifact type, in
    /// digest order.
    pub async fn referrers(
        &self,
        repo: i64,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Referrer>> {
        let rows: Vec<ReferrerRow> = query_as(
            "SELECT digest, media_type, artifact_type, size, body FROM manifests
             WHERE repository_id = $1 AND subject_digest = $2 AND ($3 IS NULL OR artifact_type = $4)
             ORDER BY digest",
        )
        .bind(repo)
        .bind(subject.to_string())
        .bind(artifact_type)
        .bind(artifact_type)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Referrer {
                    digest: digest(&r.digest)?,
                    media_type: r.media_type,
                    artifact_type: r.artifact_type,
                    size: r.size as u64,
                    body: r.body,
                })
            })
            .collect()
    }

    /// Record pull times, in one transaction: `(manifest id, epoch ms)`.
    pub async fn record_pulls(&self, pulls: &[(i64, i64)]) -> Result<()> {
        if pulls.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for (id, at) in pulls {
            query("UPDATE manifests SET last_pulled_at = $1 WHERE id = $2 AND coalesce(last_pulled_at, 0) < $1")
                .bind(at)
                .bind(id)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `last_pulled_at` of a manifest (for tests and, later, DescribeImages).
    pub async fn last_pulled_at(&self, repo: i64, d: &Digest) -> Result<Option<i64>> {
        Ok(query_scalar(
            "SELECT last_pulled_at FROM manifests WHERE repository_id = $1 AND digest = $2",
        )
        .bind(repo)
        .bind(d.to_string())
        .fetch_optional(self.db.read())
        .await?
        .flatten())
    }
}
