//! Event and event-staff rows and queries.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::EventStatus;
use crate::error::AppError;
use crate::offices::repo::Office;
use crate::schema::{activations, event_staff, events, offices, users};
use crate::tallies;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: String,
    pub office_id: String,
    pub channel_key: String,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub area_code: Option<String>,
    pub venue: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub cost_idr: Option<i64>,
    pub notes: Option<String>,
    pub status: EventStatus,
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub content_hash: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The editable content of an event.
#[derive(Clone, Debug, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub struct EventContent {
    pub channel_key: String,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub area_code: Option<String>,
    pub venue: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub cost_idr: Option<i64>,
    pub notes: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// An event with its office, whatever the caller's scope (the service decides).
pub fn find_with_office(conn: &mut DbConn, id: &str) -> Result<Option<(Event, Office)>, AppError> {
    Ok(events::table
        .inner_join(offices::table)
        .filter(events::id.eq(id))
        .select((Event::as_select(), Office::as_select()))
        .first(conn)
        .optional()?)
}

/// Like [`find_with_office`], but on PostgreSQL the event row is share-locked until the
/// transaction ends (its office row too), so a concurrent review cannot approve it under a write that checked it
/// was not approved. SQLite serialises writers anyway.
pub fn find_with_office_locked(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(Event, Office)>, AppError> {
    macro_rules! query {
        () => {
            events::table
                .inner_join(offices::table)
                .filter(events::id.eq(id))
                .select((Event::as_select(), Office::as_select()))
        };
    }
    Ok(match conn {
        DbConn::Pg(c) => query!().for_share().first(c).optional()?,
        DbConn::Sqlite(c) => query!().first(c).optional()?,
    })
}

/// Namespace of the advisory locks that order activation writes before an approval.
const EVENT_LOCK_NAMESPACE: i32 = 0x6a65_6d70; // "jemp"

/// 32 bits of an event id for its advisory lock; two events sharing them only wait for
/// each other needlessly.
fn event_lock_key(event_id: &str) -> i32 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(event_id.as_bytes());
    i32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// PostgreSQL: takes, until the transaction ends, the shared advisory lock of each event a
/// write of activations depends on (in a fixed order, so two writers never deadlock).
/// Any number of syncs hold it together, without touching the event rows (row share locks
/// would make every sync of a busy event write the same tuple); an approval takes it
/// exclusively, so it waits for syncs in flight and later syncs see it approved.
/// SQLite serialises writers anyway: nothing to do.
pub fn lock_events_shared(conn: &mut DbConn, event_ids: &[String]) -> Result<(), AppError> {
    if let DbConn::Pg(c) = conn {
        let mut keys: Vec<i32> = event_ids.iter().map(|id| event_lock_key(id)).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1, $2)")
                .bind::<diesel::sql_types::Integer, _>(EVENT_LOCK_NAMESPACE)
                .bind::<diesel::sql_types::Integer, _>(key)
                .execute(c)?;
        }
    }
    Ok(())
}

/// PostgreSQL: the exclusive form of [`lock_events_shared`], taken by an approval.
pub fn lock_event_exclusive(conn: &mut DbConn, event_id: &str) -> Result<(), AppError> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<diesel::sql_types::Integer, _>(EVENT_LOCK_NAMESPACE)
            .bind::<diesel::sql_types::Integer, _>(event_lock_key(event_id))
            .execute(c)?;
    }
    Ok(())
}

/// Inserts the event unless its id exists; true when this call inserted it. It enters the
/// tallies (an event without activations still counts in the monthly roll-ups).
pub fn insert_if_absent(conn: &mut DbConn, event: &Event) -> Result<bool, AppError> {
    let n = crate::with_conn!(conn, |c| diesel::insert_into(events::table)
        .values(event)
        .on_conflict(events::id)
        .do_nothing()
        .execute(c))?;
    if n == 1 {
        tallies::refresh_events(conn, std::slice::from_ref(&event.id))?;
    }
    Ok(n == 1)
}

/// A staff member's hours at an event, as stored (`event_staff`).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = event_staff)]
pub struct StaffHours {
    pub event_id: String,
    pub user_id: String,
    pub hours: f64,
    pub updated_at: NaiveDateTime,
}

/// Inserts new events and their staff hours in bulk (the demo's load); they enter the
/// tallies once, at the end.
pub fn insert_with_staff(
    conn: &mut DbConn,
    new_events: &[Event],
    staff: &[StaffHours],
) -> Result<(), AppError> {
    // One row a statement: diesel's SQLite multi-row insert of these types would open a
    // nested transaction (a few thousand statements in one transaction are quick anyway).
    for e in new_events {
        diesel::insert_into(events::table).values(e).execute(conn)?;
    }
    for s in staff {
        diesel::insert_into(event_staff::table)
            .values(s)
            .execute(conn)?;
    }
    let ids: Vec<String> = new_events.iter().map(|e| e.id.clone()).collect();
    tallies::refresh_events(conn, &ids)
}

/// Filters of the event list.
pub struct EventFilter {
    /// LIKE pattern of the office paths to include (the caller's scope or a chosen subtree).
    pub path_pattern: String,
    pub channel_key: Option<String>,
    pub status: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Keyset position: events strictly after it in (starts_at desc, id desc) order.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// Events, newest start first.
pub fn list(conn: &mut DbConn, f: &EventFilter) -> Result<Vec<Event>, AppError> {
    let mut q = events::table
        .select(Event::as_select())
        .order((events::starts_at.desc(), events::id.desc()))
        .limit(f.limit)
        .into_boxed();
    // The national scope filters nothing, and reads `events_start_idx` in order without it.
    if !crate::auth::extractor::scope_holds_every_office(conn, &f.path_pattern)? {
        q = q.filter(
            events::office_id.eq_any(crate::auth::extractor::scope_office_ids(
                f.path_pattern.clone(),
            )),
        );
    }
    if let Some(k) = &f.channel_key {
        q = q.filter(events::channel_key.eq(k.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(events::status.eq(s.clone()));
    }
    if let Some(d) = f.from {
        q = q.filter(events::local_date.ge(d));
    }
    if let Some(d) = f.to {
        q = q.filter(events::local_date.le(d));
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            events::starts_at
                .lt(*at)
                .or(events::starts_at.eq(*at).and(events::id.lt(id.clone()))),
        );
    }
    Ok(q.load(conn)?)
}

/// Events of one office changed at or after `since`, in (updated_at, id) order after the
/// keyset position `after`; with `since` = `None` only those still being worked on.
pub fn changed_in_office(
    conn: &mut DbConn,
    office_id: &str,
    since: Option<NaiveDateTime>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Event>, AppError> {
    let mut q = events::table
        .filter(events::office_id.eq(office_id))
        .select(Event::as_select())
        .order((events::updated_at.asc(), events::id.asc()))
        .limit(limit)
        .into_boxed();
    match since {
        Some(since) => q = q.filter(events::updated_at.ge(since)),
        None => q = q.filter(events::status.eq_any(["open", "returned"])),
    }
    if let Some((at, id)) = after {
        q = q.filter(
            events::updated_at
                .gt(at)
                .or(events::updated_at.eq(at).and(events::id.gt(id))),
        );
    }
    Ok(q.load(conn)?)
}

/// Applies new content while the event is still editable; false when its status changed
/// under us. Its activations follow its channel, and the tallies its date, channel and cost.
pub fn update_content(
    conn: &mut DbConn,
    id: &str,
    content: &EventContent,
) -> Result<bool, AppError> {
    let n = diesel::update(
        events::table
            .filter(events::id.eq(id))
            .filter(events::status.eq_any(["open", "returned"])),
    )
    .set(content)
    .execute(conn)?;
    if n == 1 {
        set_activations_channel(conn, id, &content.channel_key)?;
        tallies::refresh_events(conn, &[id.to_string()])?;
    }
    Ok(n == 1)
}

/// Keeps the denormalised channel of an event's activations in step with the event.
fn set_activations_channel(
    conn: &mut DbConn,
    event_id: &str,
    channel_key: &str,
) -> Result<(), AppError> {
    diesel::update(
        activations::table
            .filter(activations::event_id.eq(event_id))
            .filter(activations::channel_key.ne(channel_key)),
    )
    .set(activations::channel_key.eq(channel_key))
    .execute(conn)?;
    Ok(())
}

/// A review step: moves the event from one of `from` to `to`; false when it was in none of
/// them (checked by the UPDATE itself, so two reviewers cannot both succeed).
pub fn transition(
    conn: &mut DbConn,
    id: &str,
    from: &[&str],
    to: &str,
    review: Option<(Option<&str>, &str)>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let target = events::table
        .filter(events::id.eq(id))
        .filter(events::status.eq_any(from.iter().map(|s| s.to_string())));
    let n = match review {
        Some((Some(comment), reviewer)) => diesel::update(target)
            .set((
                events::status.eq(to),
                events::review_comment.eq(comment),
                events::reviewed_by.eq(reviewer),
                events::reviewed_at.eq(now),
                events::updated_at.eq(now),
            ))
            .execute(conn)?,
        Some((None, reviewer)) => diesel::update(target)
            .set((
                events::status.eq(to),
                events::reviewed_by.eq(reviewer),
                events::reviewed_at.eq(now),
                events::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((events::status.eq(to), events::updated_at.eq(now)))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Marks the event changed (its staff changed), so the phone's pull picks it up again.
pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::update(events::table.filter(events::id.eq(id)))
        .set(events::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Event>, AppError> {
    Ok(events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()?)
}

/// One staff member's hours at an event, with their names.
#[derive(Clone, Debug, Queryable)]
pub struct StaffRow {
    pub event_id: String,
    pub user_id: String,
    pub hours: f64,
    pub updated_at: NaiveDateTime,
    pub username: String,
    pub full_name: String,
}

/// Staff of the given events, by event then username.
pub fn staff_of(conn: &mut DbConn, event_ids: &[String]) -> Result<Vec<StaffRow>, AppError> {
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(event_staff::table
        .inner_join(users::table)
        .filter(event_staff::event_id.eq_any(event_ids))
        .select((
            event_staff::event_id,
            event_staff::user_id,
            event_staff::hours,
            event_staff::updated_at,
            users::username,
            users::full_name,
        ))
        .order((event_staff::event_id.asc(), users::username_key.asc()))
        .load(conn)?)
}

/// Largest hours any staff member has at the event (to re-check a shortened event).
pub fn max_staff_hours(conn: &mut DbConn, event_id: &str) -> Result<Option<f64>, AppError> {
    Ok(event_staff::table
        .filter(event_staff::event_id.eq(event_id))
        .select(diesel::dsl::max(event_staff::hours))
        .first(conn)?)
}

/// Sets a staff member's hours at an event (their hours count in the tallies).
pub fn upsert_staff(
    conn: &mut DbConn,
    event_id: &str,
    user_id: &str,
    hours: f64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let row = (
        event_staff::event_id.eq(event_id),
        event_staff::user_id.eq(user_id),
        event_staff::hours.eq(hours),
        event_staff::updated_at.eq(now),
    );
    crate::with_conn!(conn, |c| diesel::insert_into(event_staff::table)
        .values(row)
        .on_conflict((event_staff::event_id, event_staff::user_id))
        .do_update()
        .set((
            event_staff::hours.eq(hours),
            event_staff::updated_at.eq(now)
        ))
        .execute(c))?;
    tallies::refresh_events(conn, &[event_id.to_string()])
}

/// Removes a staff member from an event; false when they were not on it.
pub fn delete_staff(conn: &mut DbConn, event_id: &str, user_id: &str) -> Result<bool, AppError> {
    let n = diesel::delete(
        event_staff::table
            .filter(event_staff::event_id.eq(event_id))
            .filter(event_staff::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if n == 1 {
        tallies::refresh_events(conn, &[event_id.to_string()])?;
    }
    Ok(n == 1)
}

/// The office of a user, if the user exists.
pub fn user_office(conn: &mut DbConn, user_id: &str) -> Result<Option<String>, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::office_id)
        .first(conn)
        .optional()?)
}
