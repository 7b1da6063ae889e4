//! A small forward-only migrator: each migration runs once, in order, in its own transaction.

use sqlx::{PgConnection, SqliteConnection};

use crate::Result;

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_ecr.sql")),
    (3, include_str!("../migrations/sqlite/0003_images.sql")),
    (4, include_str!("../migrations/sqlite/0004_policies.sql")),
    (5, include_str!("../migrations/sqlite/0005_lifecycle.sql")),
    (6, include_str!("../migrations/sqlite/0006_gc.sql")),
    (7, include_str!("../migrations/sqlite/0007_jobs.sql")),
    (8, include_str!("../migrations/sqlite/0008_scanning.sql")),
    (9, include_str!("../migrations/sqlite/0009_replication.sql")),
    (
        10,
        include_str!("../migrations/sqlite/0010_secrets_and_caches.sql"),
    ),
    (
        11,
        include_str!("../migrations/sqlite/0011_replication_outcomes.sql"),
    ),
];

const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_ecr.sql")),
    (3, include_str!("../migrations/postgres/0003_images.sql")),
    (4, include_str!("../migrations/postgres/0004_policies.sql")),
    (5, include_str!("../migrations/postgres/0005_lifecycle.sql")),
    (6, include_str!("../migrations/postgres/0006_gc.sql")),
    (7, include_str!("../migrations/postgres/0007_jobs.sql")),
    (8, include_str!("../migrations/postgres/0008_notify.sql")),
    (9, include_str!("../migrations/postgres/0009_scanning.sql")),
    (
        10,
        include_str!("../migrations/postgres/0010_replication.sql"),
    ),
    (
        11,
        include_str!("../migrations/postgres/0011_secrets_and_caches.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_replication_outcomes.sql"),
    ),
];

/// The advisory lock that serialises nodes migrating one PostgreSQL database.
const PG_MIGRATION_LOCK: i64 = 0x6265_7274_685f_6d67; // "berth_mg"

pub(crate) async fn postgres(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(PG_MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    let applied = postgres_locked(conn).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(PG_MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    applied?;
    unlocked?;
    Ok(())
}

async fn postgres_locked(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for (version, sql) in POSTGRES {
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        if done.is_some() {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(crate::now_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied metadata migration");
    }
    Ok(())
}

pub(crate) async fn sqlite(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for (version, sql) in SQLITE {
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        if done.is_some() {
            continue;
        }
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let applied = async {
            sqlx::raw_sql(sql).execute(&mut *conn).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
                .bind(version)
                .bind(crate::now_millis())
                .execute(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>(())
        }
        .await;
        match applied {
            Ok(()) => {
                sqlx::query("COMMIT").execute(&mut *conn).await?;
                tracing::info!(version, "applied metadata migration");
            }
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                return Err(e.into());
            }
        }
    }
    Ok(())
}
