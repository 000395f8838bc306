//! SQLite WAL checkpoints on a thread of their own, off the commit path.
//!
//! By default the connection whose commit takes the WAL past 1,000 pages copies them back
//! into the database file (and fsyncs it) inside that commit, while every other writer
//! waits: measured at 12 % of the server's CPU under the sync benchmark, all of it on the
//! one writer thread. Here a background connection checkpoints every few hundred
//! milliseconds in PASSIVE mode, which never blocks writers or readers, so commits only
//! append to the WAL. The connections' own auto-checkpoint stays as a backstop for a WAL
//! the background thread cannot keep up with (readers pinning old snapshots).

use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;

use super::{Backend, Manager};

/// How often the background checkpoint runs: often enough that the WAL stays a few
/// megabytes under full sync load, rarely enough that an idle server does nothing.
const EVERY: Duration = Duration::from_millis(200);

/// Starts the checkpoint thread of a SQLite database. It stops once `alive` (owned by the
/// `Db` and its clones) is gone.
pub fn spawn<T: Send + Sync + 'static>(url: String, alive: Weak<T>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let manager = Manager {
                backend: Backend::Sqlite,
                url,
            };
            let mut conn = None;
            loop {
                std::thread::sleep(EVERY);
                if alive.upgrade().is_none() {
                    return;
                }
                if conn.is_none() {
                    conn = manager.connect().ok();
                }
                if let Some(c) = conn.as_mut() {
                    if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                        tracing::warn!(error = %e, "background WAL checkpoint failed");
                        conn = None;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        // Commits then checkpoint by themselves, as SQLite does by default.
        tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
    }
}
