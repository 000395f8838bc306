//! Group commit for writes that ask for it (the sync hot path), on both backends.
//!
//! Each `write_grouped` call queues its work on a lane; whichever call takes the lane next
//! runs every queued piece in ONE transaction, each piece inside its own savepoint (an error
//! rolls back that piece only), commits once, and only then hands each caller its result. A
//! result is therefore never given before its changes are durable, and the pieces run one
//! after another, exactly as if each had its own transaction. Grouping grows with load by
//! itself: while one group commits, the next one gathers.
//!
//! Why: SQLite has one writer at a time and `synchronous=FULL` costs an fsync per commit, so
//! batches in their own transactions queue up behind each other's fsyncs. On PostgreSQL
//! every batch of an event updates the same roll-up rows, whose row locks are held until
//! commit, so the batches of one event committed one after another, each paying its own WAL
//! flush (measured: 80 % of the time waiting on that lock, 3-4 ms a commit).
//!
//! The pieces' roll-up changes (the [`Tail`]) are applied once per group, merged, right
//! before COMMIT: the hot rows are locked for the length of one statement per key and the
//! commit. SQLite runs one lane (it has one writer anyway); PostgreSQL runs [`PG_LANES`]
//! lanes side by side on their own connections, so the database's cores all work, and the
//! lanes only queue on each other at the roll-up rows. Two servers on one PostgreSQL are
//! the same as more lanes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use diesel::connection::SimpleConnection;
use diesel::r2d2;

use super::{Backend, Db, DbConn};
use crate::error::AppError;
use crate::reports::rollup::{self, TallyChange};

/// Roll-up changes a piece leaves to the end of its group (kept only when the piece
/// succeeds).
pub type Tail = Vec<TallyChange>;

/// PostgreSQL lanes: enough that both cores of a small server run statements while one
/// lane waits on a commit; each holds one connection.
const PG_LANES: usize = 4;

/// Called once the group's transaction ended: `true` when it committed.
type Completion = Box<dyn FnOnce(bool) + Send>;
/// A queued piece of work: runs on the group's connection and returns its completion.
type Job = Box<dyn FnOnce(&mut DbConn, &mut Tail) -> Completion + Send>;

/// One lane: the pieces waiting for its next group, and the connection its groups run on.
struct Lane {
    jobs: Mutex<Vec<Job>>,
    /// A connection kept for this lane's groups, its lock held by the group's leader. On
    /// SQLite, being the only connection that writes (most of the time), its page cache
    /// stays valid from one group to the next; a pooled connection would find the database
    /// changed and reload every page it needs. On PostgreSQL it keeps its prepared
    /// statements and never waits for the pool.
    writer: Mutex<Option<DbConn>>,
}

pub struct GroupQueue {
    lanes: Vec<Lane>,
    next: AtomicUsize,
    backend: Backend,
    url: String,
}

impl GroupQueue {
    pub fn new(backend: Backend, url: &str) -> GroupQueue {
        let lanes = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_LANES,
        };
        GroupQueue {
            lanes: (0..lanes)
                .map(|_| Lane {
                    jobs: Mutex::new(Vec::new()),
                    writer: Mutex::new(None),
                })
                .collect(),
            next: AtomicUsize::new(0),
            backend,
            url: url.to_string(),
        }
    }
}

/// A poisoned lock only means another group panicked; its transaction was rolled back.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
    /// Like [`Db::write`], but the transaction may be shared with other `write_grouped`
    /// calls (see the module docs); `f` must not depend on running alone, and leaves its
    /// roll-up changes in the [`Tail`] instead of applying them.
    pub async fn write_grouped<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn, &mut Tail) -> Result<T, AppError> + Send + 'static,
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
        F: FnOnce(&mut DbConn, &mut Tail) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Result<T, AppError>>(1);
        let job: Job = Box::new(move |conn: &mut DbConn, tail: &mut Tail| {
            let mut mine = Tail::new();
            let outcome = in_savepoint(conn, |c| f(c, &mut mine));
            if outcome.is_ok() {
                tail.append(&mut mine);
            }
            Box::new(move |committed: bool| {
                let _ = tx.send(match outcome {
                    Ok(v) if committed => Ok(v),
                    Ok(_) => Err(AppError::Unavailable),
                    Err(e) => Err(e),
                });
            })
        });
        let lanes = &self.group.lanes;
        let lane = &lanes[self.group.next.fetch_add(1, Ordering::Relaxed) % lanes.len()];
        lock(&lane.jobs).push(job);
        // SQLite: the process-wide writer lock, shared with `write`, comes first.
        let _sqlite = (self.backend == Backend::Sqlite).then(|| lock(&self.write_lock));
        let mut writer = lock(&lane.writer);
        // A previous group may have taken and finished our piece while we waited.
        match rx.try_recv() {
            Ok(result) => return result,
            Err(mpsc::TryRecvError::Disconnected) => return Err(AppError::Unavailable),
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let jobs = std::mem::take(&mut *lock(&lane.jobs));
        self.run_group(&mut writer, jobs);
        // Our piece was in the group: its completion has run (or was dropped on failure).
        rx.try_recv().unwrap_or(Err(AppError::Unavailable))
    }

    /// Runs a group in one transaction (`BEGIN IMMEDIATE` on SQLite) on the lane's
    /// connection. When the group cannot start or commit, every piece's caller gets 503
    /// (nothing was stored).
    fn run_group(&self, writer: &mut Option<DbConn>, jobs: Vec<Job>) {
        if writer.is_none() {
            let manager = super::Manager {
                backend: self.group.backend,
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
        let begin = match self.group.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = conn.batch_execute(begin) {
            tracing::warn!(error = %e, "group transaction could not begin");
            // Start the next group on a fresh connection.
            *writer = None;
            return;
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut tail = Tail::new();
            let completions: Vec<Completion> =
                jobs.into_iter().map(|job| job(conn, &mut tail)).collect();
            (completions, tail)
        }));
        match outcome {
            Ok((completions, tail)) => {
                let committed = match rollup::apply(conn, &tail)
                    .and_then(|()| Ok(conn.batch_execute("COMMIT")?))
                {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(error = ?e, "group transaction could not commit");
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
