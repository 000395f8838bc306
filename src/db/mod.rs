//! Database access: one binary over embedded SQLite or PostgreSQL, the backend chosen from
//! the URL at run time. Blocking diesel work runs on actix's blocking pool, never on the
//! async workers.
//!
//! Below every feature: it imports none (the group commit runs whatever [`Deferred`] work
//! the layers above leave it).

mod checkpoint;
mod errors;
mod group;
pub use group::{Deferred, Tail};
pub mod migrations;
mod text;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};

use crate::error::AppError;

/// A connection to either backend. PostgreSQL is listed first (see `stack-notes.md`), but the
/// variant is always chosen by [`Backend::from_url`], never by the derive's trial `establish`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same diesel code on the inner connection of either backend, for the statements
/// that do not compile through the `MultiConnection` (upserts, multi-row inserts).
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` selects PostgreSQL; anything else is an SQLite path
    /// (an optional `sqlite://` or `sqlite:` prefix is dropped).
    pub fn from_url(url: &str) -> Backend {
        let lower = url.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the database lives: the `DATABASE_URL`, or an SQLite file under the data directory.
pub fn resolve_url(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    match database_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => match Backend::from_url(url) {
            Backend::Postgres => Ok(url.to_string()),
            Backend::Sqlite => {
                let path = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"))
                    .unwrap_or(url);
                ensure_parent_dir(Path::new(path))?;
                Ok(path.to_string())
            }
        },
        None => {
            let path: PathBuf = data_dir.join("jemput.db");
            ensure_parent_dir(&path)?;
            Ok(path.to_string_lossy().into_owned())
        }
    }
}

fn ensure_parent_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            anyhow::anyhow!("cannot create the data directory {}: {e}", parent.display())
        })?;
    }
    Ok(())
}

/// Per-connection SQLite settings. WAL lets readers run beside the writer; `synchronous=FULL`
/// fsyncs the WAL on every commit, so an acknowledged sync survives a power cut (NORMAL
/// only survives a process crash); `busy_timeout` covers other processes (the CLI).
/// `busy_timeout` comes first so that switching a new file to WAL waits for a lock held by
/// another connection instead of failing.
/// `wal_autocheckpoint` is raised from 1,000 pages because a background thread checkpoints
/// (see `checkpoint.rs`); it only acts when that thread falls behind.
/// Memory: each connection keeps its own page cache, and the readers all cache the same
/// pages (the roll-ups and a few index pages; the OS's file cache has them too), so it is
/// 4 MB here and 32 MB only on the group writer (`group.rs`); past a soft heap limit of 64 MB
/// over all connections SQLite recycles pages instead of growing. So the server's memory
/// stays flat while the database grows: the 10-minute soak grew by about 1 MiB/s with 32 MB
/// on every connection, and with 8 MB readers and 192 MB it still grew for minutes, the
/// readers' caches filling with copies of one another.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -4000; \
     PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000; \
     PRAGMA soft_heap_limit = 67108864;";

/// How long a request waits for a pooled connection under load before it answers 503. The
/// pool retries a failed connect with a back-off capped at half of this, so it also bounds
/// how long after the database is back the pool takes to notice.
const POOL_TIMEOUT: Duration = Duration::from_secs(6);

/// How long a request waits for a connection while the last connect failed.
const DOWN_WAIT: Duration = Duration::from_millis(750);

/// Per-connection PostgreSQL settings. diesel keeps each connection's statements prepared,
/// and after five runs PostgreSQL may switch a prepared statement to a generic plan chosen
/// for the table sizes of that moment: on a new installation, a sequential scan of a then
/// empty `activations`, kept while the table grows to millions (measured: the sync's
/// `id = ANY($1)` lookup went from an index probe to a full scan). Custom plans cost a few
/// tens of microseconds of planning per statement and always fit the data.
const PG_SETTINGS: &str = "SET plan_cache_mode = force_custom_plan;";

/// How the database looked to this process lately, shared by the pool's manager, the
/// writer lanes and `Db::conn`.
#[derive(Debug, Default)]
pub struct Health {
    /// Bumped when a pooled connection came back broken (lost to a restart or fail-over,
    /// or left in a transaction): every connection opened before is then replaced at its
    /// next checkout, so one lost connection retires its idle siblings, which died with it.
    epoch: std::sync::atomic::AtomicU64,
    /// The last attempt to connect failed: callers then wait briefly for a connection and
    /// answer 503 instead of queueing for the pool's full timeout.
    down: std::sync::atomic::AtomicBool,
}

impl Health {
    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    fn retire_connections(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::Release);
    }

    /// The last connection attempt failed.
    pub fn is_down(&self) -> bool {
        self.down.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// A pooled connection: the connection and the [`Health`] epoch it was opened in.
pub struct PooledDbConn {
    conn: DbConn,
    epoch: u64,
}

impl std::ops::Deref for PooledDbConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledDbConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// r2d2 manager that opens the backend the URL names, and nothing else.
pub struct Manager {
    backend: Backend,
    url: String,
    health: Arc<Health>,
}

impl Manager {
    /// Opens a connection outside the pool (the writer lanes), recording whether the
    /// database answered.
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        let opened = match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map_err(r2d2::Error::ConnectionError)
                .and_then(|mut conn| {
                    conn.batch_execute(PG_SETTINGS)
                        .map_err(r2d2::Error::QueryError)?;
                    Ok(DbConn::Pg(conn))
                }),
            Backend::Sqlite => diesel::SqliteConnection::establish(&self.url)
                .map_err(r2d2::Error::ConnectionError)
                .and_then(|mut conn| {
                    conn.batch_execute(SQLITE_PRAGMAS)
                        .map_err(r2d2::Error::QueryError)?;
                    Ok(DbConn::Sqlite(conn))
                }),
        };
        self.health.set_down(opened.is_err());
        opened
    }
}

impl ManageConnection for Manager {
    type Connection = PooledDbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PooledDbConn, r2d2::Error> {
        // The epoch is read before connecting: a connection that races a retirement is
        // retired with the others rather than kept.
        let epoch = self.health.epoch();
        let conn = self.open()?;
        Ok(PooledDbConn { conn, epoch })
    }

    /// Run at every checkout, so it costs no round trip: a connection opened before the
    /// last retirement is replaced; any other is trusted until a query says otherwise.
    fn is_valid(&self, conn: &mut PooledDbConn) -> Result<(), r2d2::Error> {
        if conn.epoch == self.health.epoch() {
            Ok(())
        } else {
            Err(r2d2::Error::QueryError(
                diesel::result::Error::BrokenTransactionManager,
            ))
        }
    }

    /// diesel marks a connection broken when libpq lost it (its transaction state turns
    /// unknown) or when it comes back inside a transaction (a panic mid-transaction): such a
    /// connection is dropped, never handed out again.
    fn has_broken(&self, conn: &mut PooledDbConn) -> bool {
        let broken = diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn);
        if broken && conn.epoch == self.health.epoch() {
            self.health.retire_connections();
        }
        broken
    }
}

pub type DbPool = Pool<Manager>;

/// The process-wide SQLite writer lock. Fair: an unlock hands it to the longest waiter, so
/// the writer thread of the group commit, which takes it again at once, cannot starve a
/// plain write under sync load.
pub type WriteLock = parking_lot::FairMutex<()>;

/// The database handle the app shares: a pool, its backend, and (for SQLite) a process-wide
/// writer lock, so concurrent writers queue fairly instead of polling SQLite's busy handler.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    health: Arc<Health>,
    /// One permit per pooled connection: `read` and `write` wait for one here, without a
    /// thread, before they take a blocking thread. Without it every waiting request held a
    /// blocking thread (actix allows hundreds), and under a 200-phone soak those threads
    /// and their allocator caches grew the server past 2 GiB.
    permits: Arc<tokio::sync::Semaphore>,
    backend: Backend,
    write_lock: Arc<WriteLock>,
    /// The writer lanes of the group commit (`write_grouped`).
    group: Arc<group::GroupQueue>,
    /// Bumped after every `write` transaction, so caches of rows those transactions may
    /// change (the logged-in user) know they may be stale.
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Db {
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        let backend = Backend::from_url(url);
        let health = Arc::new(Health::default());
        let manager = Manager {
            backend,
            url: url.to_string(),
            health: health.clone(),
        };
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(POOL_TIMEOUT)
            // `is_valid` is an epoch comparison, not a query: cheap enough for every checkout.
            .test_on_check_out(true)
            .build(manager)
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot open the {} database: {}",
                    backend.name(),
                    redact_url_in(&e.to_string(), url)
                )
            })?;
        let write_lock = Arc::new(WriteLock::new(()));
        let group = Arc::new(group::GroupQueue::new(
            backend,
            url,
            health.clone(),
            write_lock.clone(),
        ));
        if backend == Backend::Sqlite {
            checkpoint::spawn(url.to_string(), Arc::downgrade(&group), write_lock.clone());
        }
        Ok(Db {
            pool,
            health,
            permits: Arc::new(tokio::sync::Semaphore::new(pool_size.max(1) as usize)),
            backend,
            write_lock,
            group,
            generation: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// What this process last saw of the database.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// A connection for synchronous callers (CLI, bootstrap, benchmarks). While the database
    /// is unreachable this waits [`DOWN_WAIT`] at most, so every request answers 503 at once
    /// instead of queueing for the pool's timeout.
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, AppError> {
        let got = if self.health.is_down() {
            self.pool.get_timeout(DOWN_WAIT)
        } else {
            self.pool.get()
        };
        got.map_err(|e| {
            tracing::warn!(error = %e, "database pool checkout failed");
            AppError::Unavailable
        })
    }

    /// Runs `f` on a pooled connection off the async workers, without a transaction.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.permit().await?;
        let db = self.clone();
        actix_web::web::block(move || {
            let _permit = permit;
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Waits, without holding a thread, for a turn at a pooled connection; as long as a
    /// checkout would wait (503 after that).
    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let wait = if self.health.is_down() {
            DOWN_WAIT
        } else {
            POOL_TIMEOUT
        };
        match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!("no database connection free in time");
                Err(AppError::Unavailable)
            }
        }
    }

    /// Runs `f` in one write transaction, off the async workers.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        // On SQLite a write waits for the writer lock before it takes a connection (see
        // `write_blocking_inner`): holding a permit there would starve the readers.
        let permit = match self.backend {
            Backend::Postgres => Some(self.permit().await?),
            Backend::Sqlite => None,
        };
        let db = self.clone();
        actix_web::web::block(move || {
            let _permit = permit;
            db.write_blocking(f)
        })
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// How many `write` transactions have ended in this process (grouped sync writes, which
    /// touch only activations and their roll-ups, do not count).
    pub fn write_generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The synchronous form of [`Db::write`].
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError>,
    {
        let result = self.write_blocking_inner(f);
        // Committed or not: a cache entry read before this point is no longer trusted.
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        result
    }

    fn write_blocking_inner<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError>,
    {
        match self.backend {
            Backend::Postgres => {
                let mut conn = self.conn()?;
                let c: &mut DbConn = &mut conn;
                c.transaction(f)
            }
            Backend::Sqlite => {
                // The lock comes before the connection: waiting writers hold no pooled
                // connection, so readers (and a group commit) never starve behind them.
                let _guard = self.write_lock.lock();
                let mut conn = self.conn()?;
                sqlite_immediate_transaction(&mut conn, f)
            }
        }
    }
}

/// `BEGIN IMMEDIATE` takes the write lock up front, so two writers never deadlock into
/// SQLITE_BUSY half-way through. diesel's own `immediate_transaction` is not reachable through
/// the `MultiConnection`, so the statements are issued here; nothing inside nests a transaction.
fn sqlite_immediate_transaction<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    conn.batch_execute("BEGIN IMMEDIATE")?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
    match outcome {
        Ok(Ok(value)) => match conn.batch_execute("COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = conn.batch_execute("ROLLBACK");
                Err(e.into())
            }
        },
        Ok(Err(e)) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
        Err(panic) => {
            // Never hand a connection back to the pool inside an open transaction.
            let _ = conn.batch_execute("ROLLBACK");
            std::panic::resume_unwind(panic)
        }
    }
}

/// Removes the password of a database URL from a message before it is shown or logged.
pub fn redact_url_in(message: &str, url: &str) -> String {
    match url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
    {
        Some((userinfo, _)) => match userinfo.split_once(':') {
            Some((_, password)) if !password.is_empty() => message.replace(password, "***"),
            _ => message.to_string(),
        },
        None => message.to_string(),
    }
}

/// The file of an SQLite connection's main database; none for PostgreSQL or a database
/// without a file (in memory).
fn sqlite_file(conn: &mut DbConn) -> Option<std::path::PathBuf> {
    #[derive(diesel::QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let DbConn::Sqlite(c) = conn else {
        return None;
    };
    diesel::sql_query("PRAGMA database_list")
        .load::<Database>(c)
        .ok()?
        .into_iter()
        .find(|d| d.name == "main")
        .map(|d| d.file)
        .filter(|f| !f.is_empty())
        .map(std::path::PathBuf::from)
}

/// fsyncs a file's data (whatever descriptor wrote it: fsync covers the file).
fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_data()
}

/// Runs the database's `SELECT 1`: the readiness probe.
pub fn ping(conn: &mut DbConn) -> Result<(), AppError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Current time truncated to microseconds: PostgreSQL keeps no more, so both backends store
/// and compare the same instant.
pub fn now() -> chrono::NaiveDateTime {
    truncate_micros(chrono::Utc::now().naive_utc())
}

pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1000).unwrap_or(t)
}
