//! One query API over both backends. Statements are written once, with numbered `$N` parameters
//! (which SQLite and PostgreSQL both take); values are bound to a backend-neutral list and the
//! statement runs on the native driver of the store's backend, whose rows decode natively (no
//! `Any` conversion of every value on the hot paths).
//!
//! A text of several statements (`BEGIN; …; COMMIT`) is sent to SQLite as one batch. PostgreSQL
//! prepares one statement at a time, so there it is split and each statement is sent with the
//! parameters it names (their types are declared, so unreferenced ones are allowed).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Decode, FromRow, Postgres, Sqlite, Type};

/// What a PostgreSQL batch returns (rows changed by the last statement, or its rows), boxed.
type PgRun<'a> = Pin<Box<dyn Future<Output = sqlx::Result<(u64, Vec<PgRow>)>> + Send + 'a>>;

/// The store's pools.
#[derive(Clone)]
pub(crate) enum Db {
    /// One writer connection (so transactions never race for SQLite's write lock) and a pool of
    /// read-only connections; `commits` counts the writer's commits (see [`watch_commits`]).
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        commits: &'static AtomicU64,
    },
    /// The pool, and a small one whose connections hold blob locks (so that holders waiting
    /// for the main pool cannot starve it).
    Postgres { pool: PgPool, locks: PgPool },
}

impl Db {
    pub(crate) fn read(&self) -> Conn<'_> {
        match self {
            Db::Sqlite { read, .. } => Conn::SqlitePool(read),
            Db::Postgres { pool: p, .. } => Conn::PgPool(p),
        }
    }

    pub(crate) fn write(&self) -> Conn<'_> {
        match self {
            Db::Sqlite { write, .. } => Conn::SqliteWriter(write),
            Db::Postgres { pool: p, .. } => Conn::PgPool(p),
        }
    }

    /// How many transactions this process has committed to the database, when every change
    /// to it is made through this store (SQLite); `None` on PostgreSQL, which other nodes write.
    pub(crate) fn commits(&self) -> Option<u64> {
        match self {
            Db::Sqlite { commits, .. } => Some(commits.load(Ordering::Acquire)),
            Db::Postgres { .. } => None,
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres { .. })
    }

    /// A transaction on the writer.
    pub(crate) async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Postgres { pool: p, .. } => Tx::Postgres(p.begin().await?),
        })
    }

    /// A writer connection for a transaction sent as batches of statements (see [`Batched`]).
    pub(crate) async fn batched(&self) -> sqlx::Result<Batched> {
        Ok(Batched {
            conn: match self {
                Db::Sqlite { write, .. } => PooledConn::Sqlite(write.acquire().await?),
                Db::Postgres { pool: p, .. } => PooledConn::Postgres(p.acquire().await?),
            },
            finished: false,
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres { pool, locks } => {
                locks.close().await;
                pool.close().await;
            }
        }
    }
}

/// Frames after which the WAL hook checkpoints: SQLite's own default (`wal_autocheckpoint`),
/// which installing a hook replaces.
const AUTOCHECKPOINT_FRAMES: i32 = 1000;

/// Count every commit of the SQLite connection `conn` in `commits`, once it is durable and
/// visible to readers: SQLite calls a connection's WAL hook after each commit, with the write
/// lock released. A result read while the count stayed the same is still current, which is
/// what lets callers cache query results.
///
/// SQLite calls the hook when a statement's last step commits; a statement reset before its
/// end commits in the reset, without the hook. So every statement on the writer is run to its
/// end ([`Query::fetch_optional`] reads all rows there).
///
/// The hook replaces SQLite's automatic checkpointing (itself a WAL hook), so it checkpoints
/// the same way: passively, once the log holds [`AUTOCHECKPOINT_FRAMES`] frames.
pub(crate) async fn watch_commits(
    conn: &mut SqliteConnection,
    commits: &'static AtomicU64,
) -> sqlx::Result<()> {
    use std::ffi::{c_char, c_int, c_void};

    unsafe extern "C" fn on_commit(
        arg: *mut c_void,
        db: *mut libsqlite3_sys::sqlite3,
        schema: *const c_char,
        frames: c_int,
    ) -> c_int {
        // SAFETY: `arg` is the `&'static AtomicU64` given below, valid for the whole process.
        let commits = unsafe { &*(arg as *const AtomicU64) };
        commits.fetch_add(1, Ordering::Release);
        if frames >= AUTOCHECKPOINT_FRAMES {
            // SAFETY: called by SQLite on this connection's thread with its own handle and
            // schema name, as its default hook does; a busy checkpoint is retried next time.
            unsafe {
                libsqlite3_sys::sqlite3_wal_checkpoint(db, schema);
            }
        }
        libsqlite3_sys::SQLITE_OK
    }

    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this open connection's handle, held locked while the hook is installed;
    // the hook's argument lives for the whole process.
    unsafe {
        libsqlite3_sys::sqlite3_wal_hook(
            db,
            Some(on_commit),
            commits as *const AtomicU64 as *mut c_void,
        );
    }
    Ok(())
}

/// Blob locks across every node sharing the database: PostgreSQL advisory locks held by a
/// transaction, so that they go with it (and with the connection, if the node dies). On SQLite
/// one process owns the database, and its in-process locks suffice: nothing is held.
pub struct ClusterLock {
    _tx: Option<sqlx::Transaction<'static, Postgres>>,
}

impl Db {
    /// Lock blobs by digest, in a fixed order (so that two holders of several cannot deadlock),
    /// waiting for other nodes' holders.
    pub(crate) async fn lock_blobs(&self, digests: &[&str]) -> sqlx::Result<ClusterLock> {
        let Db::Postgres { locks, .. } = self else {
            return Ok(ClusterLock { _tx: None });
        };
        let mut keys: Vec<i64> = digests.iter().map(|d| lock_key(d)).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut tx = locks.begin().await?;
        for k in keys {
            advisory_lock(Conn::Postgres(&mut tx), k).await?;
        }
        Ok(ClusterLock { _tx: Some(tx) })
    }
}

/// Take PostgreSQL's transaction-scoped advisory lock `key`, waiting for its holder.
pub(crate) async fn advisory_lock(c: Conn<'_>, key: i64) -> sqlx::Result<()> {
    query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}

/// An advisory lock key: FNV-1a of a name (a blob's digest).
pub(crate) fn lock_key(digest: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in digest.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Notifications of identity and policy changes made by any node (PostgreSQL's `berth_iam`
/// channel, fed by triggers).
pub struct IdentityChanges {
    listener: sqlx::postgres::PgListener,
}

impl IdentityChanges {
    /// Wait for the next change. `Ok(false)` when the connection was lost meanwhile (it is
    /// re-established on the next call): changes may have been missed.
    pub async fn next(&mut self) -> sqlx::Result<bool> {
        Ok(self.listener.try_recv().await?.is_some())
    }
}

impl Db {
    pub(crate) async fn identity_changes(&self) -> sqlx::Result<Option<IdentityChanges>> {
        let Db::Postgres { pool, .. } = self else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen("berth_iam").await?;
        Ok(Some(IdentityChanges { listener }))
    }
}

/// Where a statement runs.
pub(crate) enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    /// The SQLite writer's pool (one connection): see [`Query::fetch_optional`].
    SqliteWriter(&'c SqlitePool),
    PgPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Either kind of transaction, for helpers that run inside one.
pub(crate) trait InTx {
    fn conn(&mut self) -> Conn<'_>;
}

impl InTx for Tx {
    fn conn(&mut self) -> Conn<'_> {
        Tx::conn(self)
    }
}

impl InTx for Batched {
    fn conn(&mut self) -> Conn<'_> {
        Batched::conn(self)
    }
}

/// A transaction; rolled back when dropped unfinished.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub(crate) async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }

    pub(crate) async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A write transaction sent as few batches of statements, each batch one round trip to SQLite's
/// worker thread (where `begin()`, every statement and `commit()` would each be one): the first
/// batch starts with `BEGIN;`, the last ends with `; COMMIT`. Dropped before it is finished (an
/// error, or the request's future cancelled midway) its connection is closed instead of going back
/// to the pool, which rolls the transaction back.
pub(crate) struct Batched {
    conn: PooledConn,
    finished: bool,
}

impl Batched {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.conn {
            PooledConn::Sqlite(c) => Conn::Sqlite(c),
            PooledConn::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// The last batch ended with `COMMIT` and succeeded.
    pub(crate) fn committed(mut self) {
        self.finished = true;
    }

    pub(crate) async fn rollback(mut self) -> sqlx::Result<()> {
        query("ROLLBACK").execute(self.conn()).await?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Batched {
    fn drop(&mut self) {
        if !self.finished {
            match &mut self.conn {
                PooledConn::Sqlite(c) => c.close_on_drop(),
                PooledConn::Postgres(c) => c.close_on_drop(),
            }
        }
    }
}

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'q> {
    I64(Option<i64>),
    Str(Option<&'q str>),
    String(Option<String>),
    Bytes(&'q [u8]),
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<&Option<i64>> for Arg<'_> {
    fn from(v: &Option<i64>) -> Self {
        Arg::I64(*v)
    }
}
impl From<&i64> for Arg<'_> {
    fn from(v: &i64) -> Self {
        Arg::I64(Some(*v))
    }
}
impl<'q> From<&'q str> for Arg<'q> {
    fn from(v: &'q str) -> Self {
        Arg::Str(Some(v))
    }
}
impl<'q> From<&'q String> for Arg<'q> {
    fn from(v: &'q String) -> Self {
        Arg::Str(Some(v))
    }
}
impl<'q> From<&&'q str> for Arg<'q> {
    fn from(v: &&'q str) -> Self {
        Arg::Str(Some(v))
    }
}
impl<'q> From<Option<&'q str>> for Arg<'q> {
    fn from(v: Option<&'q str>) -> Self {
        Arg::Str(v)
    }
}
impl<'q> From<&'q Option<String>> for Arg<'q> {
    fn from(v: &'q Option<String>) -> Self {
        Arg::Str(v.as_deref())
    }
}
impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::String(Some(v))
    }
}
impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::String(v)
    }
}
impl<'q> From<&'q [u8]> for Arg<'q> {
    fn from(v: &'q [u8]) -> Self {
        Arg::Bytes(v)
    }
}
impl<'q> From<&'q Vec<u8>> for Arg<'q> {
    fn from(v: &'q Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// A statement (or a batch of them) with its values.
pub(crate) struct Query<'q> {
    sql: &'q str,
    args: Vec<Arg<'q>>,
}

pub(crate) fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// A statement whose rows decode as `T` (a tuple, on either backend).
pub(crate) fn query_as<T>(sql: &str) -> QueryAs<'_, T> {
    QueryAs {
        q: query(sql),
        _t: PhantomData,
    }
}

/// A statement whose rows' first column decodes as `T`.
pub(crate) fn query_scalar<T>(sql: &str) -> QueryScalar<'_, T> {
    QueryScalar { q: query_as(sql) }
}

/// A row of either backend.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// A column type both backends decode.
pub(crate) trait Col:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}
impl<T> Col for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// Rows both backends decode into.
pub(crate) trait Rows:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Rows for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl DbRow {
    /// The column named `column`, decoded as `T`.
    pub(crate) fn try_get<T: Col>(&self, column: &str) -> sqlx::Result<T> {
        use sqlx::Row;
        match self {
            DbRow::Sqlite(r) => r.try_get(column),
            DbRow::Postgres(r) => r.try_get(column),
        }
    }

    fn decode<T: Rows>(&self) -> sqlx::Result<T> {
        match self {
            DbRow::Sqlite(r) => T::from_row(r),
            DbRow::Postgres(r) => T::from_row(r),
        }
    }
}

/// What a statement changed.
pub(crate) struct Done(u64);

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.0
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(v),
                Arg::Str(v) => q.bind(v),
                Arg::String(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
                Arg::Blob(v) => q.bind(v),
            };
        }
        q
    }};
}

/// The highest `$N` in a statement.
fn max_parameter(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if let Ok(n) = sql[start..j].parse::<usize>() {
                max = max.max(n);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    max
}

/// The statements of a PostgreSQL batch.
fn pg_statements(sql: &str) -> Vec<&str> {
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

impl<'q> Query<'q> {
    pub(crate) fn bind(mut self, v: impl Into<Arg<'q>>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Bind several arguments in order.
    pub(crate) fn bind_all(mut self, args: impl IntoIterator<Item = Arg<'q>>) -> Self {
        self.args.extend(args);
        self
    }

    /// Runs a batch on PostgreSQL one statement at a time: what the last one returned, its rows
    /// when `fetch`, else the rows it changed. Boxed, so that the future's lifetimes are concrete
    /// (and it is `Send` inside the handlers' futures).
    fn pg_script<'a>(self, c: &'a mut PgConnection, fetch: bool) -> PgRun<'a>
    where
        'q: 'a,
    {
        Box::pin(async move {
            let stmts = pg_statements(self.sql);
            let n = stmts.len();
            let mut out = (0, Vec::new());
            for (i, s) in stmts.into_iter().enumerate() {
                // the arguments up to the highest `$N` the statement names (none for `BEGIN`):
                // its text then always comes with the same number of them (prepared statements
                // are cached by text)
                let args = self.args[..max_parameter(s).min(self.args.len())].to_vec();
                let fetch = fetch && i + 1 == n;
                out = pg_statement(&mut *c, s, args, fetch).await?;
            }
            Ok(out)
        })
    }

    async fn pg_pooled(self, p: &PgPool, fetch: bool) -> sqlx::Result<(u64, Vec<PgRow>)> {
        let mut c = p.acquire().await?;
        self.pg_script(&mut c, fetch).await
    }

    pub(crate) async fn execute(self, c: Conn<'_>) -> sqlx::Result<Done> {
        let n = match c {
            Conn::SqlitePool(p) | Conn::SqliteWriter(p) => {
                bind_all!(sqlx::query(self.sql), self.args)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
            Conn::Sqlite(c) => bind_all!(sqlx::query(self.sql), self.args)
                .execute(c)
                .await?
                .rows_affected(),
            Conn::PgPool(p) => self.pg_pooled(p, false).await?.0,
            Conn::Postgres(c) => self.pg_script(c, false).await?.0,
        };
        Ok(Done(n))
    }

    pub(crate) async fn fetch_all(self, c: Conn<'_>) -> sqlx::Result<Vec<DbRow>> {
        Ok(match c {
            Conn::SqlitePool(p) | Conn::SqliteWriter(p) => {
                bind_all!(sqlx::query(self.sql), self.args)
                    .fetch_all(p)
                    .await?
                    .into_iter()
                    .map(DbRow::Sqlite)
                    .collect()
            }
            Conn::Sqlite(c) => bind_all!(sqlx::query(self.sql), self.args)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Conn::PgPool(p) => pg_rows(self.pg_pooled(p, true).await?),
            Conn::Postgres(c) => pg_rows(self.pg_script(c, true).await?),
        })
    }

    /// The first row. On SQLite's writer every statement is run to its end (all its rows are
    /// read): an autocommit statement left unfinished would commit when it is reset, where
    /// SQLite does not call the WAL hook that counts commits (see [`watch_commits`]).
    pub(crate) async fn fetch_optional(self, c: Conn<'_>) -> sqlx::Result<Option<DbRow>> {
        Ok(match c {
            Conn::SqlitePool(p) => bind_all!(sqlx::query(self.sql), self.args)
                .fetch_optional(p)
                .await?
                .map(DbRow::Sqlite),
            Conn::SqliteWriter(_) | Conn::Sqlite(_) => self.fetch_all(c).await?.into_iter().next(),
            Conn::PgPool(p) => pg_rows(self.pg_pooled(p, true).await?).into_iter().next(),
            Conn::Postgres(c) => pg_rows(self.pg_script(c, true).await?).into_iter().next(),
        })
    }

    pub(crate) async fn fetch_one(self, c: Conn<'_>) -> sqlx::Result<DbRow> {
        self.fetch_optional(c)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

/// One statement of a PostgreSQL batch (see [`Query::pg_script`]).
fn pg_statement<'a>(
    c: &'a mut PgConnection,
    sql: &'a str,
    args: Vec<Arg<'a>>,
    fetch: bool,
) -> PgRun<'a> {
    Box::pin(async move {
        let q = bind_all!(sqlx::query(sql), args);
        Ok(if fetch {
            (0, q.fetch_all(c).await?)
        } else {
            (q.execute(c).await?.rows_affected(), Vec::new())
        })
    })
}

fn pg_rows((_, rows): (u64, Vec<PgRow>)) -> Vec<DbRow> {
    rows.into_iter().map(DbRow::Postgres).collect()
}

pub(crate) struct QueryAs<'q, T> {
    q: Query<'q>,
    _t: PhantomData<T>,
}

impl<'q, T: Rows> QueryAs<'q, T> {
    pub(crate) fn bind(mut self, v: impl Into<Arg<'q>>) -> Self {
        self.q = self.q.bind(v);
        self
    }

    pub(crate) fn bind_all(mut self, args: impl IntoIterator<Item = Arg<'q>>) -> Self {
        self.q = self.q.bind_all(args);
        self
    }

    pub(crate) async fn fetch_all(self, c: Conn<'_>) -> sqlx::Result<Vec<T>> {
        self.q
            .fetch_all(c)
            .await?
            .iter()
            .map(DbRow::decode)
            .collect()
    }

    pub(crate) async fn fetch_optional(self, c: Conn<'_>) -> sqlx::Result<Option<T>> {
        self.q
            .fetch_optional(c)
            .await?
            .as_ref()
            .map(DbRow::decode)
            .transpose()
    }

    pub(crate) async fn fetch_one(self, c: Conn<'_>) -> sqlx::Result<T> {
        self.q.fetch_one(c).await?.decode()
    }
}

pub(crate) struct QueryScalar<'q, T> {
    q: QueryAs<'q, (T,)>,
}

impl<'q, T> QueryScalar<'q, T>
where
    (T,): Rows,
{
    pub(crate) fn bind(mut self, v: impl Into<Arg<'q>>) -> Self {
        self.q = self.q.bind(v);
        self
    }

    pub(crate) fn bind_all(mut self, args: impl IntoIterator<Item = Arg<'q>>) -> Self {
        self.q = self.q.bind_all(args);
        self
    }

    pub(crate) async fn fetch_all(self, c: Conn<'_>) -> sqlx::Result<Vec<T>> {
        Ok(self
            .q
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|(t,)| t)
            .collect())
    }

    pub(crate) async fn fetch_optional(self, c: Conn<'_>) -> sqlx::Result<Option<T>> {
        Ok(self.q.fetch_optional(c).await?.map(|(t,)| t))
    }

    pub(crate) async fn fetch_one(self, c: Conn<'_>) -> sqlx::Result<T> {
        Ok(self.q.fetch_one(c).await?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_their_parameters() {
        assert_eq!(max_parameter("SELECT $1, $12 FROM t WHERE a = $3"), 12);
        assert_eq!(max_parameter("BEGIN"), 0);
        let stmts =
            pg_statements("BEGIN; INSERT INTO t VALUES ($1);\n UPDATE t SET a = $2; COMMIT");
        assert_eq!(
            stmts,
            vec![
                "BEGIN",
                "INSERT INTO t VALUES ($1)",
                "UPDATE t SET a = $2",
                "COMMIT"
            ]
        );
        let params: Vec<usize> = stmts.iter().map(|s| max_parameter(s)).collect();
        assert_eq!(params, vec![0, 1, 2, 0]);
    }
}
