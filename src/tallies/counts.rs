//! The roll-ups counted from activations: per event (with failure reasons), per office
//! and day, per event/outcome/reason/age band, per office, year and home district.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{reason_index, refresh_events, TallyChange, N_REASONS};
use crate::db::DbConn;
use crate::domain::{FailureReason, Outcome};
use crate::error::AppError;
use crate::schema::{
    activations, daily_tallies as dt, event_outcome_tallies as ot, event_tallies as et, events,
    residence_tallies as rt,
};

/// Adds the changes to the per-event, per-day, per-outcome and residence roll-ups; returns
/// the events whose counts changed.
pub(super) fn apply_counts(
    conn: &mut DbConn,
    changes: &[TallyChange],
    subtrees: bool,
) -> Result<Vec<String>, AppError> {
    let mut by_event: BTreeMap<&str, (i32, i32, [i32; N_REASONS])> = BTreeMap::new();
    let mut by_day: BTreeMap<(&str, NaiveDate), (i32, i32)> = BTreeMap::new();
    let mut by_outcome: BTreeMap<(&str, Outcome, &str, &str), i32> = BTreeMap::new();
    let mut by_residence: BTreeMap<(&str, i32, &str), i32> = BTreeMap::new();
    let mut by_staff = super::subtree::StaffDeltas::new();
    for ch in changes {
        // Every stored activation makes its recorder part of the event, counted or not.
        by_staff
            .entry((&ch.event_id, &ch.staff_id))
            .or_default()
            .add(ch.sign, ch.counts(), ch.outcome, ch.failure_reason);
    }
    for ch in changes.iter().filter(|c| c.counts()) {
        let (a, f) = ch.split();
        let e = by_event.entry(&ch.event_id).or_default();
        e.0 += a;
        e.1 += f;
        if f != 0 {
            e.2[reason_index(ch.failure_reason)] += f;
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
                ch.outcome,
                ch.failure_reason.map_or("", FailureReason::as_str),
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
            with_reason_columns!(reason_values!(et, r)),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(et::table)
            .values(row)
            .on_conflict(et::event_id)
            .do_update()
            .set((
                et::activated.eq(et::activated + excluded(et::activated)),
                et::failed.eq(et::failed + excluded(et::failed)),
                with_reason_columns!(reason_sums!(et)),
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
        super::subtree::add_outcomes(conn, &by_outcome)?;
        super::subtree::add_staff(conn, &by_staff)?;
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
    let old: Vec<(NaiveDate, i32, i32)> = dt::table
        .filter(dt::office_id.eq(office_id))
        .select((dt::local_date, dt::activated, dt::failed))
        .load(conn)?;
    diesel::delete(dt::table.filter(dt::office_id.eq(office_id))).execute(conn)?;
    let rows: Vec<(NaiveDate, Outcome, bool, i64)> = activations::table
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
        match (outcome, repeat) {
            (Outcome::Activated, false) => d.0 += n as i32,
            (Outcome::Activated, true) => {}
            _ => d.1 += n as i32,
        }
    }
    super::days::replace_office_days(conn, office_id, &old, &days)?;
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
        .filter(activations::outcome.eq(Outcome::Activated))
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
