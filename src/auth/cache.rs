//! Recently loaded users with their offices and whether the token's login is still live,
//! so the requests of a burst (a phone syncing its backlog batch after batch) do not each
//! read the same rows.
//!
//! An entry serves for [`TTL`] at most, and only while no write transaction has committed
//! in this process since it was read ([`crate::db::Db::write_generation`]): deactivating a
//! user, changing a role or an office, logging out or logging out everywhere takes effect on this
//! server at once. Another server sharing the database sees such a change within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::offices::repo::Office;
use crate::users::repo::User;

/// How long another server's change to a user may go unseen here.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most; past it, the cache starts over (it refills from the database).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    user: User,
    office: Office,
    /// The token's login (refresh-token family) was revoked.
    revoked: bool,
    generation: u64,
    loaded: Instant,
}

#[derive(Default)]
pub struct UserCache {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Entries are per user and login: one user's phone and laptop are two.
fn key(user_id: &str, family: Option<&str>) -> String {
    format!("{user_id}/{}", family.unwrap_or(""))
}

impl UserCache {
    /// The user, office and login state read at `generation` (the write generation when
    /// the read began), if still fresh.
    pub fn get(
        &self,
        user_id: &str,
        family: Option<&str>,
        generation: u64,
    ) -> Option<(User, Office, bool)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&key(user_id, family))
            .filter(|e| e.generation == generation && e.loaded.elapsed() < TTL)
            .map(|e| (e.user.clone(), e.office.clone(), e.revoked))
    }

    /// Keeps what was read; `generation` must be taken before the read began, so a write
    /// that committed meanwhile makes the entry stale at once.
    pub fn put(
        &self,
        user: &User,
        office: &Office,
        family: Option<&str>,
        revoked: bool,
        generation: u64,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key(&user.id, family),
            Entry {
                user: user.clone(),
                office: office.clone(),
                revoked,
                generation,
                loaded: Instant::now(),
            },
        );
    }
}
