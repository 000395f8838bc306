//! The staff and failure reports' monthly roll-ups (issue 13): per office subtree, month
//! and staff member (`staff_month_tallies`) and per office subtree, month, channel, outcome,
//! failure reason and age band (`outcome_month_tallies`). Kept by hooks in `counts.rs` and
//! `months.rs`, in the same transaction as the activations and events they count, with the
//! same "take the old share out, put the new one in" rule as `month_tallies`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{micro_hours, month_of, reason_index, REASONS};
use crate::db::DbConn;
use crate::domain::{FailureReason, Outcome};
use crate::error::AppError;
use crate::schema::{
    event_outcome_tallies as ot, event_shares as es, event_staff, events, offices,
    outcome_month_tallies as omt, staff_month_tallies as smt, staff_shares as ss,
};

/// Inserts (upserts) rows in key order: on PostgreSQL in one statement (a round trip saved
/// a row); diesel has no multi-row upsert for SQLite, where a statement a row costs no round
/// trip (and its batch insert opens a transaction of its own, refused inside ours).
macro_rules! upsert_rows {
    ($conn:expr, $rows:expr, |$v:ident| $stmt:expr) => {
        match $conn {
            DbConn::Pg(c) => {
                let $v = $rows;
                $stmt.execute(c)?;
            }
            DbConn::Sqlite(c) => {
                for $v in $rows {
                    $stmt.execute(c)?;
                }
            }
        }
    };
}

/// The offices an event of an office with this path counts in (itself and every one above).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// What one staff member adds for one event (a row of `staff_shares`).
#[derive(Clone, Debug, Default, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = ss)]
struct StaffShare {
    event_id: String,
    user_id: String,
    office_id: String,
    month: NaiveDate,
    records: i32,
    activated: i32,
    failed: i32,
    failed_no_smartphone: i32,
    failed_phone_no_camera: i32,
    failed_no_signal: i32,
    failed_ektp_not_recorded: i32,
    failed_data_mismatch: i32,
    failed_no_email: i32,
    failed_declined: i32,
    failed_app_error: i32,
    failed_other: i32,
    staff_micro_hours: i64,
    staff_entries: i32,
}

impl StaffShare {
    fn reasons_mut(&mut self) -> [&mut i32; 9] {
        [
            &mut self.failed_no_smartphone,
            &mut self.failed_phone_no_camera,
            &mut self.failed_no_signal,
            &mut self.failed_ektp_not_recorded,
            &mut self.failed_data_mismatch,
            &mut self.failed_no_email,
            &mut self.failed_declined,
            &mut self.failed_app_error,
            &mut self.failed_other,
        ]
    }

    fn reasons(&self) -> [i32; 9] {
        [
            self.failed_no_smartphone,
            self.failed_phone_no_camera,
            self.failed_no_signal,
            self.failed_ektp_not_recorded,
            self.failed_data_mismatch,
            self.failed_no_email,
            self.failed_declined,
            self.failed_app_error,
            self.failed_other,
        ]
    }
}

/// A change of one `staff_month_tallies` row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct StaffDelta {
    events: i32,
    activated: i32,
    failed: i32,
    reasons: [i32; 9],
    micro: i64,
    entries: i32,
}

impl StaffDelta {
    fn add(&mut self, s: &StaffShare, sign: i32) {
        self.events += sign;
        self.activated += sign * s.activated;
        self.failed += sign * s.failed;
        for (d, r) in self.reasons.iter_mut().zip(s.reasons()) {
            *d += sign * r;
        }
        self.micro += i64::from(sign) * s.staff_micro_hours;
        self.entries += sign * s.staff_entries;
    }
}

/// What a group of activation changes adds for one (event, staff member).
#[derive(Clone, Copy, Debug, Default)]
pub struct StaffCounts {
    records: i32,
    activated: i32,
    failed: i32,
    reasons: [i32; 9],
}

impl StaffCounts {
    /// One activation entering (`sign = 1`) or leaving (`-1`); `counts` is false for a
    /// repeat citizen's (stored, so it makes its recorder part of the event, never counted).
    pub fn add(
        &mut self,
        sign: i32,
        counts: bool,
        outcome: Outcome,
        reason: Option<FailureReason>,
    ) {
        self.records += sign;
        if !counts {
            return;
        }
        if outcome == Outcome::Activated {
            self.activated += sign;
        } else {
            self.failed += sign;
            self.reasons[reason_index(reason)] += sign;
        }
    }
}

/// (event, staff member) -> what their activations changed.
pub type StaffDeltas<'a> = BTreeMap<(&'a str, &'a str), StaffCounts>;

/// The events' office, office path and month.
fn event_places(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<BTreeMap<String, (String, String, NaiveDate)>, AppError> {
    let rows: Vec<(String, String, String, NaiveDate)> = events::table
        .inner_join(offices::table)
        .filter(events::id.eq_any(ids))
        .select((
            events::id,
            events::office_id,
            offices::path,
            events::local_date,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, office, path, day)| (id, (office, path, month_of(day))))
        .collect())
}

fn stored_shares(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<BTreeMap<(String, String), StaffShare>, AppError> {
    let rows: Vec<StaffShare> = ss::table
        .filter(ss::event_id.eq_any(ids))
        .select(StaffShare::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|s| ((s.event_id.clone(), s.user_id.clone()), s))
        .collect())
}

/// A share with nothing in it is no share: the member is not part of the event.
fn kept(share: StaffShare) -> Option<StaffShare> {
    (share.records != 0 || share.staff_entries != 0).then_some(share)
}

/// Adds activation changes to the staff shares and the subtree months they count in.
pub fn add_staff(conn: &mut DbConn, deltas: &StaffDeltas) -> Result<(), AppError> {
    let mut ids: Vec<&str> = deltas.keys().map(|k| k.0).collect();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let places = event_places(conn, chunk)?;
        let mut stored = stored_shares(conn, chunk)?;
        let mut changes = Vec::new();
        for ((event_id, user_id), d) in deltas {
            let Some((office_id, path, month)) = places.get(*event_id) else {
                continue;
            };
            let old = stored.remove(&(event_id.to_string(), user_id.to_string()));
            let mut new = old.clone().unwrap_or_else(|| StaffShare {
                event_id: event_id.to_string(),
                user_id: user_id.to_string(),
                office_id: office_id.clone(),
                month: *month,
                ..StaffShare::default()
            });
            new.records += d.records;
            new.activated += d.activated;
            new.failed += d.failed;
            for (r, n) in new.reasons_mut().into_iter().zip(d.reasons) {
                *r += n;
            }
            changes.push((path.as_str(), old, kept(new)));
        }
        write_shares(conn, changes)?;
    }
    Ok(())
}

/// Brings the staff shares of these events in line with their date and staff hours as
/// they are now (their activation counts are kept by [`add_staff`]).
pub fn refresh_staff(conn: &mut DbConn, ids: &[String]) -> Result<(), AppError> {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let places = event_places(conn, &ids)?;
    let stored = stored_shares(conn, &ids)?;
    let rows: Vec<(String, String, f64)> = event_staff::table
        .filter(event_staff::event_id.eq_any(&ids))
        .select((
            event_staff::event_id,
            event_staff::user_id,
            event_staff::hours,
        ))
        .load(conn)?;
    let mut hours: BTreeMap<(String, String), (i64, i32)> = BTreeMap::new();
    for (event_id, user_id, h) in rows {
        let e = hours.entry((event_id, user_id)).or_default();
        e.0 += micro_hours(h);
        e.1 += 1;
    }
    let keys: BTreeSet<&(String, String)> = stored.keys().chain(hours.keys()).collect();
    let mut changes = Vec::new();
    for key in keys {
        let Some((office_id, path, month)) = places.get(&key.0) else {
            continue;
        };
        let old = stored.get(key).cloned();
        let mut new = old.clone().unwrap_or_else(|| StaffShare {
            event_id: key.0.clone(),
            user_id: key.1.clone(),
            ..StaffShare::default()
        });
        new.office_id = office_id.clone();
        new.month = *month;
        let (micro, entries) = hours.get(key).copied().unwrap_or_default();
        new.staff_micro_hours = micro;
        new.staff_entries = entries;
        let new = kept(new);
        if new != old {
            changes.push((path.as_str(), old, new));
        }
    }
    write_shares(conn, changes)
}

/// Takes each old share out of its months and puts the new one in (one multi-row upsert
/// in key order), then stores the new shares.
fn write_shares(
    conn: &mut DbConn,
    changes: Vec<(&str, Option<StaffShare>, Option<StaffShare>)>,
) -> Result<(), AppError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut deltas: BTreeMap<(String, NaiveDate, String), StaffDelta> = BTreeMap::new();
    for (path, old, new) in &changes {
        // An event never changes office: its path now is the one its old share counted under.
        for (share, sign) in old
            .iter()
            .map(|s| (s, -1))
            .chain(new.iter().map(|s| (s, 1)))
        {
            for office in ancestors(path) {
                deltas
                    .entry((office.to_string(), share.month, share.user_id.clone()))
                    .or_default()
                    .add(share, sign);
            }
        }
    }
    let rows: Vec<StaffMonthRow> = deltas
        .into_iter()
        .filter(|(_, d)| *d != StaffDelta::default())
        .map(|((office_id, month, user_id), d)| StaffMonthRow::of(office_id, month, user_id, &d))
        .collect();
    for chunk in rows.chunks(200) {
        upsert_staff_months(conn, chunk)?;
    }
    for (_, old, _) in &changes {
        if let Some(old) = old {
            diesel::delete(
                ss::table
                    .filter(ss::event_id.eq(&old.event_id))
                    .filter(ss::user_id.eq(&old.user_id)),
            )
            .execute(conn)?;
        }
    }
    let news: Vec<StaffShare> = changes.into_iter().filter_map(|c| c.2).collect();
    for chunk in news.chunks(200) {
        upsert_rows!(conn, chunk, |v| diesel::insert_into(ss::table).values(v));
    }
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = smt)]
struct StaffMonthRow {
    office_id: String,
    month: NaiveDate,
    user_id: String,
    events: i32,
    activated: i32,
    failed: i32,
    failed_no_smartphone: i32,
    failed_phone_no_camera: i32,
    failed_no_signal: i32,
    failed_ektp_not_recorded: i32,
    failed_data_mismatch: i32,
    failed_no_email: i32,
    failed_declined: i32,
    failed_app_error: i32,
    failed_other: i32,
    staff_micro_hours: i64,
    staff_entries: i32,
}

impl StaffMonthRow {
    fn of(office_id: String, month: NaiveDate, user_id: String, d: &StaffDelta) -> Self {
        let r = d.reasons;
        StaffMonthRow {
            office_id,
            month,
            user_id,
            events: d.events,
            activated: d.activated,
            failed: d.failed,
            failed_no_smartphone: r[0],
            failed_phone_no_camera: r[1],
            failed_no_signal: r[2],
            failed_ektp_not_recorded: r[3],
            failed_data_mismatch: r[4],
            failed_no_email: r[5],
            failed_declined: r[6],
            failed_app_error: r[7],
            failed_other: r[8],
            staff_micro_hours: d.micro,
            staff_entries: d.entries,
        }
    }
}

fn upsert_staff_months(conn: &mut DbConn, rows: &[StaffMonthRow]) -> Result<(), AppError> {
    upsert_rows!(conn, rows, |v| diesel::insert_into(smt::table)
        .values(v)
        .on_conflict((smt::office_id, smt::month, smt::user_id))
        .do_update()
        .set((
            (
                smt::events.eq(smt::events + excluded(smt::events)),
                smt::activated.eq(smt::activated + excluded(smt::activated)),
                smt::failed.eq(smt::failed + excluded(smt::failed)),
            ),
            (
                smt::failed_no_smartphone
                    .eq(smt::failed_no_smartphone + excluded(smt::failed_no_smartphone)),
                smt::failed_phone_no_camera
                    .eq(smt::failed_phone_no_camera + excluded(smt::failed_phone_no_camera)),
                smt::failed_no_signal.eq(smt::failed_no_signal + excluded(smt::failed_no_signal)),
                smt::failed_ektp_not_recorded
                    .eq(smt::failed_ektp_not_recorded + excluded(smt::failed_ektp_not_recorded)),
                smt::failed_data_mismatch
                    .eq(smt::failed_data_mismatch + excluded(smt::failed_data_mismatch)),
                smt::failed_no_email.eq(smt::failed_no_email + excluded(smt::failed_no_email)),
                smt::failed_declined.eq(smt::failed_declined + excluded(smt::failed_declined)),
                smt::failed_app_error.eq(smt::failed_app_error + excluded(smt::failed_app_error)),
                smt::failed_other.eq(smt::failed_other + excluded(smt::failed_other)),
            ),
            (
                smt::staff_micro_hours
                    .eq(smt::staff_micro_hours + excluded(smt::staff_micro_hours)),
                smt::staff_entries.eq(smt::staff_entries + excluded(smt::staff_entries)),
            ),
        )));
    Ok(())
}

/// One `event_outcome_tallies` change: (event, outcome, failure reason, age band) -> n.
pub type OutcomeDeltas<'a> = BTreeMap<(&'a str, Outcome, &'a str, &'a str), i32>;

/// Adds per-event outcome changes to the subtree months of events that have a share already
/// (an event counted for the first time is added whole by [`move_outcomes`] when its share
/// is made, in the same call of `tallies::apply`).
pub fn add_outcomes(conn: &mut DbConn, deltas: &OutcomeDeltas) -> Result<(), AppError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = deltas.keys().map(|k| k.0).collect();
    ids.dedup();
    let mut keys: BTreeMap<String, (NaiveDate, String, String)> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, NaiveDate, String, String)> = es::table
            .inner_join(offices::table.on(offices::id.eq(es::office_id)))
            .filter(es::event_id.eq_any(chunk))
            .select((es::event_id, es::month, es::channel_key, offices::path))
            .load(conn)?;
        keys.extend(rows.into_iter().map(|(id, m, c, p)| (id, (m, c, p))));
    }
    let mut months: BTreeMap<(String, NaiveDate, String, String, String, String), i32> =
        BTreeMap::new();
    for ((event_id, outcome, reason, band), n) in deltas {
        let Some((month, channel, path)) = keys.get(*event_id) else {
            continue;
        };
        for office in ancestors(path) {
            *months
                .entry((
                    office.to_string(),
                    *month,
                    channel.clone(),
                    outcome.as_str().to_string(),
                    reason.to_string(),
                    band.to_string(),
                ))
                .or_default() += n;
        }
    }
    upsert_outcome_months(conn, months)
}

/// An event's share was made, or moved to another month or channel: its current outcome
/// counts leave the old (month, channel) and enter the new one.
pub struct OutcomeMove {
    pub event_id: String,
    pub path: String,
    pub old: Option<(NaiveDate, String)>,
    pub new: (NaiveDate, String),
}

pub fn move_outcomes(conn: &mut DbConn, moves: &[OutcomeMove]) -> Result<(), AppError> {
    if moves.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = moves.iter().map(|m| m.event_id.as_str()).collect();
    let rows: Vec<(String, String, String, String, i32)> = ot::table
        .filter(ot::event_id.eq_any(&ids))
        .select((
            ot::event_id,
            ot::outcome,
            ot::failure_reason,
            ot::age_band,
            ot::n,
        ))
        .load(conn)?;
    let mut by_event: BTreeMap<&str, Vec<(&str, &str, &str, i32)>> = BTreeMap::new();
    for (e, o, r, b, n) in &rows {
        by_event
            .entry(e.as_str())
            .or_default()
            .push((o.as_str(), r.as_str(), b.as_str(), *n));
    }
    let mut months: BTreeMap<(String, NaiveDate, String, String, String, String), i32> =
        BTreeMap::new();
    for m in moves {
        let Some(outcomes) = by_event.get(m.event_id.as_str()) else {
            continue;
        };
        let sides = m.old.iter().map(|k| (k, -1)).chain([(&m.new, 1)]);
        for ((month, channel), sign) in sides {
            for office in ancestors(&m.path) {
                for (o, r, b, n) in outcomes {
                    *months
                        .entry((
                            office.to_string(),
                            *month,
                            channel.clone(),
                            o.to_string(),
                            r.to_string(),
                            b.to_string(),
                        ))
                        .or_default() += sign * n;
                }
            }
        }
    }
    upsert_outcome_months(conn, months)
}

#[derive(Insertable)]
#[diesel(table_name = omt)]
struct OutcomeMonthRow {
    office_id: String,
    month: NaiveDate,
    channel_key: String,
    outcome: String,
    failure_reason: String,
    age_band: String,
    n: i32,
}

/// One multi-row upsert per 200 rows, in key order (PostgreSQL writers lock rows in the same
/// order: no deadlock).
fn upsert_outcome_months(
    conn: &mut DbConn,
    months: BTreeMap<(String, NaiveDate, String, String, String, String), i32>,
) -> Result<(), AppError> {
    let rows: Vec<OutcomeMonthRow> = months
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(
            |((office_id, month, channel_key, outcome, failure_reason, age_band), n)| {
                OutcomeMonthRow {
                    office_id,
                    month,
                    channel_key,
                    outcome,
                    failure_reason,
                    age_band,
                    n,
                }
            },
        )
        .collect();
    for chunk in rows.chunks(200) {
        upsert_rows!(conn, chunk, |v| diesel::insert_into(omt::table)
            .values(v)
            .on_conflict((
                omt::office_id,
                omt::month,
                omt::channel_key,
                omt::outcome,
                omt::failure_reason,
                omt::age_band,
            ))
            .do_update()
            .set(omt::n.eq(omt::n + excluded(omt::n))));
    }
    Ok(())
}

/// Recomputes the three tables from the activations, staff hours, per-event outcome
/// tallies and event shares (which must be current): the statements of the migration that
/// created them.
pub fn rebuild(conn: &mut DbConn) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    diesel::delete(omt::table).execute(conn)?;
    diesel::delete(smt::table).execute(conn)?;
    diesel::delete(ss::table).execute(conn)?;
    let month = match conn {
        DbConn::Pg(_) => "CAST(date_trunc('month', e.local_date) AS DATE)",
        DbConn::Sqlite(_) => "date(e.local_date, 'start of month')",
    };
    let names: Vec<String> = REASONS.iter().map(|r| format!("failed_{r}")).collect();
    let cols = names.join(", ");
    let known: Vec<String> = REASONS[..REASONS.len() - 1]
        .iter()
        .map(|r| format!("'{r}'"))
        .collect();
    let per_reason: String = REASONS
        .iter()
        .map(|r| {
            let when = if *r == "other" {
                format!(
                    "(failure_reason IS NULL OR failure_reason NOT IN ({}))",
                    known.join(", ")
                )
            } else {
                format!("failure_reason = '{r}'")
            };
            format!(
                ", SUM(CASE WHEN outcome = 'failed' AND {when} THEN 1 ELSE 0 END) AS failed_{r}"
            )
        })
        .collect();
    let zeros: String = REASONS.iter().map(|_| ", 0").collect();
    let x_sums: String = names.iter().map(|n| format!(", SUM(x.{n})")).collect();
    let s_sums: String = names.iter().map(|n| format!(", SUM(s.{n})")).collect();
    let sql = format!(
        "INSERT INTO staff_shares (event_id, user_id, office_id, month, records, activated, failed, \
           {cols}, staff_micro_hours, staff_entries) \
         SELECT x.event_id, x.user_id, e.office_id, {month}, SUM(x.records), SUM(x.activated), \
           SUM(x.failed){x_sums}, SUM(x.micro), SUM(x.entries) \
         FROM (SELECT event_id, staff_id AS user_id, COUNT(*) AS records, \
             SUM(CASE WHEN outcome = 'activated' AND NOT repeat_citizen THEN 1 ELSE 0 END) AS activated, \
             SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed{per_reason}, \
             CAST(0 AS BIGINT) AS micro, 0 AS entries \
           FROM activations WHERE voided_at IS NULL GROUP BY event_id, staff_id \
           UNION ALL SELECT event_id, user_id, 0, 0, 0{zeros}, \
             CAST(ROUND(hours * 1000000) AS BIGINT), 1 FROM event_staff) x \
         JOIN events e ON e.id = x.event_id \
         GROUP BY x.event_id, x.user_id, e.office_id, e.local_date; \
         INSERT INTO staff_month_tallies (office_id, month, user_id, events, activated, failed, \
           {cols}, staff_micro_hours, staff_entries) \
         SELECT a.id, s.month, s.user_id, COUNT(*), SUM(s.activated), SUM(s.failed){s_sums}, \
           SUM(s.staff_micro_hours), SUM(s.staff_entries) \
         FROM staff_shares s JOIN offices o ON o.id = s.office_id \
         JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path \
         GROUP BY a.id, s.month, s.user_id; \
         INSERT INTO outcome_month_tallies (office_id, month, channel_key, outcome, failure_reason, age_band, n) \
         SELECT a.id, s.month, s.channel_key, t.outcome, t.failure_reason, t.age_band, SUM(t.n) \
         FROM event_outcome_tallies t JOIN event_shares s ON s.event_id = t.event_id \
         JOIN offices o ON o.id = s.office_id \
         JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path \
         GROUP BY a.id, s.month, s.channel_key, t.outcome, t.failure_reason, t.age_band;"
    );
    match conn {
        DbConn::Pg(c) => c.batch_execute(&sql)?,
        DbConn::Sqlite(c) => c.batch_execute(&sql)?,
    }
    Ok(())
}
