//! The metadata store, one module per family of tables: accounts, principals and keys
//! (`identity`), IAM's directory (`directory`), repositories, blobs and their links, uploads,
//! manifests and tags (`manifests`, `put_manifest`), ECR's image listings (`images`), policies,
//! lifecycle, and the collector's jobs (`gc`). Rows are decoded by column name into each module's
//! row structs.
//!
//! SQLite writes go through one connection (so transactions never race for the write lock),
//! reads through a pool of read-only connections; WAL lets them run side by side.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use berth_oci::Digest;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::db::{query, Batched, Db};
use crate::{MetaError, Result};

#[derive(Clone)]
pub struct MetaStore {
    pub(crate) db: Db,
}

/// A digest read from the database.
fn digest(s: &str) -> Result<Digest> {
    Digest::from_str(s).map_err(|e| MetaError::Corrupt(format!("stored digest {s:?}: {e}")))
}

/// A value of a closed set read from the database (`what` names it in the error).
fn stored<T: FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| MetaError::Corrupt(format!("stored {what} {s:?}")))
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

    async fn batched(&self) -> Result<Batched> {
        Ok(self.db.batched().await?)
    }

    /// Whether other processes share this database (PostgreSQL), so that what one node holds in
    /// memory another cannot see.
    pub fn shared(&self) -> bool {
        self.db.is_postgres()
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

mod blobs;
mod caches;
pub use caches::CacheRule;
mod copy;
mod directory;
pub use directory::{Group, ManagedPolicy, NewManagedPolicy, NewRole, Role};
mod gc;
pub use gc::{BlobRecord, BlobReference, Marked, RepositoryName};
mod identity;
mod images;
mod jobs;
mod lifecycle;
pub use lifecycle::{LifecycleEvent, LifecycleImage, LifecyclePreview, LifecycleRepository};
mod manifests;
mod policies;
pub use policies::{IdentityDocuments, PolicyOwner};
mod put_manifest;
mod replication;
pub use replication::{
    Backfill, BackfillImage, BackfillItem, CreationTemplate, Destination, ImageReplication,
    ReplicationJob, ReplicationOutcome, ReplicationRecord, Requester,
};
mod repositories;
mod scanning;
mod secrets;
pub use scanning::{ImageScan, NewAdvisory, ScanJob, ScanOutcome, StoredAdvisory, VulnImport};
pub use secrets::{
    NewVersion, SecretVersion, StoredSecret, CURRENT as SECRET_CURRENT, PREVIOUS as SECRET_PREVIOUS,
};
mod uploads;
mod usage;
pub use usage::{month_of, RepositoryUsage, StoreBytes};

#[cfg(test)]
mod tests;
