//! The per-day roll-ups per office subtree (issue 13): counted activations per activation
//! day (`subtree_days`), the channel figures and median histogram per event day
//! (`channel_days`, `channel_day_histogram`) and events per area and day (`area_days`).
//! Like the monthly ones, every row counts for its own office and each office above it, so
//! a nation's year reads about a row a day (or per area and day), whatever its size. Kept by
//! hooks in `counts.rs` and `months.rs`, in the transaction of the rows they count.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::months::{ancestors, MonthDelta, Share};
use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{
    area_days as ad, channel_day_histogram as ch, channel_days as cd, offices, subtree_days as sd,
};

/// (office, activation day) -> (activated, failed), as `daily_tallies` counts them.
pub(super) type OfficeDays<'a> = BTreeMap<(&'a str, NaiveDate), (i32, i32)>;

/// Adds per-office day changes to the subtree days of the offices and every office above.
pub(super) fn add_office_days(conn: &mut DbConn, by_day: &OfficeDays) -> Result<(), AppError> {
    if by_day.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = by_day.keys().map(|k| k.0).collect();
    ids.dedup();
    let paths: BTreeMap<String, String> = offices::table
        .filter(offices::id.eq_any(&ids))
        .select((offices::id, offices::path))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut days: BTreeMap<(&str, NaiveDate), (i32, i32)> = BTreeMap::new();
    for ((office, day), (a, f)) in by_day {
        let Some(path) = paths.get(*office) else {
            continue;
        };
        for above in ancestors(path) {
            let d = days.entry((above, *day)).or_default();
            d.0 += a;
            d.1 += f;
        }
    }
    upsert_subtree_days(conn, days)
}

/// An office's activation days were recounted (its time zone changed): its old days leave
/// the subtree days of it and every office above, its new ones enter.
pub(super) fn replace_office_days(
    conn: &mut DbConn,
    office_id: &str,
    old: &[(NaiveDate, i32, i32)],
    new: &BTreeMap<NaiveDate, (i32, i32)>,
) -> Result<(), AppError> {
    let mut by_day: OfficeDays = BTreeMap::new();
    for (day, a, f) in old {
        let d = by_day.entry((office_id, *day)).or_default();
        d.0 -= a;
        d.1 -= f;
    }
    for (day, (a, f)) in new {
        let d = by_day.entry((office_id, *day)).or_default();
        d.0 += a;
        d.1 += f;
    }
    by_day.retain(|_, d| *d != (0, 0));
    add_office_days(conn, &by_day)
}

/// Upserts in key order (PostgreSQL writers lock rows in the same order: no deadlock).
fn upsert_subtree_days(
    conn: &mut DbConn,
    days: BTreeMap<(&str, NaiveDate), (i32, i32)>,
) -> Result<(), AppError> {
    for ((office_id, day), (a, f)) in days {
        if (a, f) == (0, 0) {
            continue;
        }
        let row = (
            sd::office_id.eq(office_id),
            sd::local_date.eq(day),
            sd::activated.eq(a),
            sd::failed.eq(f),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(sd::table)
            .values(row)
            .on_conflict((sd::office_id, sd::local_date))
            .do_update()
            .set((
                sd::activated.eq(sd::activated + excluded(sd::activated)),
                sd::failed.eq(sd::failed + excluded(sd::failed)),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// What a refresh of event shares changes in the per-day tables, gathered while the
/// monthly changes are, and written after them.
#[derive(Default)]
pub(super) struct DayChanges {
    channels: BTreeMap<(String, NaiveDate, String), MonthDelta>,
    bins: BTreeMap<(String, NaiveDate, String, i32), i32>,
    /// (office, area, day) -> (events, activated, failed)
    areas: BTreeMap<(String, String, NaiveDate), (i32, i32, i32)>,
}

impl DayChanges {
    /// One event's share entering (`sign = 1`) or leaving (`-1`) the days of `office`.
    pub(super) fn add(&mut self, office: &str, share: &Share, sign: i32) {
        self.channels
            .entry((
                office.to_string(),
                share.local_date,
                share.channel_key.clone(),
            ))
            .or_default()
            .add(share, sign);
        *self
            .bins
            .entry((
                office.to_string(),
                share.local_date,
                share.channel_key.clone(),
                share.activated,
            ))
            .or_default() += sign;
        let a = self
            .areas
            .entry((
                office.to_string(),
                share.area_code.clone(),
                share.local_date,
            ))
            .or_default();
        a.0 += sign;
        a.1 += sign * share.activated;
        a.2 += sign * share.failed;
    }

    /// One upsert per changed row, each table in key order.
    pub(super) fn write(self, conn: &mut DbConn) -> Result<(), AppError> {
        for ((office_id, day, channel_key), d) in self.channels {
            if d == MonthDelta::default() {
                continue;
            }
            let r = d.reasons;
            let row = (
                (
                    cd::office_id.eq(office_id),
                    cd::local_date.eq(day),
                    cd::channel_key.eq(channel_key),
                    cd::events.eq(d.events),
                    cd::activated.eq(d.activated),
                    cd::failed.eq(d.failed),
                ),
                with_reason_columns!(reason_values!(cd, r)),
                (
                    cd::cost_idr.eq(d.cost_idr),
                    cd::cost_events.eq(d.cost_events),
                    cd::staff_micro_hours.eq(d.staff_micro_hours),
                    cd::staff_entries.eq(d.staff_entries),
                ),
            );
            crate::with_conn!(conn, |c| diesel::insert_into(cd::table)
                .values(row)
                .on_conflict((cd::office_id, cd::local_date, cd::channel_key))
                .do_update()
                .set((
                    (
                        cd::events.eq(cd::events + excluded(cd::events)),
                        cd::activated.eq(cd::activated + excluded(cd::activated)),
                        cd::failed.eq(cd::failed + excluded(cd::failed)),
                    ),
                    with_reason_columns!(reason_sums!(cd)),
                    (
                        cd::cost_idr.eq(cd::cost_idr + excluded(cd::cost_idr)),
                        cd::cost_events.eq(cd::cost_events + excluded(cd::cost_events)),
                        cd::staff_micro_hours
                            .eq(cd::staff_micro_hours + excluded(cd::staff_micro_hours)),
                        cd::staff_entries.eq(cd::staff_entries + excluded(cd::staff_entries)),
                    ),
                ))
                .execute(c))?;
        }
        for ((office_id, day, channel_key, activated), n) in self.bins {
            add_to_bin!(
                conn,
                ch,
                local_date,
                (&office_id, day, &channel_key, activated),
                n
            );
        }
        for ((office_id, area_code, day), (e, a, f)) in self.areas {
            if (e, a, f) == (0, 0, 0) {
                continue;
            }
            let row = (
                ad::office_id.eq(office_id),
                ad::area_code.eq(area_code),
                ad::local_date.eq(day),
                ad::events.eq(e),
                ad::activated.eq(a),
                ad::failed.eq(f),
            );
            crate::with_conn!(conn, |c| diesel::insert_into(ad::table)
                .values(row)
                .on_conflict((ad::office_id, ad::area_code, ad::local_date))
                .do_update()
                .set((
                    ad::events.eq(ad::events + excluded(ad::events)),
                    ad::activated.eq(ad::activated + excluded(ad::activated)),
                    ad::failed.eq(ad::failed + excluded(ad::failed)),
                ))
                .execute(c))?;
        }
        Ok(())
    }
}

/// The statements that fill the per-day tables from `daily_tallies` and `event_shares` (the
/// event shares' day and area first): the migration's own, the same on both backends.
const FILL: &str = include_str!("../../migrations/sqlite/2026-12-07-000500_day_tallies/up.sql");

/// Recomputes the per-day tables from `daily_tallies`, the events and their shares (which
/// must be current): the statements of the migration that created them.
pub fn rebuild_days(conn: &mut DbConn) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    diesel::delete(sd::table).execute(conn)?;
    diesel::delete(cd::table).execute(conn)?;
    diesel::delete(ch::table).execute(conn)?;
    diesel::delete(ad::table).execute(conn)?;
    let start = FILL.find("UPDATE event_shares").unwrap_or(FILL.len());
    let sql = &FILL[start..];
    match conn {
        DbConn::Pg(c) => c.batch_execute(sql)?,
        DbConn::Sqlite(c) => c.batch_execute(sql)?,
    }
    Ok(())
}
