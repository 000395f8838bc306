//! Group commit for SQLite writes that ask for it (the sync hot path).
//!
//! SQLite has one writer at a time and `synchronous=FULL` costs an fsync per commit, so
//! concurrent sync batches each in their own transaction queue up behind each other's
//! fsyncs. Instead, each `write_grouped` call queues its work; whichever call takes the
//! write lock next runs every queued piece in ONE transaction, each piece inside its own
//! savepoint (an error rolls back that piece only), commits once, and only then hands each
//! caller its result. A result is therefore never given before its changes are durable, and
//! the pieces run one after another, exactly as if each had its own transaction. Grouping
//! grows with load by itself: while one group commits, the next one gathers.
//!
//! PostgreSQL needs none of this: concurrent transactions already share WAL flushes.

use std::sync::mpsc;

use diesel::connection::SimpleConnection;
use diesel::r2d2;

use super::{Backend, Db, DbConn};
use crate::error::AppError;

/// Called once the group's transaction ended: `true` when it committed.
type Completion = Box<dyn FnOnce(bool) + Send>;
/// A queued piece of work: runs on the group's connection and returns its completion.
type Job = Box<dyn FnOnce(&mut DbConn) -> Completion + Send>;

/// The queue of pieces waiting for the next group, and the connection groups run on.
pub struct GroupQueue {
    jobs: std::sync::Mutex<Vec<Job>>,
    /// SQLite: a connection kept for group commits only. Being the only connection that
    /// writes (most of the time), its page cache stays valid from one group to the next;
    /// a pooled connection would find the database changed and reload every page it needs.
    writer: std::sync::Mutex<Option<DbConn>>,
    url: String,
}

impl GroupQueue {
    pub fn new(url: &str) -> GroupQueue {
        GroupQueue {
            jobs: std::sync::Mutex::new(Vec::new()),
            writer: std::sync::Mutex::new(None),
            url: url.to_string(),
        }
    }
}

/// Runs `f` inside a savepoint: kept when it succeeds, rolled back when it fails.
fn in_savepoint<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    conn.batch_execute("SAVEPOINT grouped_write")?;
    match f(conn) {
        Ok(v) => {
            conn.batch_execute("RELEASE grouped_write")?;
            Ok(v)
        }
        Err(e) => {
            conn.batch_execute("ROLLBACK TO grouped_write; RELEASE grouped_write")?;
            Err(e)
        }
    }
}

impl Db {
    /// Like [`Db::write`], but on SQLite the transaction may be shared with other
    /// `write_grouped` calls (see the module docs); `f` must not depend on running alone.
    pub async fn write_grouped<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_grouped_blocking(f))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// The synchronous form of [`Db::write_grouped`].
    pub fn write_grouped_blocking<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        if self.backend == Backend::Postgres {
            return self.write_blocking(f);
        }
        let (tx, rx) = mpsc::sync_channel::<Result<T, AppError>>(1);
        let job: Job = Box::new(move |conn: &mut DbConn| {
            let outcome = in_savepoint(conn, f);
            Box::new(move |committed: bool| {
                let _ = tx.send(match outcome {
                    Ok(v) if committed => Ok(v),
                    Ok(_) => Err(AppError::Unavailable),
                    Err(e) => Err(e),
                });
            })
        });
        self.group
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(job);
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A previous group may have taken and finished our piece while we waited.
        match rx.try_recv() {
            Ok(result) => return result,
            Err(mpsc::TryRecvError::Disconnected) => return Err(AppError::Unavailable),
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let jobs = std::mem::take(&mut *self.group.jobs.lock().unwrap_or_else(|p| p.into_inner()));
        self.run_group(jobs);
        // Our piece was in the group: its completion has run (or was dropped on failure).
        rx.try_recv().unwrap_or(Err(AppError::Unavailable))
    }

    /// Runs a group in one `BEGIN IMMEDIATE` transaction, under the write lock. When the
    /// group cannot start or commit, every piece's caller gets 503 (nothing was stored).
    fn run_group(&self, jobs: Vec<Job>) {
        let mut writer = self.group.writer.lock().unwrap_or_else(|p| p.into_inner());
        if writer.is_none() {
            let manager = super::Manager {
                backend: Backend::Sqlite,
                url: self.group.url.clone(),
            };
            match r2d2::ManageConnection::connect(&manager) {
                Ok(c) => *writer = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "group writer connection failed");
                    return;
                }
            }
        }
        let Some(conn) = writer.as_mut() else {
            return;
        };
        if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
            tracing::warn!(error = %e, "group transaction could not begin");
            // Start the next group on a fresh connection.
            *writer = None;
            return;
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            jobs.into_iter().map(|job| job(conn)).collect::<Vec<_>>()
        }));
        match outcome {
            Ok(completions) => {
                let committed = match conn.batch_execute("COMMIT") {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(error = %e, "group transaction could not commit");
                        let _ = conn.batch_execute("ROLLBACK");
                        false
                    }
                };
                if !committed {
                    *writer = None;
                }
                for done in completions {
                    done(committed);
                }
            }
            Err(panic) => {
                let _ = conn.batch_execute("ROLLBACK");
                *writer = None;
                std::panic::resume_unwind(panic)
            }
        }
    }
}
