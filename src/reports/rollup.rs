//! Roll-up maintenance: the tallies reports read, changed in the same transaction as the
//! activations they count (sync adds, voiding subtracts). Keys are applied in sorted order so
//! concurrent transactions on PostgreSQL lock the same rows in the same order (no deadlock).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{
    activations, daily_tallies as dt, event_outcome_tallies as ot, event_shares as es, event_staff,
    event_tallies as et, events, month_histogram as mh, month_tallies as mt, offices,
    residence_tallies as rt,
};

/// The failure reasons, in the order of `event_tallies`' `failed_<reason>` columns.
pub const REASONS: [&str; 9] = [
    "no_smartphone",
    "phone_no_camera",
    "no_signal",
    "ektp_not_recorded",
    "data_mismatch",
    "no_email",
    "declined",
    "app_error",
    "other",
];

/// Index of a reason in [`REASONS`]; unknown reasons count as `other`.
pub fn reason_index(reason: Option<&str>) -> usize {
    reason
        .and_then(|r| REASONS.iter().position(|x| *x == r))
        .unwrap_or(REASONS.len() - 1)
}

/// One activation entering (`sign = 1`) or leaving (`sign = -1`, voided) the counts.
#[derive(Clone, Debug)]
pub struct TallyChange {
    pub event_id: String,
    /// The event's office (activations count where their event belongs).
    pub office_id: String,
    /// The activation's local date in the event office's time zone.
    pub local_date: NaiveDate,
    /// `activated` or `failed`.
    pub outcome: String,
    pub failure_reason: Option<String>,
    pub age_band: Option<String>,
    /// The district of the citizen's NIK (`DD.DD.DD`), `None` without a NIK.
    pub home_district: Option<String>,
    pub repeat_citizen: bool,
    /// Who recorded it (the staff report's roll-ups).
    pub staff_id: String,
    pub sign: i32,
}

impl TallyChange {
    /// A stored activation entering (`sign = 1`) or leaving (`-1`) the counts.
    pub fn of(a: &crate::activations::repo::Activation, sign: i32) -> TallyChange {
        TallyChange {
            event_id: a.event_id.clone(),
            office_id: a.office_id.clone(),
            local_date: a.local_date,
            outcome: a.outcome.clone(),
            failure_reason: a.failure_reason.clone(),
            age_band: a.age_band.clone(),
            home_district: a.home_district.clone(),
            repeat_citizen: a.repeat_citizen,
            staff_id: a.staff_id.clone(),
            sign,
        }
    }

    /// A repeat citizen's activation is stored but never counted.
    fn counts(&self) -> bool {
        !(self.outcome == "activated" && self.repeat_citizen)
    }

    fn split(&self) -> (i32, i32) {
        if self.outcome == "activated" {
            (self.sign, 0)
        } else {
            (0, self.sign)
        }
    }
}

/// Adds the changes to every roll-up, the monthly ones included.
pub fn apply(conn: &mut DbConn, changes: &[TallyChange]) -> Result<(), AppError> {
    let touched = apply_counts(conn, changes, true)?;
    refresh_events(conn, &touched)
}

/// Adds the changes to the per-event, per-day, per-outcome and residence roll-ups; returns
/// the events whose counts changed.
fn apply_counts(
    conn: &mut DbConn,
    changes: &[TallyChange],
    subtrees: bool,
) -> Result<Vec<String>, AppError> {
    let mut by_event: BTreeMap<&str, (i32, i32, [i32; 9])> = BTreeMap::new();
    let mut by_day: BTreeMap<(&str, NaiveDate), (i32, i32)> = BTreeMap::new();
    let mut by_outcome: BTreeMap<(&str, &str, &str, &str), i32> = BTreeMap::new();
    let mut by_residence: BTreeMap<(&str, i32, &str), i32> = BTreeMap::new();
    let mut by_staff = super::subtree_tallies::StaffDeltas::new();
    for ch in changes {
        // Every stored activation makes its recorder part of the event, counted or not.
        by_staff
            .entry((&ch.event_id, &ch.staff_id))
            .or_default()
            .add(
                ch.sign,
                ch.counts(),
                &ch.outcome,
                ch.failure_reason.as_deref(),
            );
    }
    for ch in changes.iter().filter(|c| c.counts()) {
        let (a, f) = ch.split();
        let e = by_event.entry(&ch.event_id).or_default();
        e.0 += a;
        e.1 += f;
        if f != 0 {
            e.2[reason_index(ch.failure_reason.as_deref())] += f;
        }
        let d = by_day.entry((&ch.office_id, ch.local_date)).or_default();
        d.0 += a;
        d.1 += f;
        if a != 0 {
            *by_residence
                .entry((
                    &ch.office_id,
                    ch.local_date.year(),
                    ch.home_district.as_deref().unwrap_or(""),
                ))
                .or_default() += a;
        }
        *by_outcome
            .entry((
                &ch.event_id,
                &ch.outcome,
                ch.failure_reason.as_deref().unwrap_or(""),
                ch.age_band.as_deref().unwrap_or("unknown"),
            ))
            .or_default() += ch.sign;
    }
    let touched: Vec<String> = by_event.keys().map(|k| k.to_string()).collect();
    for (event_id, (a, f, r)) in by_event {
        let row = (
            (
                et::event_id.eq(event_id),
                et::activated.eq(a),
                et::failed.eq(f),
            ),
            (
                et::failed_no_smartphone.eq(r[0]),
                et::failed_phone_no_camera.eq(r[1]),
                et::failed_no_signal.eq(r[2]),
                et::failed_ektp_not_recorded.eq(r[3]),
                et::failed_data_mismatch.eq(r[4]),
                et::failed_no_email.eq(r[5]),
                et::failed_declined.eq(r[6]),
                et::failed_app_error.eq(r[7]),
                et::failed_other.eq(r[8]),
            ),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(et::table)
            .values(row)
            .on_conflict(et::event_id)
            .do_update()
            .set((
                et::activated.eq(et::activated + excluded(et::activated)),
                et::failed.eq(et::failed + excluded(et::failed)),
                et::failed_no_smartphone
                    .eq(et::failed_no_smartphone + excluded(et::failed_no_smartphone)),
                et::failed_phone_no_camera
                    .eq(et::failed_phone_no_camera + excluded(et::failed_phone_no_camera)),
                et::failed_no_signal.eq(et::failed_no_signal + excluded(et::failed_no_signal)),
                et::failed_ektp_not_recorded
                    .eq(et::failed_ektp_not_recorded + excluded(et::failed_ektp_not_recorded)),
                et::failed_data_mismatch
                    .eq(et::failed_data_mismatch + excluded(et::failed_data_mismatch)),
                et::failed_no_email.eq(et::failed_no_email + excluded(et::failed_no_email)),
                et::failed_declined.eq(et::failed_declined + excluded(et::failed_declined)),
                et::failed_app_error.eq(et::failed_app_error + excluded(et::failed_app_error)),
                et::failed_other.eq(et::failed_other + excluded(et::failed_other)),
            ))
            .execute(c))?;
    }
    for ((office_id, date), (a, f)) in by_day {
        let row = (
            dt::office_id.eq(office_id),
            dt::local_date.eq(date),
            dt::activated.eq(a),
            dt::failed.eq(f),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(dt::table)
            .values(row)
            .on_conflict((dt::office_id, dt::local_date))
            .do_update()
            .set((
                dt::activated.eq(dt::activated + excluded(dt::activated)),
                dt::failed.eq(dt::failed + excluded(dt::failed)),
            ))
            .execute(c))?;
    }
    if subtrees {
        super::subtree_tallies::add_outcomes(conn, &by_outcome)?;
        super::subtree_tallies::add_staff(conn, &by_staff)?;
    }
    for ((event_id, outcome, reason, band), n) in by_outcome {
        let row = (
            ot::event_id.eq(event_id),
            ot::outcome.eq(outcome),
            ot::failure_reason.eq(reason),
            ot::age_band.eq(band),
            ot::n.eq(n),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(ot::table)
            .values(row)
            .on_conflict((ot::event_id, ot::outcome, ot::failure_reason, ot::age_band))
            .do_update()
            .set(ot::n.eq(ot::n + excluded(ot::n)))
            .execute(c))?;
    }
    for ((office_id, year, district), n) in by_residence {
        let row = (
            rt::office_id.eq(office_id),
            rt::year.eq(year),
            rt::home_district.eq(district),
            rt::activated.eq(n),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(rt::table)
            .values(row)
            .on_conflict((rt::office_id, rt::year, rt::home_district))
            .do_update()
            .set(rt::activated.eq(rt::activated + excluded(rt::activated)))
            .execute(c))?;
    }
    Ok(touched)
}

/// Recounts one office's per-day tallies (and its per-year residence tallies) from its
/// activations: after its time zone changed, the activations' local days moved, and a day
/// at the turn of the year may have changed its year.
pub fn recount_office_days(conn: &mut DbConn, office_id: &str) -> Result<(), AppError> {
    recount_office_residence(conn, office_id)?;
    // The office's events were re-dated too: some may have moved to another month.
    let ids: Vec<String> = events::table
        .filter(events::office_id.eq(office_id))
        .select(events::id)
        .load(conn)?;
    refresh_events(conn, &ids)?;
    diesel::delete(dt::table.filter(dt::office_id.eq(office_id))).execute(conn)?;
    let rows: Vec<(NaiveDate, String, bool, i64)> = activations::table
        .filter(activations::office_id.eq(office_id))
        .filter(activations::voided_at.is_null())
        .group_by((
            activations::local_date,
            activations::outcome,
            activations::repeat_citizen,
        ))
        .select((
            activations::local_date,
            activations::outcome,
            activations::repeat_citizen,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut days: BTreeMap<NaiveDate, (i32, i32)> = BTreeMap::new();
    for (day, outcome, repeat, n) in rows {
        let d = days.entry(day).or_default();
        match (outcome.as_str(), repeat) {
            ("activated", false) => d.0 += n as i32,
            ("activated", true) => {}
            _ => d.1 += n as i32,
        }
    }
    for (day, (a, f)) in days {
        diesel::insert_into(dt::table)
            .values((
                dt::office_id.eq(office_id),
                dt::local_date.eq(day),
                dt::activated.eq(a),
                dt::failed.eq(f),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Recounts one office's residence tallies from its counted activations.
fn recount_office_residence(conn: &mut DbConn, office_id: &str) -> Result<(), AppError> {
    diesel::delete(rt::table.filter(rt::office_id.eq(office_id))).execute(conn)?;
    // Grouped by day (the year is computed here: SQL date functions differ by backend).
    let rows: Vec<(NaiveDate, Option<String>, i64)> = activations::table
        .filter(activations::office_id.eq(office_id))
        .filter(activations::voided_at.is_null())
        .filter(activations::outcome.eq("activated"))
        .filter(activations::repeat_citizen.eq(false))
        .group_by((activations::local_date, activations::home_district))
        .select((
            activations::local_date,
            activations::home_district,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut years: BTreeMap<(i32, String), i64> = BTreeMap::new();
    for (day, district, n) in rows {
        *years
            .entry((day.year(), district.unwrap_or_default()))
            .or_default() += n;
    }
    for ((year, district), n) in years {
        diesel::insert_into(rt::table)
            .values((
                rt::office_id.eq(office_id),
                rt::year.eq(year),
                rt::home_district.eq(district),
                rt::activated.eq(n as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Recomputes every roll-up from the activations: a repair tool, and the reference the
/// tests compare the incremental roll-ups against.
pub fn rebuild(conn: &mut DbConn) -> Result<usize, AppError> {
    diesel::delete(et::table).execute(conn)?;
    diesel::delete(dt::table).execute(conn)?;
    diesel::delete(ot::table).execute(conn)?;
    diesel::delete(rt::table).execute(conn)?;
    diesel::delete(mh::table).execute(conn)?;
    diesel::delete(mt::table).execute(conn)?;
    diesel::delete(es::table).execute(conn)?;
    type Row = (
        String,
        String,
        NaiveDate,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
        String,
    );
    let rows: Vec<Row> = activations::table
        .inner_join(events::table)
        .filter(activations::voided_at.is_null())
        .select((
            activations::event_id,
            events::office_id,
            activations::local_date,
            activations::outcome,
            activations::failure_reason,
            activations::age_band,
            activations::home_district,
            activations::repeat_citizen,
            activations::staff_id,
        ))
        .load(conn)?;
    let changes: Vec<TallyChange> = rows
        .into_iter()
        .map(
            |(
                event_id,
                office_id,
                local_date,
                outcome,
                failure_reason,
                age_band,
                home_district,
                repeat_citizen,
                staff_id,
            )| TallyChange {
                event_id,
                office_id,
                local_date,
                outcome,
                failure_reason,
                age_band,
                home_district,
                repeat_citizen,
                staff_id,
                sign: 1,
            },
        )
        .collect();
    let n = changes.len();
    for chunk in changes.chunks(5000) {
        // The subtree roll-ups are recounted whole by rebuild_months below.
        apply_counts(conn, chunk, false)?;
    }
    rebuild_months(conn)?;
    Ok(n)
}

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
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// What one event adds to the monthly roll-ups (a row of `event_shares`).
#[derive(Clone, Debug, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = es)]
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
    pub failed_no_smartphone: i32,
    pub failed_phone_no_camera: i32,
    pub failed_no_signal: i32,
    pub failed_ektp_not_recorded: i32,
    pub failed_data_mismatch: i32,
    pub failed_no_email: i32,
    pub failed_declined: i32,
    pub failed_app_error: i32,
    pub failed_other: i32,
}

impl Share {
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

/// A change of one `month_tallies` row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct MonthDelta {
    events: i32,
    activated: i32,
    failed: i32,
    reasons: [i32; 9],
    cost_idr: i64,
    cost_events: i32,
    staff_micro_hours: i64,
    staff_entries: i32,
}

impl MonthDelta {
    fn add(&mut self, s: &Share, sign: i32) {
        self.events += sign;
        self.activated += sign * s.activated;
        self.failed += sign * s.failed;
        for (d, r) in self.reasons.iter_mut().zip(s.reasons()) {
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

type TallyCounts = (i32, i32, (i32, i32, i32, i32, i32, i32, i32, i32, i32));

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
        super::subtree_tallies::refresh_staff(conn, chunk)?;
    }
    Ok(())
}

fn refresh_chunk(conn: &mut DbConn, ids: &[String]) -> Result<(), AppError> {
    let evs: Vec<(String, String, String, NaiveDate, String, Option<i64>)> = events::table
        .inner_join(offices::table)
        .filter(events::id.eq_any(ids))
        .select((
            events::id,
            events::office_id,
            offices::path,
            events::local_date,
            events::channel_key,
            events::cost_idr,
        ))
        .load(conn)?;
    let counts: Vec<(String, TallyCounts)> = et::table
        .filter(et::event_id.eq_any(ids))
        .select((
            et::event_id,
            (
                et::activated,
                et::failed,
                (
                    et::failed_no_smartphone,
                    et::failed_phone_no_camera,
                    et::failed_no_signal,
                    et::failed_ektp_not_recorded,
                    et::failed_data_mismatch,
                    et::failed_no_email,
                    et::failed_declined,
                    et::failed_app_error,
                    et::failed_other,
                ),
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
    let stored: Vec<Share> = es::table
        .filter(es::event_id.eq_any(ids))
        .select(Share::as_select())
        .load(conn)?;
    let mut stored: BTreeMap<String, Share> = stored
        .into_iter()
        .map(|s| (s.event_id.clone(), s))
        .collect();

    let mut months: BTreeMap<(String, NaiveDate, String), MonthDelta> = BTreeMap::new();
    let mut bins: BTreeMap<(String, NaiveDate, String, i32), i32> = BTreeMap::new();
    let mut changed: Vec<Share> = Vec::new();
    let mut moves = Vec::new();
    for (id, office_id, path, local_date, channel_key, cost_idr) in evs {
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
            failed_no_smartphone: r.0,
            failed_phone_no_camera: r.1,
            failed_no_signal: r.2,
            failed_ektp_not_recorded: r.3,
            failed_data_mismatch: r.4,
            failed_no_email: r.5,
            failed_declined: r.6,
            failed_app_error: r.7,
            failed_other: r.8,
        };
        let old = stored.remove(&id);
        if old.as_ref() == Some(&now) {
            continue;
        }
        let old_key = old.as_ref().map(|s| (s.month, s.channel_key.clone()));
        if old_key.as_ref() != Some(&(now.month, now.channel_key.clone())) {
            moves.push(super::subtree_tallies::OutcomeMove {
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
            (
                mt::failed_no_smartphone.eq(r[0]),
                mt::failed_phone_no_camera.eq(r[1]),
                mt::failed_no_signal.eq(r[2]),
                mt::failed_ektp_not_recorded.eq(r[3]),
                mt::failed_data_mismatch.eq(r[4]),
                mt::failed_no_email.eq(r[5]),
                mt::failed_declined.eq(r[6]),
                mt::failed_app_error.eq(r[7]),
                mt::failed_other.eq(r[8]),
            ),
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
                (
                    mt::failed_no_smartphone
                        .eq(mt::failed_no_smartphone + excluded(mt::failed_no_smartphone)),
                    mt::failed_phone_no_camera
                        .eq(mt::failed_phone_no_camera + excluded(mt::failed_phone_no_camera)),
                    mt::failed_no_signal.eq(mt::failed_no_signal + excluded(mt::failed_no_signal)),
                    mt::failed_ektp_not_recorded
                        .eq(mt::failed_ektp_not_recorded + excluded(mt::failed_ektp_not_recorded)),
                    mt::failed_data_mismatch
                        .eq(mt::failed_data_mismatch + excluded(mt::failed_data_mismatch)),
                    mt::failed_no_email.eq(mt::failed_no_email + excluded(mt::failed_no_email)),
                    mt::failed_declined.eq(mt::failed_declined + excluded(mt::failed_declined)),
                    mt::failed_app_error.eq(mt::failed_app_error + excluded(mt::failed_app_error)),
                    mt::failed_other.eq(mt::failed_other + excluded(mt::failed_other)),
                ),
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
        if n == 0 {
            continue;
        }
        let row = (
            mh::office_id.eq(office_id),
            mh::month.eq(month),
            mh::channel_key.eq(channel_key),
            mh::activated.eq(activated),
            mh::events.eq(n),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(mh::table)
            .values(row)
            .on_conflict((mh::office_id, mh::month, mh::channel_key, mh::activated))
            .do_update()
            .set(mh::events.eq(mh::events + excluded(mh::events)))
            .execute(c))?;
    }
    super::subtree_tallies::move_outcomes(conn, &moves)?;
    if !changed.is_empty() {
        let ids: Vec<&str> = changed.iter().map(|s| s.event_id.as_str()).collect();
        diesel::delete(es::table.filter(es::event_id.eq_any(&ids))).execute(conn)?;
        for share in &changed {
            crate::with_conn!(conn, |c| diesel::insert_into(es::table)
                .values(share)
                .execute(c))?;
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
           staff_micro_hours, staff_entries, activated, failed, {cols}) \
         SELECT e.id, e.office_id, {month}, e.channel_key, e.cost_idr, COALESCE(st.micro, 0), \
           COALESCE(st.n, 0), COALESCE(t.activated, 0), COALESCE(t.failed, 0){from_tallies} \
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
    super::subtree_tallies::rebuild(conn)
}
