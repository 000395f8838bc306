//! Group commit for writes that ask for it (the sync hot path), on both backends.
//!
//! Each lane is a writer thread of its own with its own connection. A `write_grouped` call
//! queues its work on a lane and waits; the lane takes everything queued, runs each piece
//! inside its own savepoint (an error rolls back that piece only) in ONE transaction,
//! commits once, and only then hands each caller its result. A result is therefore never
//! given before its changes are durable, and the pieces run one after another, exactly as
//! if each had its own transaction. Grouping grows with load by itself: while one group
//! commits, the next one gathers.
//!
//! Why: SQLite has one writer at a time and `synchronous=FULL` costs an fsync per commit, so
//! batches in their own transactions queue up behind each other's fsyncs. On PostgreSQL
//! every batch of an event updates the same roll-up rows, whose row locks are held until
//! commit, so the batches of one event committed one after another, each paying its own WAL
//! flush (measured: 80 % of the time waiting on that lock, 3-4 ms a commit).
//!
//! Why a thread per lane: when the callers took turns at leading a group, every group began
//! with waking a blocked thread, and on a busy machine the writer sat idle a quarter of the
//! time (measured under the sync benchmark). A lane thread stays hot, and the callers wait
//! on a channel without holding a blocking-pool thread.
//!
//! What the pieces leave for the end of their group (the [`Tail`]: the report tallies'
//! changes, say) is applied once per group, merged, right before COMMIT: the hot rows are locked for the length of one statement per key and the
//! commit. SQLite runs one lane (it has one writer anyway); PostgreSQL runs [`PG_LANES`]
//! lanes side by side, so the database's cores all work, and the lanes only queue on each
//! other at the roll-up rows. Two servers on one PostgreSQL are the same as more lanes.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use diesel::connection::SimpleConnection;

use super::{Backend, DbConn, Manager, WriteLock};
use crate::error::AppError;

/// Work a grouped piece leaves for the end of its group, merged with the other pieces' of
/// the same kind and run once, right before COMMIT. The layers above `db` define what it is
/// (the report tallies' changes); `db` only merges and runs it, so it depends on none of them.
pub trait Deferred: Default + Send + 'static {
    /// Adds another piece's deferred work to this one.
    fn merge(&mut self, other: Self);
    /// Runs the group's merged work in its transaction.
    fn apply(self, conn: &mut DbConn) -> Result<(), AppError>;
}

/// A [`Deferred`] of any kind, behind one type (a piece may leave several kinds).
trait Part: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    fn merge_part(&mut self, other: Box<dyn Part>);
    fn apply_part(self: Box<Self>, conn: &mut DbConn) -> Result<(), AppError>;
}

impl<D: Deferred> Part for D {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
    fn merge_part(&mut self, other: Box<dyn Part>) {
        // Parts are keyed by their type, so the other part is always a `D`.
        if let Ok(other) = other.into_any().downcast::<D>() {
            self.merge(*other);
        }
    }
    fn apply_part(self: Box<Self>, conn: &mut DbConn) -> Result<(), AppError> {
        (*self).apply(conn)
    }
}

/// What a piece leaves to the end of its group (kept only when the piece succeeds): one
/// [`Deferred`] of each kind it asked for.
#[derive(Default)]
pub struct Tail {
    parts: BTreeMap<TypeId, Box<dyn Part>>,
}

impl Tail {
    pub fn new() -> Tail {
        Tail::default()
    }

    /// This tail's deferred work of kind `D`, empty until the piece adds to it.
    pub fn get<D: Deferred>(&mut self) -> &mut D {
        let part = self
            .parts
            .entry(TypeId::of::<D>())
            .or_insert_with(|| Box::new(D::default()));
        match part.as_any_mut().downcast_mut::<D>() {
            Some(d) => d,
            // Parts are stored under their own type's id only.
            None => unreachable!("the part under D's type id is a D"),
        }
    }

    /// Merges another piece's tail into this one.
    fn append(&mut self, other: Tail) {
        for (kind, part) in other.parts {
            match self.parts.entry(kind) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(part);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge_part(part),
            }
        }
    }

    /// Runs every kind of deferred work, in a fixed order (by kind).
    fn apply(self, conn: &mut DbConn) -> Result<(), AppError> {
        self.parts
            .into_values()
            .try_for_each(|part| part.apply_part(conn))
    }
}

/// PostgreSQL lanes: enough that both cores of a small server run statements while one
/// lane waits on a commit; each holds one connection.
const PG_LANES: usize = 4;

/// Most pieces in one group, so one transaction (and the wait for its answer) stays short
/// under any load.
const MAX_GROUP: usize = 64;

/// Called once the group's transaction ended: `true` when it committed.
type Completion = Box<dyn FnOnce(bool) + Send>;
/// A queued piece of work: runs on the group's connection and returns its completion.
type Job = Box<dyn FnOnce(&mut DbConn, &mut Tail) -> Completion + Send>;

/// The lanes' queues. Dropping it (with the last `Db` clone) ends the lane threads.
pub struct GroupQueue {
    lanes: Vec<mpsc::Sender<Job>>,
    next: AtomicUsize,
}

impl GroupQueue {
    /// Starts the lane threads; each opens its connection on its first group.
    pub fn new(
        backend: Backend,
        url: &str,
        health: Arc<super::Health>,
        write_lock: Arc<WriteLock>,
    ) -> GroupQueue {
        let lanes = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_LANES,
        };
        let lanes = (0..lanes)
            .filter_map(|i| {
                let (tx, rx) = mpsc::channel::<Job>();
                let lane = Lane {
                    jobs: rx,
                    manager: Manager {
                        backend,
                        url: url.to_string(),
                        health: health.clone(),
                    },
                    writer: None,
                    syncer: None,
                };
                let write_lock = write_lock.clone();
                match std::thread::Builder::new()
                    .name(format!("jemput-writer-{i}"))
                    .spawn(move || lane.run(&write_lock))
                {
                    Ok(_) => Some(tx),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot start a writer thread");
                        None
                    }
                }
            })
            .collect();
        GroupQueue {
            lanes,
            next: AtomicUsize::new(0),
        }
    }

    /// Queues `job` on the next lane; false when no lane takes work.
    fn push(&self, job: Job) -> bool {
        if self.lanes.is_empty() {
            return false;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        self.lanes[i].send(job).is_ok()
    }
}

/// One lane's thread: its queue and the connection its groups run on. On SQLite, being
/// the only connection that writes (most of the time), its page cache stays valid from
/// one group to the next; a pooled connection would find the database changed and reload
/// every page it needs. On PostgreSQL it keeps its prepared statements.
struct Lane {
    jobs: mpsc::Receiver<Job>,
    manager: Manager,
    writer: Option<DbConn>,
    /// SQLite: the thread that makes committed groups durable (see [`start_wal_sync`]); none
    /// until the first connection, or for a database without a file.
    syncer: Option<mpsc::Sender<Vec<Completion>>>,
}

impl Lane {
    /// `write_lock`: SQLite's process-wide writer lock, shared with `Db::write` (fair, so a
    /// plain write waits for one group at most).
    fn run(mut self, write_lock: &WriteLock) {
        // Ends when every sender is gone (the `Db` was dropped).
        while let Ok(first) = self.jobs.recv() {
            let _sqlite = (self.manager.backend == Backend::Sqlite).then(|| write_lock.lock());
            // What queued while we waited for the lock joins this group.
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match self.jobs.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            // A panic outside the pieces (the roll-ups, the commit) rolls the group back and
            // costs its callers a 503; the lane lives on.
            let group =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_group(jobs)));
            if group.is_err() {
                tracing::error!("a group commit panicked; rolled back");
                if let Some(c) = self.writer.as_mut() {
                    let _ = c.batch_execute("ROLLBACK");
                }
                self.writer = None;
            }
        }
    }

    /// The lane's connection. On SQLite it hands durability to the WAL sync thread, started
    /// with the first connection (see [`start_wal_sync`]), and commits with
    /// `synchronous=NORMAL`. The WAL is checkpointed by its own thread, which lets this
    /// connection restart it; a checkpoint here would throw this connection's page cache
    /// away (see `checkpoint.rs`), so its own auto-checkpoint is only a far backstop
    /// (about 400 MB).
    fn open_writer(&mut self) -> Option<DbConn> {
        let mut c = self
            .manager
            .open()
            .map_err(|e| tracing::warn!(error = %e, "group writer connection failed"))
            .ok()?;
        if self.manager.backend == Backend::Sqlite && self.syncer.is_none() {
            self.syncer = start_wal_sync(&mut c);
        }
        if self.syncer.is_some() {
            c.batch_execute("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 100000")
                .map_err(|e| tracing::warn!(error = %e, "group writer settings failed"))
                .ok()?;
        }
        Some(c)
    }

    /// Runs a group in one transaction (`BEGIN IMMEDIATE` on SQLite) on the lane's
    /// connection. When the group cannot start or commit, every piece's caller gets 503
    /// (nothing was stored).
    fn run_group(&mut self, jobs: Vec<Job>) {
        if self.writer.is_none() {
            self.writer = self.open_writer();
        }
        let begin = match self.manager.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let Some(mut conn) = self.writer.take() else {
            // Dropping the jobs drops their answer channels: each caller gets 503.
            return;
        };
        if let Err(e) = conn.batch_execute(begin) {
            // The connection may have died while idle (a database restart): one more try on
            // a fresh connection before the group's callers get 503.
            tracing::warn!(error = %e, "group transaction could not begin; reconnecting");
            drop(conn);
            let Some(mut fresh) = self.open_writer() else {
                return;
            };
            if let Err(e) = fresh.batch_execute(begin) {
                tracing::warn!(error = %e, "group transaction could not begin");
                return;
            }
            conn = fresh;
        }
        let conn = self.writer.insert(conn);
        let mut tail = Tail::new();
        let completions: Vec<Completion> =
            jobs.into_iter().map(|job| job(conn, &mut tail)).collect();
        let committed = match tail
            .apply(conn)
            .and_then(|()| Ok(conn.batch_execute("COMMIT")?))
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = ?e, "group transaction could not commit");
                let _ = conn.batch_execute("ROLLBACK");
                self.writer = None;
                false
            }
        };
        match &self.syncer {
            Some(syncer) if committed => {
                if let Err(mpsc::SendError(completions)) = syncer.send(completions) {
                    // No syncer thread: the answers cannot be made durable; 503 them.
                    tracing::error!("the WAL sync thread is gone");
                    completions.into_iter().for_each(|done| done(false));
                }
            }
            _ => completions.into_iter().for_each(|done| done(committed)),
        }
    }
}

/// SQLite durability off the writer thread. The writer connection commits with
/// `synchronous=NORMAL` (WAL frames written, not fsynced) and hands the group's answers
/// here; this thread fsyncs the WAL file and only then answers them, all groups that
/// committed meanwhile with one fsync. So the writer starts the next group while the disk
/// flushes the last one (measured: the fsync inside COMMIT held the writer idle or in the
/// kernel for a quarter of its time under the sync benchmark).
///
/// Why it is as durable as `synchronous=FULL` for what is answered: an answer waits for an
/// fsync begun after its COMMIT returned, and fsync covers every write made to the file
/// before it, whatever the descriptor. WAL recovery keeps the valid prefix of the log, so
/// an unsynced later group can never take an earlier one with it. A WAL reset (after a
/// checkpoint has copied every frame) only happens once the checkpointer, which runs with
/// `synchronous=FULL`, has fsynced the database file. What is committed but not yet synced
/// is visible to readers for those few milliseconds; a power cut then loses it, as it
/// loses a write whose answer never arrived, and the phone sends it again.
///
/// Starts that thread for the database of `conn`; none for a database without a file (in
/// memory), or when the thread cannot start (the writer then stays on `synchronous=FULL`).
fn start_wal_sync(conn: &mut DbConn) -> Option<mpsc::Sender<Vec<Completion>>> {
    let db = super::sqlite_file(conn)?;
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    let (tx, rx) = mpsc::channel::<Vec<Completion>>();
    std::thread::Builder::new()
        .name("jemput-wal-sync".into())
        .spawn(move || {
            // Ends when the lane (its sender) is gone.
            while let Ok(mut answers) = rx.recv() {
                while let Ok(more) = rx.try_recv() {
                    answers.extend(more);
                }
                let synced = sync_wal(&wal, &db);
                if let Err(e) = &synced {
                    tracing::error!(error = %e, "fsync of the WAL failed; the batches get 503");
                }
                answers.into_iter().for_each(|done| done(synced.is_ok()));
            }
        })
        .map_err(|e| tracing::warn!(error = %e, "cannot start the WAL sync thread"))
        .ok()?;
    Some(tx)
}

/// fsyncs the WAL file. Without one (the last connection checkpointed it into the database
/// and removed it), the database file.
fn sync_wal(wal: &std::path::Path, db: &std::path::Path) -> std::io::Result<()> {
    match super::sync_file(wal) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => super::sync_file(db),
        done => done,
    }
}

/// Runs `f` inside a savepoint: kept when it succeeds, rolled back when it fails or
/// panics (a panic becomes that piece's 500; the group goes on).
fn in_savepoint<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    conn.batch_execute("SAVEPOINT grouped_write")?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| {
            Err(AppError::internal(anyhow::anyhow!(
                "a grouped write panicked"
            )))
        });
    match outcome {
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

impl super::Db {
    /// Like [`super::Db::write`], but the transaction may be shared with other
    /// `write_grouped` calls (see the module docs); `f` must not depend on running alone,
    /// and leaves what may wait for the end of the group (the tallies' changes) in the
    /// [`Tail`] instead of applying it.
    pub async fn write_grouped<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn, &mut Tail) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut DbConn, tail: &mut Tail| {
            let mut mine = Tail::new();
            let outcome = in_savepoint(conn, |c| f(c, &mut mine));
            if outcome.is_ok() {
                tail.append(mine);
            }
            Box::new(move |committed: bool| {
                // The caller may have gone (client disconnected): nothing to tell.
                let _ = answer.send(match outcome {
                    Ok(v) if committed => Ok(v),
                    Ok(_) => Err(AppError::Unavailable),
                    Err(e) => Err(e),
                });
            })
        });
        if !self.group.push(job) {
            return Err(AppError::Unavailable);
        }
        rx.await.unwrap_or(Err(AppError::Unavailable))
    }
}

#[cfg(test)]
mod tests {
    use super::sync_wal;

    #[test]
    fn the_wal_is_synced_or_else_the_database_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("x.db");
        let wal = dir.path().join("x.db-wal");
        // Neither file: an error, never a silent success.
        assert!(sync_wal(&wal, &db).is_err());
        // Only the WAL: it is the one synced (the database file is not even looked at).
        std::fs::write(&wal, b"wal").expect("write wal");
        assert!(sync_wal(&wal, &db).is_ok());
        std::fs::remove_file(&wal).expect("remove wal");
        // Only the database (the WAL was checkpointed away): its file is synced.
        std::fs::write(&db, b"db").expect("write db");
        assert!(sync_wal(&wal, &db).is_ok());
        std::fs::write(&wal, b"wal").expect("write wal");
        assert!(sync_wal(&wal, &db).is_ok());
    }
}
