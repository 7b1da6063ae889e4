//! Storing a manifest: the row, its references to blobs and child manifests, and its tag, after
//! checking in the same transaction that every blob it needs is linked to the repository, every
//! child manifest exists there, and an immutable tag does not move. SQLite does it in one round
//! trip; PostgreSQL, where other nodes write beside this one, in three.

use std::collections::HashSet;

use berth_oci::Digest;

use crate::db::{advisory_lock, lock_key, query, query_as, query_scalar, Arg, Batched};

use super::{digest, placeholders, MetaStore, BATCH};
use crate::{now_millis, ManifestMeta, MetaError, NewManifest, Result};

/// A manifest row's columns, `$1`–`$11` of its INSERT: repository, digest, media type, artifact
/// type, subject, config, size, image size, body, push time, config media type.
fn manifest_columns(m: &NewManifest, now: i64) -> [Arg<'_>; 11] {
    [
        m.repository_id.into(),
        m.digest.to_string().into(),
        m.media_type.as_str().into(),
        m.artifact_type.as_deref().into(),
        m.subject.as_ref().map(|s| s.to_string()).into(),
        m.config.as_ref().map(|s| s.to_string()).into(),
        (m.body.len() as i64).into(),
        (m.image_size as i64).into(),
        m.body.as_slice().into(),
        now.into(),
        m.config_media_type.as_deref().into(),
    ]
}

const INSERT_MANIFEST: &str = "INSERT INTO manifests (repository_id, digest, media_type,
        artifact_type, subject_digest, config_digest, size, image_size, body, pushed_at,
        config_media_type)";

/// An index is as large as its largest image, as ECR counts it (`$1` the index).
const INDEX_SIZE: &str = "UPDATE manifests SET image_size = coalesce((SELECT max(c.image_size)
        FROM manifest_children mc JOIN manifests c ON c.id = mc.child_id
        WHERE mc.parent_id = $1), 0) WHERE id = $1";

/// What the SQLite batch read back: the row (absent when refused and not stored before), and the
/// reasons to refuse, each NULL/false when it does not hold.
#[derive(sqlx::FromRow)]
struct Outcome {
    id: Option<i64>,
    media_type: Option<String>,
    missing_blob: Option<String>,
    tag_held: bool,
    missing_child: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StoredManifest {
    id: i64,
    media_type: String,
}

/// `INSERT INTO <table> (<a>, <b>) VALUES ($1, $2), ($1, $3), …` for `n` rows that share `$1`.
fn pairs_insert(table_columns: &str, n: usize) -> String {
    format!(
        "INSERT INTO {table_columns} VALUES {} ON CONFLICT DO NOTHING",
        (0..n)
            .map(|i| format!("($1, ${})", i + 2))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl MetaStore {
    /// Store a manifest (and move its tag) after checking, in the same transaction, that every
    /// blob it needs is linked to the repository and every child manifest exists there.
    pub async fn put_manifest(&self, m: &NewManifest) -> Result<ManifestMeta> {
        if self.db.is_postgres() {
            // PostgreSQL may end one of two transactions that lock the same links in different
            // orders (a deadlock); nothing of it was written, so it is run again
            let mut attempts = 1;
            loop {
                match self.put_manifest_postgres(m).await {
                    Err(e) if e.is_deadlock() && attempts < 3 => attempts += 1,
                    r => return r,
                }
            }
        } else {
            self.put_manifest_sqlite(m).await
        }
    }

    /// [`MetaStore::put_manifest`] on PostgreSQL: three round trips in the usual case (the
    /// insert, the check of what it references, and its references with the tag and the commit).
    async fn put_manifest_postgres(&self, m: &NewManifest) -> Result<ManifestMeta> {
        let now = now_millis();
        let mut tx = self.batched().await?;
        let inserted: Option<i64> = query_scalar(&format!(
            "BEGIN; {INSERT_MANIFEST} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id"
        ))
        .bind_all(manifest_columns(m, now))
        .fetch_optional(tx.conn())
        .await?;
        let child_ids = match check_references(&mut tx, m).await {
            Ok(ids) => ids,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        };
        let (stored, blobs) = match inserted {
            Some(id) => {
                let stored = StoredManifest {
                    id,
                    media_type: m.media_type.clone(),
                };
                (stored, &m.blobs[..])
            }
            // Same bytes already stored: keep the original row, its references and push time.
            None => {
                let stored = query_as::<StoredManifest>(
                    "SELECT id, media_type FROM manifests WHERE repository_id = $1 AND digest = $2",
                )
                .bind(m.repository_id)
                .bind(m.digest.to_string())
                .fetch_one(tx.conn())
                .await?;
                (stored, &[][..])
            }
        };
        let children = if inserted.is_some() {
            &child_ids[..]
        } else {
            &[]
        };
        write_references(tx, m, stored.id, blobs, children, now).await?;
        Ok(ManifestMeta {
            id: stored.id,
            digest: m.digest.clone(),
            media_type: stored.media_type,
            size: m.body.len() as u64,
        })
    }

    /// [`MetaStore::put_manifest`] on SQLite, in one round trip: the single writer runs one
    /// transaction at a time, so every write of the batch is made conditional on the same check
    /// (every blob linked, every child present, an immutable tag not moved elsewhere), and the
    /// batch ends by reading what happened. A refused manifest leaves nothing written.
    async fn put_manifest_sqlite(&self, m: &NewManifest) -> Result<ManifestMeta> {
        // $12 the blobs and $13 the children as JSON arrays, so that the text depends only on
        // which parts the manifest has (its prepared statements are reused) and no list can
        // exceed SQLite's variable limit.
        // The three reasons to refuse, each NULL/false when it does not hold: the first blob
        // not linked, the immutable tag held by another manifest, the first child missing.
        const MISSING_BLOB: &str = "(SELECT j.value FROM json_each($12) j WHERE NOT EXISTS (
               SELECT 1 FROM repository_blobs rb WHERE rb.repository_id = $1 AND rb.digest = j.value)
             ORDER BY j.key LIMIT 1)";
        const TAG_HELD: &str = "($15 AND EXISTS (SELECT 1 FROM tags t JOIN manifests tm
               ON tm.id = t.manifest_id WHERE t.repository_id = $1 AND t.name = $14 AND tm.digest <> $2))";
        const MISSING_CHILD: &str = "(SELECT j.value FROM json_each($13) j WHERE NOT EXISTS (
               SELECT 1 FROM manifests c WHERE c.repository_id = $1 AND c.digest = j.value)
             ORDER BY j.key LIMIT 1)";
        let ok = format!("{MISSING_BLOB} IS NULL AND NOT {TAG_HELD} AND {MISSING_CHILD} IS NULL");
        let ok = ok.as_str();
        let mut sql = format!(
            "BEGIN;
             {INSERT_MANIFEST}
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE {ok}
             ON CONFLICT (repository_id, digest) DO NOTHING;
             INSERT INTO manifest_blobs (manifest_id, digest)
             SELECT m.id, j.value FROM manifests m, json_each($12) j
             WHERE m.repository_id = $1 AND m.digest = $2 AND {ok}
             ON CONFLICT DO NOTHING;\n"
        );
        // The references are the same whenever the same bytes are pushed again, so writing them
        // again changes nothing; the original row keeps its push time.
        if !m.children.is_empty() {
            sql.push_str(&format!(
                "INSERT INTO manifest_children (parent_id, child_id)
                 SELECT p.id, c.id FROM manifests p JOIN manifests c ON c.repository_id = p.repository_id
                 WHERE p.repository_id = $1 AND p.digest = $2
                   AND c.digest IN (SELECT value FROM json_each($13)) AND {ok}
                 ON CONFLICT DO NOTHING;
                 UPDATE manifests SET image_size = coalesce((SELECT max(c.image_size)
                   FROM manifest_children mc JOIN manifests c ON c.id = mc.child_id
                   WHERE mc.parent_id = manifests.id), 0)
                 WHERE repository_id = $1 AND digest = $2 AND {ok};\n"
            ));
        }
        if m.tag.is_some() {
            sql.push_str(&format!(
                "INSERT INTO tags (repository_id, name, manifest_id, updated_at)
                 SELECT $1, $14, id, $10 FROM manifests WHERE repository_id = $1 AND digest = $2 AND {ok}
                 ON CONFLICT (repository_id, name)
                 DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at;\n"
            ));
        }
        // what happened: the row (absent when refused and not stored before), and the first
        // reason to refuse, in the order the checks are reported
        sql.push_str(&format!(
            "SELECT m.id, m.media_type, {MISSING_BLOB} AS missing_blob, {TAG_HELD} AS tag_held,
                    {MISSING_CHILD} AS missing_child
             FROM (SELECT 1) LEFT JOIN manifests m ON m.repository_id = $1 AND m.digest = $2;
             COMMIT"
        ));
        let list = |ds: &[Digest]| {
            serde_json::to_string(&ds.iter().map(|d| d.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".to_string())
        };
        let mut tx = self.batched().await?;
        let rows = query_as::<Outcome>(&sql)
            .bind_all(manifest_columns(m, now_millis()))
            .bind(list(&m.blobs))
            .bind(list(&m.children))
            .bind(&m.tag)
            .bind(i64::from(m.tag.is_some() && m.tag_immutable))
            .fetch_all(tx.conn())
            .await?;
        tx.committed();
        let outcome = rows
            .into_iter()
            .last()
            .ok_or_else(|| MetaError::Corrupt("the manifest write read nothing back".into()))?;
        if let Some(b) = outcome.missing_blob {
            return Err(MetaError::BlobUnknown(digest(&b)?));
        }
        if outcome.tag_held {
            return Err(MetaError::TagImmutable(m.tag.clone().unwrap_or_default()));
        }
        if let Some(c) = outcome.missing_child {
            return Err(MetaError::ManifestUnknown(digest(&c)?));
        }
        match (outcome.id, outcome.media_type) {
            (Some(id), Some(media_type)) => Ok(ManifestMeta {
                id,
                digest: m.digest.clone(),
                media_type,
                size: m.body.len() as u64,
            }),
            _ => Err(MetaError::Corrupt(format!(
                "manifest {} was neither stored nor refused",
                m.digest
            ))),
        }
    }
}

/// In a PostgreSQL transaction: every blob `m` references is linked to the repository, an
/// immutable tag is not held by another manifest, and every child manifest is in the repository
/// (whose IDs it returns).
///
/// Other nodes' transactions run beside this one, so the check writes the links (clearing any
/// collector's mark): a collector deleting one waits for this transaction and then re-reads the
/// row, finding it referenced, or went first and the link is missing here.
async fn check_references(tx: &mut Batched, m: &NewManifest) -> Result<Vec<i64>> {
    for batch in m.blobs.chunks(BATCH) {
        let sql = format!(
            "UPDATE repository_blobs SET unreferenced_since = NULL
             WHERE repository_id = $1 AND digest IN ({}) RETURNING digest",
            placeholders(2, batch.len())
        );
        let mut q = query_scalar::<String>(&sql).bind(m.repository_id);
        for b in batch {
            q = q.bind(b.to_string());
        }
        let linked: HashSet<String> = q.fetch_all(tx.conn()).await?.into_iter().collect();
        if let Some(missing) = batch.iter().find(|b| !linked.contains(&b.to_string())) {
            return Err(MetaError::BlobUnknown(missing.clone()));
        }
    }
    if let (Some(tag), true) = (&m.tag, m.tag_immutable) {
        // two nodes pushing the tag at once: one waits for the other's commit
        advisory_lock(
            tx.conn(),
            lock_key(&format!("tag {} {tag}", m.repository_id)),
        )
        .await?;
        let current: Option<String> = query_scalar(
            "SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
             WHERE t.repository_id = $1 AND t.name = $2",
        )
        .bind(m.repository_id)
        .bind(tag)
        .fetch_optional(tx.conn())
        .await?;
        if current.is_some_and(|c| c != m.digest.to_string()) {
            return Err(MetaError::TagImmutable(tag.clone()));
        }
    }
    let mut child_ids = Vec::with_capacity(m.children.len());
    for c in &m.children {
        let id: Option<i64> =
            query_scalar("SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2")
                .bind(m.repository_id)
                .bind(c.to_string())
                .fetch_optional(tx.conn())
                .await?;
        child_ids.push(id.ok_or_else(|| MetaError::ManifestUnknown(c.clone()))?);
    }
    Ok(child_ids)
}

/// In a PostgreSQL transaction, and committing it: the references of manifest `id` to its
/// `children` and `blobs` (in batches, the last one sent with the tag and the commit), its size
/// when it is an index, and `m`'s tag. Numbered parameters (`$1` the manifest): a statement's
/// text depends only on its batch's length, so prepared statements are reused.
async fn write_references(
    mut tx: Batched,
    m: &NewManifest,
    id: i64,
    blobs: &[Digest],
    children: &[i64],
    now: i64,
) -> Result<()> {
    for batch in children.chunks(BATCH) {
        let sql = pairs_insert("manifest_children (parent_id, child_id)", batch.len());
        let mut q = query(&sql).bind(id);
        for c in batch {
            q = q.bind(c);
        }
        q.execute(tx.conn()).await?;
    }
    let mut batches: Vec<&[Digest]> = blobs.chunks(BATCH).collect();
    let last = batches.pop().unwrap_or(&[]);
    for batch in batches {
        let sql = pairs_insert("manifest_blobs (manifest_id, digest)", batch.len());
        let mut q = query(&sql).bind(id);
        for b in batch {
            q = q.bind(b.to_string());
        }
        q.execute(tx.conn()).await?;
    }
    let mut sql = String::new();
    if !last.is_empty() {
        sql.push_str(&pairs_insert(
            "manifest_blobs (manifest_id, digest)",
            last.len(),
        ));
        sql.push_str(";\n");
    }
    if !children.is_empty() {
        sql.push_str(INDEX_SIZE);
        sql.push_str(";\n");
    }
    let n = last.len() + 2;
    if m.tag.is_some() {
        sql.push_str(&format!(
            "INSERT INTO tags (repository_id, name, manifest_id, updated_at)
             VALUES (${n}, ${}, $1, ${})
             ON CONFLICT (repository_id, name)
             DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at;\n",
            n + 1,
            n + 2
        ));
    }
    sql.push_str("COMMIT");
    let mut q = query(&sql).bind(id);
    for b in last {
        q = q.bind(b.to_string());
    }
    if let Some(tag) = &m.tag {
        q = q.bind(m.repository_id).bind(tag).bind(now);
    }
    q.execute(tx.conn()).await?;
    tx.committed();
    Ok(())
}
