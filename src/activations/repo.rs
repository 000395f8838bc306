//! Activation and citizen rows, and the batched statements of the sync path: one query per
//! kind of lookup for a whole batch, and chunked multi-row inserts.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::{EventStatus, FailureReason, Outcome};
use crate::error::AppError;
use crate::offices::repo::Office;
use crate::schema::{activations, citizens, events, offices, users};
use crate::tallies::{self, Sink, TallyChange};

/// Rows per multi-row INSERT of the sync. Statements are prepared once per connection only
/// when their shape is fixed, so rows go in full chunks of this size (a fixed-size array
/// has a static query id) and single rows for the rest; a statement with a varying number
/// of rows would be parsed and planned anew on every batch (measured: more than the
/// inserts themselves cost on SQLite). 25 rows × 21 columns = 525 bind parameters.
pub const INSERT_CHUNK: usize = 25;

/// The rows in full chunks of [`INSERT_CHUNK`], as arrays, and the rows left over. The
/// arrays are owned: diesel caches a statement only when its query id is `'static`.
fn fixed_chunks<T>(rows: Vec<T>) -> (Vec<[T; INSERT_CHUNK]>, Vec<T>) {
    let mut full = Vec::with_capacity(rows.len() / INSERT_CHUNK);
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<T> = rows.by_ref().take(INSERT_CHUNK).collect();
        match <[T; INSERT_CHUNK]>::try_from(chunk) {
            Ok(array) => full.push(array),
            Err(rest) => return (full, rest),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = activations, treat_none_as_default_value = false)]
pub struct Activation {
    pub id: String,
    pub event_id: String,
    pub office_id: String,
    pub channel_key: String,
    pub staff_id: String,
    pub recorded_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub outcome: Outcome,
    pub failure_reason: Option<String>,
    pub age_band: Option<String>,
    pub sex: Option<String>,
    pub area_code: Option<String>,
    pub nik_hash: Option<String>,
    pub home_district: Option<String>,
    pub repeat_citizen: bool,
    pub content_hash: String,
    pub voided_at: Option<NaiveDateTime>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl Activation {
    /// This stored activation entering (`sign = 1`) or leaving (`-1`) the tallies.
    pub fn tally(&self, sign: i32) -> TallyChange {
        TallyChange {
            event_id: self.event_id.clone(),
            office_id: self.office_id.clone(),
            local_date: self.local_date,
            outcome: self.outcome,
            // Stored reasons are valid; one this code does not know counts as `other`.
            failure_reason: self
                .failure_reason
                .as_deref()
                .map(|r| FailureReason::from_db(r).unwrap_or(FailureReason::Other)),
            age_band: self.age_band.clone(),
            home_district: self.home_district.clone(),
            repeat_citizen: self.repeat_citizen,
            staff_id: self.staff_id.clone(),
            sign,
        }
    }
}

/// What the sync needs to know of an event.
#[derive(Clone, Debug, Queryable)]
pub struct EventHead {
    pub id: String,
    pub office_id: String,
    pub channel_key: String,
    pub status: EventStatus,
}

/// The events among `ids`, each with its office. On PostgreSQL each event's shared
/// advisory lock is taken first and held until the transaction ends, so no review can
/// approve an event between this check and the insert of its activations (SQLite
/// serialises writers anyway).
///
/// `known` is an office the caller already holds (their own): not read again.
pub fn events_for_sync(
    conn: &mut DbConn,
    ids: &[String],
    known: &Office,
) -> Result<HashMap<String, (EventHead, Office)>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    crate::events::repo::lock_events_shared(conn, ids)?;
    let heads: Vec<EventHead> = events::table
        .filter(events::id.eq_any(ids))
        .select((
            events::id,
            events::office_id,
            events::channel_key,
            events::status,
        ))
        .load(conn)?;
    let mut office_ids: Vec<&str> = heads
        .iter()
        .map(|h| h.office_id.as_str())
        .filter(|id| *id != known.id)
        .collect();
    office_ids.sort_unstable();
    office_ids.dedup();
    let mut offices: HashMap<String, Office> = HashMap::new();
    if !office_ids.is_empty() {
        offices.extend(
            offices::table
                .filter(offices::id.eq_any(office_ids))
                .select(Office::as_select())
                .load(conn)?
                .into_iter()
                .map(|o| (o.id.clone(), o)),
        );
    }
    offices.insert(known.id.clone(), known.clone());
    Ok(heads
        .into_iter()
        .filter_map(|h| {
            let office = offices.get(&h.office_id)?.clone();
            Some((h.id.clone(), (h, office)))
        })
        .collect())
}

/// The fields of an activation a re-sent item is compared on: everything its sender can
/// see again, never the NIK (see [`content_hash`]).
pub struct Visible<'a> {
    pub id: &'a str,
    pub event_id: &'a str,
    pub staff_id: &'a str,
    pub recorded_at: NaiveDateTime,
    pub outcome: &'a str,
    pub failure_reason: Option<&'a str>,
    pub age_band: Option<&'a str>,
    pub sex: Option<&'a str>,
    pub area_code: Option<&'a str>,
}

/// The content hash that tells a re-sent item (`duplicate`) from a different record under
/// the same id (`conflict`). The NIK is left out on purpose: were it in, re-sending a
/// stored id with guessed NIKs would answer `duplicate` for the citizen's real one, so
/// anyone who can see an activation could confirm its NIK. (`v1` hashes, written before,
/// included it; stored rows are compared by recomputing this from their columns.)
pub fn content_hash(v: &Visible<'_>) -> String {
    use sha2::{Digest, Sha256};
    let micros = v.recorded_at.and_utc().timestamp_micros().to_string();
    let canonical = [
        "v2",
        v.id,
        v.event_id,
        v.staff_id,
        &micros,
        v.outcome,
        v.failure_reason.unwrap_or(""),
        v.age_band.unwrap_or(""),
        v.sex.unwrap_or(""),
        v.area_code.unwrap_or(""),
    ]
    .join("|");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

type VisibleRow = (
    String,
    String,
    String,
    NaiveDateTime,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Content hashes ([`content_hash`]) of the stored activations among `ids`, computed from
/// their columns, so rows stored under an older hash compare the same way.
pub fn existing_hashes(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(activations::table
        .filter(activations::id.eq_any(ids))
        .select((
            activations::id,
            activations::event_id,
            activations::staff_id,
            activations::recorded_at,
            activations::outcome,
            activations::failure_reason,
            activations::age_band,
            activations::sex,
            activations::area_code,
        ))
        .load::<VisibleRow>(conn)?
        .into_iter()
        .map(
            |(id, event_id, staff_id, recorded_at, outcome, reason, band, sex, area)| {
                let hash = content_hash(&Visible {
                    id: &id,
                    event_id: &event_id,
                    staff_id: &staff_id,
                    recorded_at,
                    outcome: &outcome,
                    failure_reason: reason.as_deref(),
                    age_band: band.as_deref(),
                    sex: sex.as_deref(),
                    area_code: area.as_deref(),
                });
                (id, hash)
            },
        )
        .collect())
}

/// The office of each user among `ids` that exists.
pub fn staff_offices(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::office_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// A citizen's first counted activation in an office.
#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = citizens, treat_none_as_default_value = false)]
pub struct Citizen {
    pub office_id: String,
    pub nik_hash: String,
    pub first_activation_id: String,
}

/// Registers each citizen's first activation unless the office already has one for them.
/// Returns the keys this call inserted.
///
/// PostgreSQL: `RETURNING` names what went in. SQLite (writers are serialised): when a
/// statement stored every row, all are ours; otherwise the claims are read back, and ours
/// are those naming our own activation (ids are unique, and nobody else writes meanwhile).
pub fn claim_citizens(
    conn: &mut DbConn,
    rows: &[Citizen],
) -> Result<Vec<(String, String)>, AppError> {
    let mut inserted = Vec::new();
    let key = |r: &Citizen| (r.office_id.clone(), r.nik_hash.clone());
    let (full, rest) = fixed_chunks(rows.to_vec());
    match conn {
        DbConn::Sqlite(c) => {
            // The chunks are owned copies; the rows they came from say which claims they hold.
            let mut unsure: Vec<&Citizen> = Vec::new();
            for (chunk, source) in full.into_iter().zip(rows.chunks_exact(INSERT_CHUNK)) {
                let n = diesel::insert_or_ignore_into(citizens::table)
                    .values(chunk)
                    .execute(c)?;
                if n == source.len() {
                    inserted.extend(source.iter().map(key));
                } else {
                    unsure.extend(source);
                }
            }
            for r in &rest {
                let n = diesel::insert_or_ignore_into(citizens::table)
                    .values(r)
                    .execute(c)?;
                if n == 1 {
                    inserted.push(key(r));
                }
            }
            if !unsure.is_empty() {
                let keys: Vec<(String, String)> = unsure.iter().map(|r| key(r)).collect();
                let stored = first_activations(conn, &keys)?;
                inserted.extend(
                    unsure
                        .iter()
                        .filter(|r| stored.get(&key(r)) == Some(&r.first_activation_id))
                        .map(|r| key(r)),
                );
            }
        }
        DbConn::Pg(c) => {
            for chunk in full {
                inserted.extend(
                    diesel::insert_into(citizens::table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .returning((citizens::office_id, citizens::nik_hash))
                        .get_results::<(String, String)>(c)?,
                );
            }
            for r in &rest {
                inserted.extend(
                    diesel::insert_into(citizens::table)
                        .values(r)
                        .on_conflict_do_nothing()
                        .returning((citizens::office_id, citizens::nik_hash))
                        .get_result::<(String, String)>(c)
                        .optional()?,
                );
            }
        }
    }
    Ok(inserted)
}

/// First activation of each of the given citizens, keyed by (office, NIK hash).
pub fn first_activations(
    conn: &mut DbConn,
    keys: &[(String, String)],
) -> Result<HashMap<(String, String), String>, AppError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    // Distinct values: SQLite probes the primary key once per (office, hash) pair of the
    // two IN lists, so repeated offices would multiply the probes.
    let mut hashes: Vec<&str> = keys.iter().map(|(_, h)| h.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut offices: Vec<&str> = keys.iter().map(|(o, _)| o.as_str()).collect();
    offices.sort_unstable();
    offices.dedup();
    Ok(citizens::table
        .filter(citizens::nik_hash.eq_any(hashes))
        .filter(citizens::office_id.eq_any(offices))
        .select((
            citizens::office_id,
            citizens::nik_hash,
            citizens::first_activation_id,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(o, h, a)| ((o, h), a))
        .collect())
}

/// Drops citizen claims made for activations that another transaction stored first.
pub fn release_citizen(
    conn: &mut DbConn,
    office_id: &str,
    nik_hash: &str,
    activation_id: &str,
) -> Result<(), AppError> {
    diesel::delete(
        citizens::table
            .filter(citizens::office_id.eq(office_id))
            .filter(citizens::nik_hash.eq(nik_hash))
            .filter(citizens::first_activation_id.eq(activation_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Inserts the rows whose ids are not stored yet; returns the ids this call inserted. What
/// it inserted (and is not voided) enters the tallies through `sink`.
///
/// PostgreSQL skips ids another transaction stored since the caller's read. On SQLite the
/// caller's pre-read under the write lock is authoritative, so every row must go in.
pub fn insert_new(
    conn: &mut DbConn,
    rows: Vec<Activation>,
    sink: Sink<'_>,
) -> Result<Vec<String>, AppError> {
    let mut changes: Vec<(String, TallyChange)> = rows
        .iter()
        .filter(|r| r.voided_at.is_none())
        .map(|r| (r.id.clone(), r.tally(1)))
        .collect();
    let inserted = insert_rows(conn, rows)?;
    if inserted.len() < changes.len() {
        // Another transaction stored some first (PostgreSQL): only ours count.
        let ours: std::collections::HashSet<&str> = inserted.iter().map(String::as_str).collect();
        changes.retain(|(id, _)| ours.contains(id.as_str()));
    }
    sink.record(conn, changes.into_iter().map(|(_, c)| c).collect())?;
    Ok(inserted)
}

fn insert_rows(conn: &mut DbConn, rows: Vec<Activation>) -> Result<Vec<String>, AppError> {
    let mut inserted = Vec::with_capacity(rows.len());
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let (full, rest) = fixed_chunks(rows);
    match conn {
        DbConn::Pg(c) => {
            for chunk in full {
                inserted.extend(
                    diesel::insert_into(activations::table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .returning(activations::id)
                        .get_results::<String>(c)?,
                );
            }
            for r in &rest {
                inserted.extend(
                    diesel::insert_into(activations::table)
                        .values(r)
                        .on_conflict_do_nothing()
                        .returning(activations::id)
                        .get_result::<String>(c)
                        .optional()?,
                );
            }
        }
        DbConn::Sqlite(c) => {
            let mut stored = 0;
            for chunk in full {
                stored += diesel::insert_or_ignore_into(activations::table)
                    .values(chunk)
                    .execute(c)?;
            }
            for r in &rest {
                stored += diesel::insert_or_ignore_into(activations::table)
                    .values(r)
                    .execute(c)?;
            }
            if stored != ids.len() {
                return Err(AppError::internal(anyhow::anyhow!(
                    "sqlite sync insert stored {stored} of {} rows under the write lock",
                    ids.len()
                )));
            }
            inserted = ids;
        }
    }
    Ok(inserted)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Activation>, AppError> {
    Ok(activations::table
        .find(id)
        .select(Activation::as_select())
        .first(conn)
        .optional()?)
}

/// An event's activations in (recorded_at, id) order after the keyset position `after`;
/// only those of `staff_id` when given.
pub fn of_event(
    conn: &mut DbConn,
    event_id: &str,
    staff_id: Option<&str>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<Vec<Activation>, AppError> {
    let mut q = activations::table
        .filter(activations::event_id.eq(event_id))
        .select(Activation::as_select())
        .order((activations::recorded_at.asc(), activations::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(s) = staff_id {
        q = q.filter(activations::staff_id.eq(s.to_string()));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            activations::recorded_at
                .gt(at)
                .or(activations::recorded_at.eq(at).and(activations::id.gt(id))),
        );
    }
    Ok(q.load(conn)?)
}

/// What voiding changed.
pub struct Voided {
    /// The citizen's next activation, promoted to their counted first.
    pub promoted: Option<String>,
}

/// Voids an activation that is not voided yet (`None` when it already was). It leaves the
/// tallies; when it was the citizen's counted first activation in its office, their next
/// one is promoted and enters them (see [`promote_next_first`]).
pub fn void(
    conn: &mut DbConn,
    activation: &Activation,
    by: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Option<Voided>, AppError> {
    let n = diesel::update(
        activations::table
            .filter(activations::id.eq(&activation.id))
            .filter(activations::voided_at.is_null()),
    )
    .set((
        activations::voided_at.eq(now),
        activations::voided_by.eq(by),
        activations::void_reason.eq(reason),
    ))
    .execute(conn)?;
    if n != 1 {
        return Ok(None);
    }
    let promoted = match (&activation.nik_hash, activation.outcome) {
        (Some(h), Outcome::Activated) if !activation.repeat_citizen => {
            promote_next_first(conn, &activation.office_id, h, &activation.id)?
        }
        _ => None,
    };
    let mut changes = vec![activation.tally(-1)];
    if let Some(next) = promoted.as_deref() {
        // The citizen's next activation stops being a repeat: it counts from now on.
        changes.extend(find(conn, next)?.map(|p| p.tally(1)));
    }
    tallies::apply(conn, &changes)?;
    Ok(Some(Voided { promoted }))
}

/// After the citizen's first activation in an office is voided, the earliest remaining
/// counted one becomes the first (and stops being a repeat); with none left, the citizen is
/// forgotten, so their next activation counts. Returns the promoted activation's id.
fn promote_next_first(
    conn: &mut DbConn,
    office_id: &str,
    nik_hash: &str,
    voided_id: &str,
) -> Result<Option<String>, AppError> {
    let is_first = citizens::table
        .filter(citizens::office_id.eq(office_id))
        .filter(citizens::nik_hash.eq(nik_hash))
        .filter(citizens::first_activation_id.eq(voided_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !is_first {
        return Ok(None);
    }
    let next: Option<String> = activations::table
        .filter(activations::office_id.eq(office_id))
        .filter(activations::nik_hash.eq(nik_hash))
        .filter(activations::outcome.eq(Outcome::Activated))
        .filter(activations::voided_at.is_null())
        .filter(activations::id.ne(voided_id))
        .order((activations::recorded_at.asc(), activations::id.asc()))
        .select(activations::id)
        .first(conn)
        .optional()?;
    let key = citizens::table
        .filter(citizens::office_id.eq(office_id))
        .filter(citizens::nik_hash.eq(nik_hash));
    match &next {
        Some(next_id) => {
            diesel::update(key)
                .set(citizens::first_activation_id.eq(next_id))
                .execute(conn)?;
            diesel::update(activations::table.filter(activations::id.eq(next_id)))
                .set(activations::repeat_citizen.eq(false))
                .execute(conn)?;
        }
        None => {
            diesel::delete(key).execute(conn)?;
        }
    }
    Ok(next)
}
