//! The SQLite backend. Writes go through one connection (so transactions never race for the write
//! lock), reads through a pool of read-only connections; WAL lets them run side by side.

use crate::values::{EncryptionType, PrincipalKind, TagMutability};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use berth_oci::Digest;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::db::{query, query_as, query_scalar, Batched, Db, DbRow};
use crate::{
    now_millis, AccessKey, Manifest, ManifestMeta, MetaError, NewManifest, Principal, Referrer,
    Repository, Result,
};

/// digest, media type, artifact type, size, body
type ReferrerRow = (String, String, Option<String>, i64, Vec<u8>);

/// Record a blob (if new) and link it to a repository: `?1` digest, `?2` size, `?3` now,
/// `?4` repository.
const LINK_BLOB: &str = "INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (digest) DO UPDATE SET unreferenced_since = NULL;
     INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($4, $1, $3)
     ON CONFLICT (repository_id, digest) DO UPDATE SET unreferenced_since = NULL";

#[derive(Clone)]
pub struct MetaStore {
    pub(crate) db: Db,
}

fn digest(s: &str) -> Result<Digest> {
    Digest::from_str(s).map_err(|e| MetaError::Corrupt(format!("stored digest {s:?}: {e}")))
}

const REPO_COLUMNS: &str = "id, account_id, name, created_at, tag_mutability, mutability_filters, scan_on_push, encryption_type, kms_key";

pub(crate) fn repo_row(r: &DbRow) -> Repository {
    let filters: Option<String> = r.get(5);
    Repository {
        id: r.get(0),
        account_id: r.get(1),
        name: r.get(2),
        created_at: r.get(3),
        // the column holds only values written from the enum
        tag_mutability: r.get::<String>(4).parse().unwrap_or(TagMutability::Mutable),
        mutability_filters: filters
            .and_then(|f| serde_json::from_str(&f).ok())
            .unwrap_or_default(),
        scan_on_push: r.get::<i64>(6) != 0,
        encryption_type: r.get::<String>(7).parse().unwrap_or(EncryptionType::Aes256),
        kms_key: r.get(8),
    }
}

const PRINCIPAL_COLUMNS: &str = "id, account_id, kind, name, unique_id, path";

fn principal_row(r: &DbRow) -> Principal {
    Principal {
        id: r.get(0),
        account_id: r.get(1),
        // the column holds only values written from the enum
        kind: r.get::<String>(2).parse().unwrap_or(PrincipalKind::User),
        name: r.get(3),
        unique_id: r.get(4),
        path: r.get(5),
    }
}

fn manifest_meta(id: i64, d: &str, media_type: String, size: i64) -> Result<ManifestMeta> {
    Ok(ManifestMeta {
        id,
        digest: digest(d)?,
        media_type,
        size: size as u64,
    })
}

/// A manifest row's columns, `$1`–`$11` of its INSERT: repository, digest, media type, artifact
/// type, subject, config, size, image size, body, push time, config media type.
fn manifest_columns(m: &NewManifest, now: i64) -> [crate::db::Arg<'_>; 11] {
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

impl MetaStore {
    /// Open (creating and migrating if needed) the database file at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000");
        // one counter per store, for the process's lifetime (a store is opened once)
        let commits: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(move |conn, _| Box::pin(crate::db::watch_commits(conn, commits)))
            .connect_with(base.clone().create_if_missing(true))
            .await?;
        {
            let mut conn = write.acquire().await?;
            crate::migrate::sqlite(&mut conn).await?;
        }
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(base.read_only(true))
            .await?;
        Ok(MetaStore {
            db: Db::Sqlite {
                read,
                write,
                commits,
            },
        })
    }

    /// How many transactions this process has committed to its SQLite database so far, counted
    /// once each is visible to readers. A result read while the count stayed the same is still
    /// current, unless another process wrote to the same file (`berth admin` on the data
    /// directory, a second server), which this does not see. `None` on PostgreSQL, where other
    /// nodes write.
    pub fn commits(&self) -> Option<u64> {
        self.db.commits()
    }

    /// Connect to PostgreSQL at `url` (`postgres://user:password@host:port/database`), creating
    /// and migrating the schema if needed. Several nodes may share the database; migrations take
    /// an advisory lock so that one node applies them.
    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        {
            let mut conn = pool.acquire().await?;
            crate::migrate::postgres(&mut conn).await?;
        }
        let locks = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await?;
        Ok(MetaStore {
            db: Db::Postgres { pool, locks },
        })
    }

    /// Open the store a `--database-url` names: `sqlite://PATH` (or a bare path) or
    /// `postgres://…`.
    pub async fn open_url(url: &str, max_connections: u32) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, max_connections).await
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Self::open_sqlite(Path::new(path)).await
        }
    }

    /// Lock blobs across the nodes sharing this database (see [`ClusterLock`]).
    pub async fn lock_blobs(&self, digests: &[&str]) -> Result<crate::ClusterLock> {
        Ok(self.db.lock_blobs(digests).await?)
    }

    /// Changes to identities and policies made through any node sharing this database; `None`
    /// on SQLite, where this process makes them all.
    pub async fn identity_changes(&self) -> Result<Option<crate::IdentityChanges>> {
        Ok(self.db.identity_changes().await?)
    }

    /// One round trip to the database (readiness checks).
    pub async fn ping(&self) -> Result<()> {
        query("SELECT 1").execute(self.db.read()).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.db.close().await;
    }

    // ---- accounts, principals, keys, settings ----

    pub async fn ensure_account(&self, id: &str) -> Result<()> {
        query("INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(now_millis())
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    pub async fn principal(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<Principal>> {
        let row = query(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = $1 AND kind = $2 AND name = $3"
        ))
        .bind(account)
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.as_ref().map(principal_row))
    }

    pub async fn principal_by_id(&self, id: i64) -> Result<Option<Principal>> {
        let row = query(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.as_ref().map(principal_row))
    }

    pub async fn create_principal(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        unique_id: &str,
    ) -> Result<Principal> {
        self.create_principal_at(account, kind, name, "/", unique_id)
            .await
    }

    /// Create a principal under an IAM path (`/`, `/ci/`).
    pub async fn create_principal_at(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
        path: &str,
        unique_id: &str,
    ) -> Result<Principal> {
        let id: i64 = query_scalar(
            "INSERT INTO principals (account_id, kind, name, path, unique_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account)
        .bind(kind.as_str())
        .bind(name)
        .bind(path)
        .bind(unique_id)
        .bind(now_millis())
        .fetch_one(self.db.write())
        .await?;
        Ok(Principal {
            id,
            account_id: account.to_string(),
            kind,
            name: name.to_string(),
            unique_id: unique_id.to_string(),
            path: path.to_string(),
        })
    }

    pub async fn insert_access_key(
        &self,
        key_id: &str,
        principal_id: i64,
        sealed: &[u8],
    ) -> Result<()> {
        query(
            "INSERT INTO access_keys (access_key_id, principal_id, secret_sealed, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(key_id)
        .bind(principal_id)
        .bind(sealed)
        .bind(now_millis())
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn access_key(&self, key_id: &str) -> Result<Option<AccessKey>> {
        let row = query(
            "SELECT k.access_key_id, k.secret_sealed, k.status, p.id, p.account_id, p.kind, p.name, p.unique_id, p.path
             FROM access_keys k JOIN principals p ON p.id = k.principal_id WHERE k.access_key_id = $1",
        )
        .bind(key_id)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.map(|r| AccessKey {
            access_key_id: r.get(0),
            secret_sealed: r.get(1),
            active: r.get::<String>(2) == "Active",
            principal: Principal {
                id: r.get(3),
                account_id: r.get(4),
                kind: r.get::<String>(5).parse().unwrap_or(PrincipalKind::User),
                name: r.get(6),
                unique_id: r.get(7),
                path: r.get(8),
            },
        }))
    }

    // ---- repositories ----

    pub async fn repository(&self, account: &str, name: &str) -> Result<Option<Repository>> {
        let row = query(&format!(
            "SELECT {REPO_COLUMNS} FROM repositories WHERE account_id = $1 AND name = $2"
        ))
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.as_ref().map(repo_row))
    }

    pub async fn create_repository(&self, account: &str, name: &str) -> Result<Repository> {
        let row = query(&format!(
            "INSERT INTO repositories (account_id, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, name) DO NOTHING RETURNING {REPO_COLUMNS}"
        ))
        .bind(account)
        .bind(name)
        .bind(now_millis())
        .fetch_optional(self.db.write())
        .await?;
        row.as_ref()
            .map(repo_row)
            .ok_or(MetaError::RepositoryExists)
    }

    /// The repository, created if it does not exist yet.
    pub async fn repository_or_create(&self, account: &str, name: &str) -> Result<Repository> {
        if let Some(r) = self.repository(account, name).await? {
            return Ok(r);
        }
        match self.create_repository(account, name).await {
            Ok(r) => Ok(r),
            Err(MetaError::RepositoryExists) => {
                let row = query(&format!(
                    "SELECT {REPO_COLUMNS} FROM repositories WHERE account_id = $1 AND name = $2"
                ))
                .bind(account)
                .bind(name)
                .fetch_one(self.db.write())
                .await?;
                Ok(repo_row(&row))
            }
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

    // ---- blobs ----

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
        let row: Option<(i64, Option<i64>, Option<bool>)> = query_as(
            "SELECT r.id, b.size, rb.unreferenced_since IS NOT NULL
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
        Ok(row
            .map(|(repo, size, marked)| (repo, size.map(|s| (s as u64, marked.unwrap_or(false))))))
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

    async fn batched(&self) -> Result<Batched> {
        Ok(self.db.batched().await?)
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

    // ---- uploads ----

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
        let row: Option<(i64, Option<i64>)> = query_as(
            "SELECT r.id, (SELECT u.size FROM uploads u WHERE u.id = $1 AND u.repository_id = r.id)
             FROM repositories r WHERE r.account_id = $2 AND r.name = $3",
        )
        .bind(id)
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        Ok(row.map(|(repository_id, size)| (repository_id, size.map(|s| s as u64))))
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

    /// Whether other processes share this database (PostgreSQL), so that what one node holds in
    /// memory another cannot see.
    pub fn shared(&self) -> bool {
        self.db.is_postgres()
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

    // ---- manifests and tags ----

    /// A manifest with its body, by tag, looked up by repository name in one query. `None` when the
    /// repository does not exist; `Some(None)` when the tag does not.
    pub async fn manifest_by_tag_name(
        &self,
        account: &str,
        name: &str,
        tag: &str,
        with_body: bool,
    ) -> Result<Option<Option<Manifest>>> {
        let body = if with_body { "m.body" } else { "NULL" };
        let row = query(&format!(
            "SELECT r.id, m.id, m.digest, m.media_type, m.size, {body}
             FROM repositories r
             LEFT JOIN tags t ON t.repository_id = r.id AND t.name = $1
             LEFT JOIN manifests m ON m.id = t.manifest_id
             WHERE r.account_id = $2 AND r.name = $3"
        ))
        .bind(tag)
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        row.map(|r| manifest_from_row(&r)).transpose()
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
        let body = if with_body { "m.body" } else { "NULL" };
        let row = query(&format!(
            "SELECT r.id, m.id, m.digest, m.media_type, m.size, {body}
             FROM repositories r
             LEFT JOIN manifests m ON m.repository_id = r.id AND m.digest = $1
             WHERE r.account_id = $2 AND r.name = $3"
        ))
        .bind(d.to_string())
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?;
        row.map(|r| manifest_from_row(&r)).transpose()
    }

    /// Store a manifest (and move its tag) after checking, in the same transaction, that every
    /// blob it needs is linked to the repository and every child manifest exists there.
    pub async fn put_manifest(&self, m: &NewManifest) -> Result<ManifestMeta> {
        if !self.db.is_postgres() {
            return self.put_manifest_sqlite(m).await;
        }
        let now = now_millis();
        let digest = m.digest.to_string();
        // Three round trips in the usual case: the insert, the check of what it references, and
        // its references with the tag and the commit.
        let mut tx = self.batched().await?;
        let inserted: Option<i64> = query_scalar(
            "BEGIN;
             INSERT INTO manifests (repository_id, digest, media_type, artifact_type, subject_digest,
                                    config_digest, size, image_size, body, pushed_at,
                                    config_media_type)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id",
        )
        .bind_all(manifest_columns(m, now))
        .fetch_optional(tx.conn())
        .await?;
        // every blob it references is linked to the repository (batches keep under SQLite's
        // variable limit)
        // On PostgreSQL, where other nodes' transactions run beside this one, the check writes the
        // links (clearing any collector's mark): a collector deleting one waits for this
        // transaction and then re-reads the row, finding it referenced, or went first and the
        // link is missing here. SQLite runs one write transaction at a time.
        let check = if self.db.is_postgres() {
            "UPDATE repository_blobs SET unreferenced_since = NULL
             WHERE repository_id = $1 AND digest IN ({}) RETURNING digest"
        } else {
            "SELECT digest FROM repository_blobs WHERE repository_id = $1 AND digest IN ({})"
        };
        for batch in m.blobs.chunks(BATCH) {
            let sql = check.replace("{}", &placeholders(2, batch.len()));
            let mut q = query_scalar::<String>(&sql).bind(m.repository_id);
            for b in batch {
                q = q.bind(b.to_string());
            }
            let linked: std::collections::HashSet<String> =
                q.fetch_all(tx.conn()).await?.into_iter().collect();
            if let Some(missing) = batch.iter().find(|b| !linked.contains(&b.to_string())) {
                tx.rollback().await?;
                return Err(MetaError::BlobUnknown(missing.clone()));
            }
        }
        // an immutable tag may only be set again to the same manifest (checked inside the
        // transaction, so two pushes cannot both move it)
        if let (Some(tag), true) = (&m.tag, m.tag_immutable) {
            if self.db.is_postgres() {
                // two nodes pushing the tag at once: one waits for the other's commit
                let key = crate::db::lock_key(&format!("tag {} {tag}", m.repository_id));
                crate::db::advisory_lock(tx.conn(), key).await?;
            }
            let current: Option<String> = query_scalar(
                "SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
                 WHERE t.repository_id = $1 AND t.name = $2",
            )
            .bind(m.repository_id)
            .bind(tag)
            .fetch_optional(tx.conn())
            .await?;
            if current.is_some_and(|c| c != digest) {
                tx.rollback().await?;
                return Err(MetaError::TagImmutable(tag.clone()));
            }
        }
        // and every child manifest is in the repository
        let mut child_ids = Vec::with_capacity(m.children.len());
        for c in &m.children {
            let id: Option<i64> =
                query_scalar("SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2")
                    .bind(m.repository_id)
                    .bind(c.to_string())
                    .fetch_optional(tx.conn())
                    .await?;
            match id {
                Some(id) => child_ids.push(id),
                None => {
                    tx.rollback().await?;
                    return Err(MetaError::ManifestUnknown(c.clone()));
                }
            }
        }
        let (id, media_type, blobs) = match inserted {
            Some(id) => (id, m.media_type.clone(), &m.blobs[..]),
            None => {
                // Same bytes already stored: keep the original row, its references and push time.
                let (id, media_type) = query_as::<(i64, String)>(
                    "SELECT id, media_type FROM manifests WHERE repository_id = $1 AND digest = $2",
                )
                .bind(m.repository_id)
                .bind(&digest)
                .fetch_one(tx.conn())
                .await?;
                (id, media_type, &[][..])
            }
        };
        if inserted.is_some() {
            for batch in child_ids.chunks(BATCH) {
                let sql = format!(
                    "INSERT INTO manifest_children (parent_id, child_id) VALUES {} ON CONFLICT DO NOTHING",
                    (0..batch.len())
                        .map(|i| format!("($1, ${})", i + 2))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let mut q = query(&sql).bind(id);
                for c in batch {
                    q = q.bind(c);
                }
                q.execute(tx.conn()).await?;
            }
        }
        // The blob references in batches, the last one sent with the tag and the commit.
        // Numbered parameters (`?1` the manifest): the text depends only on the batch's length,
        // so SQLite's prepared statements are reused.
        let mut batches: Vec<&[Digest]> = blobs.chunks(BATCH).collect();
        let last = batches.pop().unwrap_or(&[]);
        let refs_sql = |n: usize| {
            format!(
                "INSERT INTO manifest_blobs (manifest_id, digest) VALUES {} ON CONFLICT DO NOTHING",
                (0..n)
                    .map(|i| format!("($1, ${})", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        for batch in batches {
            let sql = refs_sql(batch.len());
            let mut q = query(&sql).bind(id);
            for b in batch {
                q = q.bind(b.to_string());
            }
            q.execute(tx.conn()).await?;
        }
        let mut sql = String::new();
        if !last.is_empty() {
            sql.push_str(&refs_sql(last.len()));
            sql.push_str(";\n");
        }
        if inserted.is_some() && !child_ids.is_empty() {
            // an index is as large as its largest image, as ECR counts it
            sql.push_str(
                "UPDATE manifests SET image_size = coalesce((SELECT max(c.image_size)
                   FROM manifest_children mc JOIN manifests c ON c.id = mc.child_id
                   WHERE mc.parent_id = $1), 0) WHERE id = $1;\n",
            );
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
        Ok(ManifestMeta {
            id,
            digest: m.digest.clone(),
            media_type,
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
             INSERT INTO manifests (repository_id, digest, media_type, artifact_type, subject_digest,
                                    config_digest, size, image_size, body, pushed_at,
                                    config_media_type)
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
            "SELECT m.id, m.media_type, {MISSING_BLOB}, {TAG_HELD}, {MISSING_CHILD}
             FROM (SELECT 1) LEFT JOIN manifests m ON m.repository_id = $1 AND m.digest = $2;
             COMMIT"
        ));
        let list = |ds: &[Digest]| {
            serde_json::to_string(&ds.iter().map(|d| d.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".to_string())
        };
        let mut tx = self.batched().await?;
        type Outcome = (
            Option<i64>,
            Option<String>,
            Option<String>,
            bool,
            Option<String>,
        );
        let rows = query_as::<Outcome>(&sql)
            .bind_all(manifest_columns(m, now_millis()))
            .bind(list(&m.blobs))
            .bind(list(&m.children))
            .bind(&m.tag)
            .bind(i64::from(m.tag.is_some() && m.tag_immutable))
            .fetch_all(tx.conn())
            .await?;
        tx.committed();
        let (id, media_type, missing_blob, tag_held, missing_child) = rows
            .into_iter()
            .last()
            .ok_or_else(|| MetaError::Corrupt("the manifest write read nothing back".into()))?;
        if let Some(b) = missing_blob {
            return Err(MetaError::BlobUnknown(digest(&b)?));
        }
        if tag_held {
            return Err(MetaError::TagImmutable(m.tag.clone().unwrap_or_default()));
        }
        if let Some(c) = missing_child {
            return Err(MetaError::ManifestUnknown(digest(&c)?));
        }
        match (id, media_type) {
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
            .map(|(d, media_type, artifact_type, size, body)| {
                Ok(Referrer {
                    digest: digest(&d)?,
                    media_type,
                    artifact_type,
                    size: size as u64,
                    body,
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

/// Rows per multi-row statement: well under SQLite's limit of bound variables.
const BATCH: usize = 500;

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn manifest_from_row(r: &DbRow) -> Result<Option<Manifest>> {
    let id: Option<i64> = r.get(1);
    let Some(id) = id else {
        return Ok(None);
    };
    let d: String = r.get(2);
    let body: Option<Vec<u8>> = r.get(5);
    Ok(Some(Manifest {
        meta: manifest_meta(id, &d, r.get(3), r.get(4))?,
        body: body.unwrap_or_default(),
    }))
}

mod copy;
mod directory;
pub use directory::{Group, ManagedPolicy, Role};
mod gc;
pub use gc::{month_of, Marked, RepositoryUsage};
mod identity;
mod lifecycle;
pub use lifecycle::{LifecycleEvent, LifecycleImage, LifecyclePreview};
mod images;
mod policies;
pub use policies::{IdentityDocuments, PolicyOwner};
mod repositories;

#[cfg(test)]
mod tests;
