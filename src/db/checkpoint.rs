//! SQLite WAL checkpoints on a thread of their own, off the commit path.
//!
//! By default the connection whose commit takes the WAL past 1,000 pages copies them back
//! into the database file (and fsyncs it) inside that commit, while every other writer
//! waits: measured at 12 % of the server's CPU under the sync benchmark, all of it on the
//! one writer thread. Here a background connection checkpoints every few hundred
//! milliseconds in PASSIVE mode, which never blocks writers or readers, so commits only
//! append to the WAL.
//!
//! The WAL only starts again from its beginning when a writer begins while every frame is
//! already copied, which under steady syncing never happens by chance. The writer's own
//! auto-checkpoint did it, at a price: a checkpoint on the writer's connection throws away
//! that connection's page cache, and the next group read thousands of pages back
//! (measured: 3,000-4,000 reads and a 40-50 ms group, about every 200 ms, against 4 reads
//! and 10-20 ms otherwise). So the group writer's auto-checkpoint is only a far backstop,
//! and once the WAL is long this thread catches up, then finishes the copy while holding
//! the writer lock for a moment; the writer's next group restarts the WAL itself, cache
//! intact.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{Backend, DbConn, Manager, WriteLock};

/// How often the background checkpoint runs: often enough that the WAL stays a few
/// megabytes under full sync load, rarely enough that an idle server does nothing.
const EVERY: Duration = Duration::from_millis(200);

/// WAL frames (pages) beyond which a round lets the writer restart the WAL: about 64 MB
/// with 4 KiB pages, so the short pause under the lock comes every second round or so at
/// full load, never when idle.
const RESTART_FRAMES: i32 = 16_000;

/// Unlocked catch-up passes before the one under the writer lock: until a pass takes
/// less than [`SHORT_PASS`], at most this many.
const MAX_CATCH_UP: usize = 6;
const SHORT_PASS: Duration = Duration::from_millis(5);

#[derive(diesel::QueryableByName)]
struct Checkpointed {
    /// Frames in the WAL.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// One PASSIVE checkpoint; the WAL's length in frames (-1 when unknown).
fn passive(conn: &mut DbConn) -> Result<i32, diesel::result::Error> {
    let DbConn::Sqlite(c) = conn else {
        return Ok(-1);
    };
    let rows: Vec<Checkpointed> =
        diesel::RunQueryDsl::load(diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)"), c)?;
    Ok(rows.first().map_or(-1, |r| r.log))
}

/// Starts the checkpoint thread of a SQLite database. It stops once `alive` (owned by the
/// `Db` and its clones) is gone.
pub fn spawn<T: Send + Sync + 'static>(url: String, alive: Weak<T>, write_lock: Arc<WriteLock>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let manager = Manager {
                backend: Backend::Sqlite,
                url,
                health: Default::default(),
            };
            // The connection, and its database file (resolved once per connection).
            let mut conn: Option<(DbConn, Option<std::path::PathBuf>)> = None;
            loop {
                std::thread::sleep(EVERY);
                if alive.upgrade().is_none() {
                    return;
                }
                if conn.is_none() {
                    conn = manager.open().ok().map(|mut c| {
                        let file = super::sqlite_file(&mut c);
                        (c, file)
                    });
                }
                let Some((c, file)) = conn.as_mut() else {
                    continue;
                };
                let round = passive(c).and_then(|log| {
                    if log > RESTART_FRAMES {
                        // Each pass copies what came in during the one before, a few times
                        // less (copying is faster than syncing); once a pass is short, the
                        // last one, under the writer lock, has almost nothing left to copy.
                        for _ in 0..MAX_CATCH_UP {
                            let pass = std::time::Instant::now();
                            passive(c)?;
                            if pass.elapsed() < SHORT_PASS {
                                break;
                            }
                        }
                        // An unfinished checkpoint copies pages into the database file but
                        // leaves its fsync to the one that finishes (SQLite's design). Done
                        // here first, the fsync under the lock only has the last pages to
                        // flush (measured: 70-80 ms under the lock without it).
                        if let Some(file) = file.as_deref() {
                            if let Err(e) = super::sync_file(file) {
                                tracing::warn!(error = %e, "fsync of the database file failed");
                            }
                        }
                        let _writers_wait = write_lock.lock();
                        passive(c)?;
                    }
                    Ok(())
                });
                if let Err(e) = round {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                    conn = None;
                }
            }
        });
    if let Err(e) = spawned {
        // Commits then checkpoint by themselves, as SQLite does by default.
        tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
    }
}
