//! Images as the ECR control plane sees them: listings of image identifiers and details, paged,
//! and deletion by tag or digest with ECR's semantics.

use crate::db::{query, query_as, query_scalar};
use berth_oci::Digest;

use super::{digest, placeholders, MetaStore};
use crate::{ImageDeletion, ImageDetail, MetaError, Result, TagStatus};

const DETAIL_COLUMNS: &str = "m.id, m.digest, m.media_type, m.config_media_type, m.artifact_type,
     m.subject_digest, m.image_size, m.pushed_at, m.last_pulled_at";

fn tag_condition(status: TagStatus) -> &'static str {
    match status {
        TagStatus::Tagged => "AND EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)",
        TagStatus::Untagged => "AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)",
        TagStatus::Any => "",
    }
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: i64,
    digest: String,
    media_type: String,
    config_media_type: Option<String>,
    artifact_type: Option<String>,
    subject_digest: Option<String>,
    image_size: i64,
    pushed_at: i64,
    last_pulled_at: Option<i64>,
}

impl TryFrom<DetailRow> for ImageDetail {
    type Error = MetaError;

    fn try_from(r: DetailRow) -> Result<ImageDetail> {
        Ok(ImageDetail {
            id: r.id,
            digest: digest(&r.digest)?,
            tags: Vec::new(),
            media_type: r.media_type,
            config_media_type: r.config_media_type,
            artifact_type: r.artifact_type,
            subject: r.subject_digest.as_deref().map(digest).transpose()?,
            image_size: r.image_size as u64,
            pushed_at: r.pushed_at,
            last_pulled_at: r.last_pulled_at,
        })
    }
}

impl MetaStore {
    /// Image identifiers of a repository in (digest, tag) order after `after`: one per tag, and
    /// one with no tag for each untagged manifest (as ECR's ListImages).
    pub async fn image_ids_page(
        &self,
        repo: i64,
        status: TagStatus,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<(Digest, Option<String>)>> {
        let filter = match status {
            TagStatus::Tagged => "AND t.name IS NOT NULL",
            TagStatus::Untagged => "AND t.name IS NULL",
            TagStatus::Any => "",
        };
        let (after_digest, after_tag) = after.unwrap_or(("", ""));
        let rows: Vec<(String, Option<String>)> = query_as(&format!(
            "SELECT m.digest, t.name FROM manifests m
             LEFT JOIN tags t ON t.manifest_id = m.id
             WHERE m.repository_id = $1 {filter}
               AND (m.digest > $2 OR (m.digest = $2 AND coalesce(t.name, '') > $3))
             ORDER BY m.digest, coalesce(t.name, '') LIMIT $4"
        ))
        .bind(repo)
        .bind(after_digest)
        .bind(after_tag)
        .bind(limit as i64)
        .fetch_all(self.db.read())
        .await?;
        rows.into_iter()
            .map(|(d, t)| Ok((digest(&d)?, t)))
            .collect()
    }

    /// Images of a repository in digest order after `after`, with their tags.
    pub async fn images_page(
        &self,
        repo: i64,
        status: TagStatus,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ImageDetail>> {
        let rows: Vec<DetailRow> = query_as(&format!(
            "SELECT {DETAIL_COLUMNS} FROM manifests m
             WHERE m.repository_id = $1 AND m.digest > $2 {}
             ORDER BY m.digest LIMIT $3",
            tag_condition(status)
        ))
        .bind(repo)
        .bind(after.unwrap_or(""))
        .bind(limit as i64)
        .fetch_all(self.db.read())
        .await?;
        let mut images = rows
            .into_iter()
            .map(ImageDetail::try_from)
            .collect::<Result<Vec<_>>>()?;
        self.fill_tags(&mut images).await?;
        Ok(images)
    }

    /// One image by digest, with its tags.
    pub async fn image_by_digest(&self, repo: i64, d: &Digest) -> Result<Option<ImageDetail>> {
        let row = query_as(&format!(
            "SELECT {DETAIL_COLUMNS} FROM manifests m WHERE m.repository_id = $1 AND m.digest = $2"
        ))
        .bind(repo)
        .bind(d.to_string())
        .fetch_optional(self.db.read())
        .await?;
        self.one_image(row).await
    }

    /// The image a tag names, with all its tags.
    pub async fn image_by_tag(&self, repo: i64, tag: &str) -> Result<Option<ImageDetail>> {
        let row = query_as(&format!(
            "SELECT {DETAIL_COLUMNS} FROM tags t JOIN manifests m ON m.id = t.manifest_id
             WHERE t.repository_id = $1 AND t.name = $2"
        ))
        .bind(repo)
        .bind(tag)
        .fetch_optional(self.db.read())
        .await?;
        self.one_image(row).await
    }

    async fn one_image(&self, row: Option<DetailRow>) -> Result<Option<ImageDetail>> {
        let Some(row) = row else {
            return Ok(None);
        };
        let mut images = vec![ImageDetail::try_from(row)?];
        self.fill_tags(&mut images).await?;
        Ok(images.pop())
    }

    async fn fill_tags(&self, images: &mut [ImageDetail]) -> Result<()> {
        if images.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT manifest_id, name FROM tags WHERE manifest_id IN ({}) ORDER BY name",
            placeholders(1, images.len())
        );
        let mut q = query_as::<(i64, String)>(&sql);
        for i in images.iter() {
            q = q.bind(i.id);
        }
        for (id, name) in q.fetch_all(self.db.read()).await? {
            if let Some(i) = images.iter_mut().find(|i| i.id == id) {
                i.tags.push(name);
            }
        }
        Ok(())
    }

    /// Whether a manifest of the repository references blob `d` (a layer that is part of an
    /// image, as opposed to one only uploaded).
    pub async fn blob_in_image(&self, repo: i64, d: &Digest) -> Result<bool> {
        let found: Option<i64> = query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
             WHERE m.repository_id = $1 AND mb.digest = $2 LIMIT 1",
        )
        .bind(repo)
        .bind(d.to_string())
        .fetch_optional(self.db.read())
        .await?;
        Ok(found.is_some())
    }

    /// Delete a tag as ECR's BatchDeleteImage does: the tag alone while the image has others (or
    /// an index lists it), else the image with it.
    pub async fn delete_image_tag(&self, repo: i64, tag: &str) -> Result<ImageDeletion> {
        let mut tx = self.db.begin().await?;
        let row: Option<(i64, String)> = query_as(
            "SELECT m.id, m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
             WHERE t.repository_id = $1 AND t.name = $2",
        )
        .bind(repo)
        .bind(tag)
        .fetch_optional(tx.conn())
        .await?;
        let Some((id, d)) = row else {
            return Ok(ImageDeletion::NotFound);
        };
        let (others, listed): (i64, bool) = query_as(
            "SELECT (SELECT count(*) FROM tags WHERE manifest_id = $1 AND name <> $2),
                    EXISTS (SELECT 1 FROM manifest_children WHERE child_id = $1)",
        )
        .bind(id)
        .bind(tag)
        .fetch_one(tx.conn())
        .await?;
        let manifest_deleted = others == 0 && !listed;
        if manifest_deleted {
            query("DELETE FROM manifests WHERE id = $1")
                .bind(id)
                .execute(tx.conn())
                .await?;
        } else {
            query("DELETE FROM tags WHERE repository_id = $1 AND name = $2")
                .bind(repo)
                .bind(tag)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(ImageDeletion::Deleted {
            digest: digest(&d)?,
            tags: vec![tag.to_string()],
            manifest_deleted,
        })
    }

    /// Delete an image by digest, with all its tags. Refused while an index of the repository
    /// lists it.
    pub async fn delete_image_digest(&self, repo: i64, d: &Digest) -> Result<ImageDeletion> {
        let mut tx = self.db.begin().await?;
        let id: Option<i64> =
            query_scalar("SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2")
                .bind(repo)
                .bind(d.to_string())
                .fetch_optional(tx.conn())
                .await?;
        let Some(id) = id else {
            return Ok(ImageDeletion::NotFound);
        };
        let listed: Option<i64> = query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM manifest_children WHERE child_id = $1 LIMIT 1",
        )
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        if listed.is_some() {
            return Ok(ImageDeletion::ReferencedByIndex);
        }
        let tags: Vec<String> =
            query_scalar("SELECT name FROM tags WHERE manifest_id = $1 ORDER BY name")
                .bind(id)
                .fetch_all(tx.conn())
                .await?;
        let done = query("DELETE FROM manifests WHERE id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(MetaError::Corrupt(format!("manifest {d} vanished")));
        }
        tx.commit().await?;
        Ok(ImageDeletion::Deleted {
            digest: d.clone(),
            tags,
            manifest_deleted: true,
        })
    }
}
