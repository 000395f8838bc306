//! Login throttling by username and by client address. The counters live in the database,
//! so they hold across every server on it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::login_throttle as lt;

/// A throttle: at most `max_failures` failed logins per `window`, then locked for `lock`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_failures: i32,
    pub window: Duration,
    pub lock: Duration,
}

/// Per username: 10 failures in 15 minutes lock the name for 15 minutes.
pub const PER_USERNAME: Limit = Limit {
    max_failures: 10,
    window: Duration::minutes(15),
    lock: Duration::minutes(15),
};

/// Per client address: loose, because Indonesian carriers put many phones behind one address.
pub const PER_ADDRESS: Limit = Limit {
    max_failures: 100,
    window: Duration::minutes(15),
    lock: Duration::minutes(5),
};

pub fn username_key(username: &str) -> String {
    format!("user:{}", username.trim().to_ascii_lowercase())
}

pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// 429 with the seconds left when any of the keys is locked.
pub fn check(conn: &mut DbConn, keys: &[&str], now: NaiveDateTime) -> Result<(), AppError> {
    let locked: Vec<Option<NaiveDateTime>> = lt::table
        .filter(lt::throttle_key.eq_any(keys))
        .filter(lt::locked_until.gt(now))
        .select(lt::locked_until)
        .load(conn)?;
    match locked.into_iter().flatten().max() {
        Some(until) => Err(AppError::RateLimited {
            retry_after_secs: ((until - now).num_seconds() + 1).max(1) as u64,
        }),
        None => Ok(()),
    }
}

/// Counts a failed login against `key`, starting a new window when the old one has passed.
pub fn record_failure(
    conn: &mut DbConn,
    key: &str,
    limit: Limit,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::delete(
        lt::table
            .filter(lt::throttle_key.eq(key))
            .filter(lt::window_start.lt(now - limit.window))
            .filter(lt::locked_until.is_null().or(lt::locked_until.lt(now))),
    )
    .execute(conn)?;
    let row = (
        lt::throttle_key.eq(key),
        lt::window_start.eq(now),
        lt::failures.eq(1),
        lt::locked_until.eq(None::<NaiveDateTime>),
    );
    crate::with_conn!(conn, |c| diesel::insert_into(lt::table)
        .values(row)
        .on_conflict(lt::throttle_key)
        .do_update()
        .set(lt::failures.eq(lt::failures + 1))
        .execute(c))?;
    // A failure after a lock has run out, still inside the window, locks again at once:
    // otherwise an address lock (5 min) ending inside its window (15 min) would leave the
    // rest of the window unthrottled.
    diesel::update(
        lt::table
            .filter(lt::throttle_key.eq(key))
            .filter(lt::failures.ge(limit.max_failures))
            .filter(lt::locked_until.is_null().or(lt::locked_until.le(now))),
    )
    .set(lt::locked_until.eq(Some(now + limit.lock)))
    .execute(conn)?;
    Ok(())
}

/// Deletes the rows of every key whose window and lock have both passed, so guessed
/// usernames do not pile up. Called now and then from failed logins.
pub fn prune(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    let longest = PER_USERNAME.window.max(PER_ADDRESS.window);
    Ok(diesel::delete(
        lt::table
            .filter(lt::window_start.lt(now - longest))
            .filter(lt::locked_until.is_null().or(lt::locked_until.lt(now))),
    )
    .execute(conn)?)
}

pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), AppError> {
    diesel::delete(lt::table.filter(lt::throttle_key.eq(key))).execute(conn)?;
    Ok(())
}
