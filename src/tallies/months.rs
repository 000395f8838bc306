//! The monthly roll-ups: each event's share (its counts, cost and staff hours, in its
//! month and channel) counted in its office and every office above it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{N_REASONS, REASONS};
use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{
    event_shares as es, event_staff, event_tallies as et, events, month_histogram as mh,
    month_tallies as mt, offices,
};

/// The first day of a date's month: the key of the monthly roll-ups.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// One staff entry's hours in millionths of an hour: integers add up exactly whatever the
/// order of changes (floats would drift as shares are taken out and put back).
pub fn micro_hours(hours: f64) -> i64 {
    (hours * 1e6).round() as i64
}

/// The offices whose monthly roll-ups an event of an office with this path counts in: the
/// office itself and every office above it (a path is `/<root id>/…/<own id>/`).
pub(super) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// What one event adds to the monthly roll-ups (a row of `event_shares`).
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub event_id: String,
    pub office_id: String,
    pub month: NaiveDate,
    pub channel_key: String,
    pub cost_idr: Option<i64>,
    pub staff_micro_hours: i64,
    pub staff_entries: i32,
    pub activated: i32,
    pub failed: i32,
    /// Failures per reason, indexed by [`super::reason_index`].
    pub reasons: [i32; N_REASONS],
    /// The event's local date and area code (`""`: none), for the per-day roll-ups.
    pub local_date: NaiveDate,
    pub area_code: String,
}

/// A stored `event_shares` row as selected: its fields, then its reasons.
type ShareRow = (
    (
        String,
        String,
        NaiveDate,
        String,
        Option<i64>,
        i64,
        i32,
        i32,
        i32,
    ),
    Reasons,
    (NaiveDate, String),
);

/// The reason columns of one row, as selected.
type Reasons = (i32, i32, i32, i32, i32, i32, i32, i32, i32);

impl Share {
    fn from_row(
        ((event_id, office_id, month, channel_key, cost_idr, micro, entries, a, f), r, (day, area)): ShareRow,
    ) -> Share {
        Share {
            event_id,
            office_id,
            month,
            channel_key,
            cost_idr,
            staff_micro_hours: micro,
            staff_entries: entries,
            activated: a,
            failed: f,
            reasons: with_reason_columns!(reason_array!(r)),
            local_date: day,
            area_code: area,
        }
    }

    /// The shares of these events as stored.
    fn stored(conn: &mut DbConn, ids: &[String]) -> Result<Vec<Share>, AppError> {
        let rows: Vec<ShareRow> = es::table
            .filter(es::event_id.eq_any(ids))
            .select((
                (
                    es::event_id,
                    es::office_id,
                    es::month,
                    es::channel_key,
                    es::cost_idr,
                    es::staff_micro_hours,
                    es::staff_entries,
                    es::activated,
                    es::failed,
                ),
                with_reason_columns!(reason_select!(es)),
                (es::local_date, es::area_code),
            ))
            .load(conn)?;
        Ok(rows.into_iter().map(Share::from_row).collect())
    }

    fn insert(&self, conn: &mut DbConn) -> Result<(), AppError> {
        let row = (
            (
                es::event_id.eq(&self.event_id),
                es::office_id.eq(&self.office_id),
                es::month.eq(self.month),
                es::channel_key.eq(&self.channel_key),
                es::cost_idr.eq(self.cost_idr),
                es::staff_micro_hours.eq(self.staff_micro_hours),
                es::staff_entries.eq(self.staff_entries),
                es::activated.eq(self.activated),
                es::failed.eq(self.failed),
            ),
            with_reason_columns!(reason_values!(es, self.reasons)),
            (
                es::local_date.eq(self.local_date),
                es::area_code.eq(&self.area_code),
            ),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(es::table)
            .values(row)
            .execute(c))?;
        Ok(())
    }
}

/// A change of one `month_tallies` (or `channel_days`) row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct MonthDelta {
    pub(super) events: i32,
    pub(super) activated: i32,
    pub(super) failed: i32,
    pub(super) reasons: [i32; N_REASONS],
    pub(super) cost_idr: i64,
    pub(super) cost_events: i32,
    pub(super) staff_micro_hours: i64,
    pub(super) staff_entries: i32,
}

impl MonthDelta {
    pub(super) fn add(&mut self, s: &Share, sign: i32) {
        self.events += sign;
        self.activated += sign * s.activated;
        self.failed += sign * s.failed;
        for (d, r) in self.reasons.iter_mut().zip(s.reasons) {
            *d += sign * r;
        }
        if let Some(c) = s.cost_idr {
            self.cost_idr += i64::from(sign) * c;
            self.cost_events += sign;
        }
        self.staff_micro_hours += i64::from(sign) * s.staff_micro_hours;
        self.staff_entries += sign * s.staff_entries;
    }
}

type TallyCounts = (i32, i32, Reasons);

/// Brings the monthly roll-ups in line with these events as they are now: each event's
/// recorded share is taken out and its current one put in, one upsert per changed row, in
/// key order. Call it in the transaction that changed the events (their date, channel,
/// cost, staff hours or counts); calling it when nothing changed costs four reads.
pub fn refresh_events(conn: &mut DbConn, event_ids: &[String]) -> Result<(), AppError> {
    let mut ids = event_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        refresh_chunk(conn, chunk)?;
        super::subtree::refresh_staff(conn, chunk)?;
    }
    Ok(())
}

fn refresh_chunk(conn: &mut DbConn, ids: &[String]) -> Result<(), AppError> {
    type EventRow = (
        String,
        String,
        String,
        NaiveDate,
        String,
        Option<i64>,
        Option<String>,
    );
    let evs: Vec<EventRow> = events::table
        .inner_join(offices::table)
        .filter(events::id.eq_any(ids))
        .select((
            events::id,
            events::office_id,
            offices::path,
            events::local_date,
            events::channel_key,
            events::cost_idr,
            events::area_code,
        ))
        .load(conn)?;
    let counts: Vec<(String, TallyCounts)> = et::table
        .filter(et::event_id.eq_any(ids))
        .select((
            et::event_id,
            (
                et::activated,
                et::failed,
                with_reason_columns!(reason_select!(et)),
            ),
        ))
        .load(conn)?;
    let counts: BTreeMap<String, TallyCounts> = counts.into_iter().collect();
    let staff: Vec<(String, f64)> = event_staff::table
        .filter(event_staff::event_id.eq_any(ids))
        .select((event_staff::event_id, event_staff::hours))
        .load(conn)?;
    let mut hours: BTreeMap<String, (i64, i32)> = BTreeMap::new();
    for (id, h) in staff {
        let e = hours.entry(id).or_default();
        e.0 += micro_hours(h);
        e.1 += 1;
    }
    let stored = Share::stored(conn, ids)?;
    let mut stored: BTreeMap<String, Share> = stored
        .into_iter()
        .map(|s| (s.event_id.clone(), s))
        .collect();

    let mut months: BTreeMap<(String, NaiveDate, String), MonthDelta> = BTreeMap::new();
    let mut bins: BTreeMap<(String, NaiveDate, String, i32), i32> = BTreeMap::new();
    let mut days = super::days::DayChanges::default();
    let mut changed: Vec<Share> = Vec::new();
    let mut moves = Vec::new();
    for (id, office_id, path, local_date, channel_key, cost_idr, area_code) in evs {
        let (activated, failed, r) = counts.get(&id).copied().unwrap_or_default();
        let (micro, entries) = hours.get(&id).copied().unwrap_or_default();
        let now = Share {
            event_id: id.clone(),
            office_id,
            month: month_of(local_date),
            channel_key,
            cost_idr,
            staff_micro_hours: micro,
            staff_entries: entries,
            activated,
            failed,
            reasons: with_reason_columns!(reason_array!(r)),
            local_date,
            area_code: area_code.unwrap_or_default(),
        };
        let old = stored.remove(&id);
        if old.as_ref() == Some(&now) {
            continue;
        }
        let old_key = old.as_ref().map(|s| (s.month, s.channel_key.clone()));
        if old_key.as_ref() != Some(&(now.month, now.channel_key.clone())) {
            moves.push(super::subtree::OutcomeMove {
                event_id: id.clone(),
                path: path.clone(),
                old: old_key,
                new: (now.month, now.channel_key.clone()),
            });
        }
        // An event never changes office, so both shares count for the same offices.
        for office in ancestors(&path) {
            for (share, sign) in old.iter().map(|s| (s, -1)).chain([(&now, 1)]) {
                months
                    .entry((office.to_string(), share.month, share.channel_key.clone()))
                    .or_default()
                    .add(share, sign);
                *bins
                    .entry((
                        office.to_string(),
                        share.month,
                        share.channel_key.clone(),
                        share.activated,
                    ))
                    .or_default() += sign;
                days.add(office, share, sign);
            }
        }
        changed.push(now);
    }

    for ((office_id, month, channel_key), d) in months {
        if d == MonthDelta::default() {
            continue;
        }
        let r = d.reasons;
        let row = (
            (
                mt::office_id.eq(office_id),
                mt::month.eq(month),
                mt::channel_key.eq(channel_key),
                mt::events.eq(d.events),
                mt::activated.eq(d.activated),
                mt::failed.eq(d.failed),
            ),
            with_reason_columns!(reason_values!(mt, r)),
            (
                mt::cost_idr.eq(d.cost_idr),
                mt::cost_events.eq(d.cost_events),
                mt::staff_micro_hours.eq(d.staff_micro_hours),
                mt::staff_entries.eq(d.staff_entries),
            ),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(mt::table)
            .values(row)
            .on_conflict((mt::office_id, mt::month, mt::channel_key))
            .do_update()
            .set((
                (
                    mt::events.eq(mt::events + excluded(mt::events)),
                    mt::activated.eq(mt::activated + excluded(mt::activated)),
                    mt::failed.eq(mt::failed + excluded(mt::failed)),
                ),
                with_reason_columns!(reason_sums!(mt)),
                (
                    mt::cost_idr.eq(mt::cost_idr + excluded(mt::cost_idr)),
                    mt::cost_events.eq(mt::cost_events + excluded(mt::cost_events)),
                    mt::staff_micro_hours
                        .eq(mt::staff_micro_hours + excluded(mt::staff_micro_hours)),
                    mt::staff_entries.eq(mt::staff_entries + excluded(mt::staff_entries)),
                ),
            ))
            .execute(c))?;
    }
    for ((office_id, month, channel_key, activated), n) in bins {
        add_to_bin!(
            conn,
            mh,
            month,
            (&office_id, month, &channel_key, activated),
            n
        );
    }
    days.write(conn)?;
    super::subtree::move_outcomes(conn, &moves)?;
    if !changed.is_empty() {
        let ids: Vec<&str> = changed.iter().map(|s| s.event_id.as_str()).collect();
        diesel::delete(es::table.filter(es::event_id.eq_any(&ids))).execute(conn)?;
        for share in &changed {
            share.insert(conn)?;
        }
    }
    Ok(())
}

/// Recomputes the event shares and the monthly roll-ups from the events, their per-event
/// tallies and staff hours: the same statements as the migration that created them.
pub fn rebuild_months(conn: &mut DbConn) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    diesel::delete(mh::table).execute(conn)?;
    diesel::delete(mt::table).execute(conn)?;
    diesel::delete(es::table).execute(conn)?;
    let reasons: Vec<String> = REASONS.iter().map(|r| format!("failed_{r}")).collect();
    let cols = reasons.join(", ");
    let from_tallies: String = reasons
        .iter()
        .map(|r| format!(", COALESCE(t.{r}, 0)"))
        .collect();
    let sums: String = reasons.iter().map(|r| format!(", SUM(s.{r})")).collect();
    let month = match conn {
        DbConn::Pg(_) => "CAST(date_trunc('month', e.local_date) AS DATE)",
        DbConn::Sqlite(_) => "date(e.local_date, 'start of month')",
    };
    let ancestry = "FROM event_shares s JOIN offices o ON o.id = s.office_id \
                    JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path";
    let sql = format!(
        "INSERT INTO event_shares (event_id, office_id, month, channel_key, cost_idr, \
           staff_micro_hours, staff_entries, activated, failed, {cols}, local_date, area_code) \
         SELECT e.id, e.office_id, {month}, e.channel_key, e.cost_idr, COALESCE(st.micro, 0), \
           COALESCE(st.n, 0), COALESCE(t.activated, 0), COALESCE(t.failed, 0){from_tallies}, \
           e.local_date, COALESCE(e.area_code, '') \
         FROM events e LEFT JOIN event_tallies t ON t.event_id = e.id \
         LEFT JOIN (SELECT event_id, SUM(CAST(ROUND(hours * 1000000) AS BIGINT)) AS micro, \
           COUNT(*) AS n FROM event_staff GROUP BY event_id) st ON st.event_id = e.id; \
         INSERT INTO month_tallies (office_id, month, channel_key, events, activated, failed, \
           {cols}, cost_idr, cost_events, staff_micro_hours, staff_entries) \
         SELECT a.id, s.month, s.channel_key, COUNT(*), SUM(s.activated), SUM(s.failed){sums}, \
           COALESCE(SUM(s.cost_idr), 0), COUNT(s.cost_idr), SUM(s.staff_micro_hours), \
           SUM(s.staff_entries) {ancestry} GROUP BY a.id, s.month, s.channel_key; \
         INSERT INTO month_histogram (office_id, month, channel_key, activated, events) \
         SELECT a.id, s.month, s.channel_key, s.activated, COUNT(*) {ancestry} \
         GROUP BY a.id, s.month, s.channel_key, s.activated;"
    );
    match conn {
        DbConn::Pg(c) => c.batch_execute(&sql)?,
        DbConn::Sqlite(c) => c.batch_execute(&sql)?,
    }
    super::subtree::rebuild(conn)?;
    super::days::rebuild_days(conn)
}
