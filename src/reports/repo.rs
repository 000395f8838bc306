//! The report queries. Each reads roll-ups (or, for one event or one office's staff, the
//! activations themselves) restricted to an office's subtree by its path pattern.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::{count_star, max, sum};
use diesel::prelude::*;

use crate::auth::extractor::scope_office_ids;
use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{
    activations as a, area_days as ad, channel_day_histogram as ch, channel_days as cd,
    daily_tallies as dt, event_outcome_tallies as ot, event_staff as es, event_tallies as et,
    events as ev, month_histogram as mh, month_tallies as mt, offices,
    outcome_month_tallies as omt, residence_tallies as rt, staff_month_tallies as smt,
    staff_shares as ss, subtree_days as sd, targets,
};

/// Per-channel (or per-office) totals of the period's events in the subtree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventAggregate {
    pub key: String,
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    /// Sum of the events' costs, `None` when no event has one.
    pub cost_idr: Option<i64>,
    pub failed_by_reason: [i64; 9],
}

type AggRow = (
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    ),
);

fn to_aggregate(row: AggRow) -> EventAggregate {
    let (key, events, activated, failed, cost_idr, r) = row;
    EventAggregate {
        key,
        events,
        activated: activated.unwrap_or(0),
        failed: failed.unwrap_or(0),
        cost_idr,
        failed_by_reason: [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8].map(|x| x.unwrap_or(0)),
    }
}

/// `SUM` of a BIGINT is NUMERIC on PostgreSQL; cast it back so both backends give BIGINT.
fn cost_sum(
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql("CAST(SUM(events.cost_idr) AS BIGINT)")
}

macro_rules! aggregate_by {
    ($conn:expr, $pattern:expr, $from:expr, $to:expr, $key:expr) => {{
        let rows: Vec<AggRow> = ev::table
            .left_join(et::table)
            .filter(ev::office_id.eq_any(scope_office_ids($pattern.to_string())))
            .filter(ev::local_date.between($from, $to))
            .group_by($key)
            .select((
                $key,
                count_star(),
                sum(et::activated.nullable()),
                sum(et::failed.nullable()),
                cost_sum(),
                with_reason_columns!(reason_totals!(et, nullable)),
            ))
            .load($conn)?;
        rows.into_iter().map(to_aggregate).collect::<Vec<_>>()
    }};
}

pub fn aggregate_by_office(
    conn: &mut DbConn,
    pattern: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<EventAggregate>, AppError> {
    Ok(aggregate_by!(conn, pattern, from, to, ev::office_id))
}

impl EventAggregate {
    /// Adds another part of the period (whole months, or a partial month) for the same key.
    pub fn absorb(&mut self, other: &EventAggregate) {
        self.events += other.events;
        self.activated += other.activated;
        self.failed += other.failed;
        self.cost_idr = match (self.cost_idr, other.cost_idr) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        for (a, b) in self.failed_by_reason.iter_mut().zip(other.failed_by_reason) {
            *a += b;
        }
    }
}

type MonthRow = (
    String,
    (Option<i64>, Option<i64>, Option<i64>),
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    ),
);

/// `SUM` of a BIGINT column as BIGINT on both backends (PostgreSQL's is NUMERIC).
fn big_sum(
    table: &str,
    column: &str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql(&format!("CAST(SUM({table}.{column}) AS BIGINT)"))
}

/// Event totals of whole months (`month_tallies`, `$day` its month) or of days
/// (`channel_days`, `$day` its local date), with the staff hours of the same events
/// (`None`: none logged), by `$key` (the channel, or the office whose subtree a row counts).
macro_rules! month_aggregate_by {
    ($conn:expr, $t:ident, $table:literal, $day:ident, $offices:expr, $m1:expr, $m2:expr, $key:expr) => {{
        let table = $table;
        let rows: Vec<MonthRow> = $t::table
            .filter($t::office_id.eq_any($offices))
            .filter($t::$day.between($m1, $m2))
            .group_by($key)
            .select((
                $key,
                (sum($t::events), sum($t::activated), sum($t::failed)),
                (
                    big_sum(table, "cost_idr"),
                    sum($t::cost_events),
                    big_sum(table, "staff_micro_hours"),
                    sum($t::staff_entries),
                ),
                with_reason_columns!(reason_totals!($t)),
            ))
            .load($conn)?;
        let mut hours = HashMap::new();
        let mut aggregates = Vec::with_capacity(rows.len());
        for (key, (events, activated, failed), (cost, cost_events, micro, entries), r) in rows {
            let z = |x: Option<i64>| x.unwrap_or(0);
            if z(entries) > 0 {
                hours.insert(key.clone(), z(micro) as f64 / 1e6);
            }
            aggregates.push(EventAggregate {
                key,
                events: z(events),
                activated: z(activated),
                failed: z(failed),
                cost_idr: (z(cost_events) > 0).then_some(z(cost)),
                failed_by_reason: [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8].map(z),
            });
        }
        (aggregates, hours)
    }};
}

/// The whole months `[m1, m2]` (first days) of one office's subtree, by channel.
pub fn month_aggregate_by_channel(
    conn: &mut DbConn,
    office_id: &str,
    m1: NaiveDate,
    m2: NaiveDate,
) -> Result<(Vec<EventAggregate>, HashMap<String, f64>), AppError> {
    Ok(month_aggregate_by!(
        conn,
        mt,
        "month_tallies",
        month,
        [office_id],
        m1,
        m2,
        mt::channel_key
    ))
}

/// The whole months `[m1, m2]` of each child office's subtree, keyed by the child.
pub fn month_aggregate_by_child(
    conn: &mut DbConn,
    office_id: &str,
    m1: NaiveDate,
    m2: NaiveDate,
) -> Result<(Vec<EventAggregate>, HashMap<String, f64>), AppError> {
    let children = offices::table
        .filter(offices::parent_id.eq(office_id.to_string()))
        .select(offices::id);
    Ok(month_aggregate_by!(
        conn,
        mt,
        "month_tallies",
        month,
        children,
        m1,
        m2,
        mt::office_id
    ))
}

/// The channel report's figures of the events of `[from, to]` in one office's subtree (a
/// partial month at a period's end), from the per-day roll-ups: per-channel totals, staff
/// hours by channel (only where some were logged) and the (channel, activated, events)
/// histogram the medians come from.
#[allow(clippy::type_complexity)]
pub fn channel_days(
    conn: &mut DbConn,
    office_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<
    (
        Vec<EventAggregate>,
        HashMap<String, f64>,
        Vec<(String, i64, i64)>,
    ),
    AppError,
> {
    let (aggregates, hours) = month_aggregate_by!(
        conn,
        cd,
        "channel_days",
        local_date,
        [office_id],
        from,
        to,
        cd::channel_key
    );
    let rows: Vec<(String, i32, Option<i64>)> = ch::table
        .filter(ch::office_id.eq(office_id))
        .filter(ch::local_date.between(from, to))
        .group_by((ch::channel_key, ch::activated))
        .select((ch::channel_key, ch::activated, sum(ch::events)))
        .load(conn)?;
    let histogram = rows
        .into_iter()
        .filter_map(|(c, a, n)| n.filter(|n| *n > 0).map(|n| (c, i64::from(a), n)))
        .collect();
    Ok((aggregates, hours, histogram))
}

/// (channel, activated count, events) of the whole months `[m1, m2]` of one office's
/// subtree: the histogram the channel medians come from.
pub fn month_histogram(
    conn: &mut DbConn,
    office_id: &str,
    m1: NaiveDate,
    m2: NaiveDate,
) -> Result<Vec<(String, i64, i64)>, AppError> {
    let rows: Vec<(String, i32, Option<i64>)> = mh::table
        .filter(mh::office_id.eq(office_id))
        .filter(mh::month.between(m1, m2))
        .group_by((mh::channel_key, mh::activated))
        .select((mh::channel_key, mh::activated, sum(mh::events)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, a, n)| n.filter(|n| *n > 0).map(|n| (c, i64::from(a), n)))
        .collect())
}

/// Staff hours of the period's events, by office.
pub fn hours_by_office(
    conn: &mut DbConn,
    pattern: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, f64>, AppError> {
    let rows: Vec<(String, Option<f64>)> = es::table
        .inner_join(ev::table)
        .filter(ev::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(ev::local_date.between(from, to))
        .group_by(ev::office_id)
        .select((ev::office_id, sum(es::hours)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, h)| h.map(|h| (k, h)))
        .collect())
}

/// Outcome counts by channel, outcome, failure reason and age band for the same events.
#[derive(Debug, Clone)]
pub struct OutcomeTally {
    pub channel_key: String,
    pub outcome: String,
    pub failure_reason: String,
    pub age_band: String,
    pub n: i64,
}

pub fn outcome_tallies(
    conn: &mut DbConn,
    pattern: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<OutcomeTally>, AppError> {
    let rows: Vec<(String, String, String, String, Option<i64>)> = ot::table
        .inner_join(ev::table)
        .filter(ev::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(ev::local_date.between(from, to))
        .group_by((
            ev::channel_key,
            ot::outcome,
            ot::failure_reason,
            ot::age_band,
        ))
        .select((
            ev::channel_key,
            ot::outcome,
            ot::failure_reason,
            ot::age_band,
            sum(ot::n),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(channel_key, outcome, failure_reason, age_band, n)| OutcomeTally {
                channel_key,
                outcome,
                failure_reason,
                age_band,
                n: n.unwrap_or(0),
            },
        )
        .filter(|t| t.n != 0)
        .collect())
}

/// Counted activations and failures per local day (the activation's day) in one office's
/// subtree: a row a day from its subtree roll-up, whatever the subtree's size.
pub fn daily(
    conn: &mut DbConn,
    office_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64, i64)>, AppError> {
    let rows: Vec<(NaiveDate, i32, i32)> = sd::table
        .filter(sd::office_id.eq(office_id))
        .filter(sd::local_date.between(from, to))
        .select((sd::local_date, sd::activated, sd::failed))
        .order(sd::local_date.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| (r.1, r.2) != (0, 0))
        .map(|(d, act, fail)| (d, i64::from(act), i64::from(fail)))
        .collect())
}

/// Counted activations per office over `[from, to]` (activation days) in the subtree.
pub fn activated_by_office(
    conn: &mut DbConn,
    pattern: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(String, Option<i64>)> = dt::table
        .filter(dt::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(dt::local_date.between(from, to))
        .group_by(dt::office_id)
        .select((dt::office_id, sum(dt::activated)))
        .load(conn)?;
    Ok(rows.into_iter().map(|(o, n)| (o, n.unwrap_or(0))).collect())
}

/// Counted activations of `year` in the subtree, by office and the citizen's home district
/// (`''` without a NIK).
pub fn residence_by_office(
    conn: &mut DbConn,
    pattern: &str,
    year: i32,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let rows: Vec<(String, String, Option<i64>)> = rt::table
        .filter(rt::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(rt::year.eq(year))
        .group_by((rt::office_id, rt::home_district))
        .select((rt::office_id, rt::home_district, sum(rt::activated)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(o, d, n)| (o, d, n.unwrap_or(0)))
        .filter(|r| r.2 != 0)
        .collect())
}

/// The counted activations of each office's year up to and including `as_of`, by home
/// district: the residence tallies less what was recorded after `as_of` (read per activation,
/// and only when the per-day tallies say there is any), so "where were we on 31 May?" is one
/// call.
pub fn residence_as_of(
    conn: &mut DbConn,
    office_id: &str,
    pattern: &str,
    year: i32,
    as_of: NaiveDate,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let mut rows = residence_by_office(conn, pattern, year)?;
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(rows);
    };
    if as_of < first {
        return Ok(Vec::new());
    }
    let Some(after) = as_of.succ_opt().filter(|d| *d <= last) else {
        return Ok(rows);
    };
    let later: i64 = daily(conn, office_id, after, last)?
        .iter()
        .map(|d| d.1)
        .sum();
    if later == 0 {
        return Ok(rows);
    }
    let cut: Vec<(String, Option<String>, i64)> = a::table
        .filter(a::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(a::local_date.between(after, last))
        .filter(a::voided_at.is_null())
        .filter(a::outcome.eq("activated"))
        .filter(a::repeat_citizen.eq(false))
        .group_by((a::office_id, a::home_district))
        .select((a::office_id, a::home_district, count_star()))
        .load(conn)?;
    let mut index: HashMap<(String, String), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.0.clone(), r.1.clone()), i))
        .collect();
    for (office, district, n) in cut {
        let key = (office, district.unwrap_or_default());
        match index.get(&key) {
            Some(&i) => rows[i].2 -= n,
            // Tallies and rows agree (the roll-up oracle tests it); a missing key would be
            // drift, which is kept visible rather than clamped away.
            None => {
                index.insert(key.clone(), rows.len());
                rows.push((key.0, key.1, -n));
            }
        }
    }
    rows.retain(|r| r.2 != 0);
    Ok(rows)
}

/// The period's events in the subtree, by area code (`None`: no code): how many, their
/// counted activations and failures, and the latest local date.
#[derive(Debug, Clone)]
pub struct AreaEvents {
    pub area_code: Option<String>,
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    pub last_visit: Option<NaiveDate>,
}

/// One grouped query over the office subtree's per area and day roll-up: a row per area
/// with events (the events' counts and their latest day), however many events.
pub fn events_by_area(
    conn: &mut DbConn,
    office_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AreaEvents>, AppError> {
    type Row = (
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = ad::table
        .filter(ad::office_id.eq(office_id))
        .filter(ad::local_date.between(from, to))
        // A day whose events all moved away keeps a row of zeros: no visit.
        .filter(ad::events.ne(0))
        .group_by(ad::area_code)
        .select((
            ad::area_code,
            sum(ad::events),
            sum(ad::activated),
            sum(ad::failed),
            max(ad::local_date),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(area_code, events, activated, failed, last_visit)| AreaEvents {
                area_code: Some(area_code).filter(|c| !c.is_empty()),
                events: events.unwrap_or(0),
                activated: activated.unwrap_or(0),
                failed: failed.unwrap_or(0),
                last_visit,
            },
        )
        .collect())
}

#[derive(Debug, Clone, Queryable)]
pub struct Target {
    pub office_id: String,
    pub eligible_population: i64,
    pub target_percent: f64,
    pub baseline_activations: i64,
    pub baseline_date: Option<NaiveDate>,
}

pub fn targets_for(
    conn: &mut DbConn,
    office_ids: &[String],
    year: i32,
) -> Result<HashMap<String, Target>, AppError> {
    let rows: Vec<Target> = targets::table
        .filter(targets::office_id.eq_any(office_ids))
        .filter(targets::year.eq(year))
        .select((
            targets::office_id,
            targets::eligible_population,
            targets::target_percent,
            targets::baseline_activations,
            targets::baseline_date,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|t| (t.office_id.clone(), t)).collect())
}

/// An event's office and cost, `None` when there is no such event.
pub fn event_office_and_cost(
    conn: &mut DbConn,
    event_id: &str,
) -> Result<Option<(String, Option<i64>)>, AppError> {
    Ok(ev::table
        .find(event_id)
        .select((ev::office_id, ev::cost_idr))
        .first(conn)
        .optional()?)
}

/// (user, event, hours) for one event.
pub fn staff_hours_for_event(
    conn: &mut DbConn,
    event_id: &str,
) -> Result<Vec<(String, String, f64)>, AppError> {
    Ok(es::table
        .filter(es::event_id.eq(event_id))
        .select((es::user_id, es::event_id, es::hours))
        .load(conn)?)
}

/// Display names of users.
pub fn user_names(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, (String, String, String)>, AppError> {
    use crate::schema::users;
    let rows: Vec<(String, String, String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((
            users::id,
            users::username,
            users::full_name,
            users::office_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, u, f, o)| (id, (u, f, o)))
        .collect())
}

/// One staff member's figures over part of a period.
#[derive(Debug, Clone, Default)]
pub struct StaffTotals {
    pub user_id: String,
    /// Events worked: activations recorded or hours logged.
    pub events: i64,
    pub activated: i64,
    pub failed: i64,
    pub failed_by_reason: [i64; 9],
    pub micro_hours: i64,
    /// Hour entries: none means no hours were logged.
    pub hour_entries: i64,
}

type StaffRow = (
    String,
    (Option<i64>, Option<i64>, Option<i64>),
    (Option<i64>, Option<i64>),
    (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    ),
);

fn to_staff_totals(rows: Vec<StaffRow>) -> Vec<StaffTotals> {
    let z = |x: Option<i64>| x.unwrap_or(0);
    rows.into_iter()
        .map(
            |(user_id, (events, activated, failed), (micro, entries), r)| StaffTotals {
                user_id,
                events: z(events),
                activated: z(activated),
                failed: z(failed),
                failed_by_reason: [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8].map(z),
                micro_hours: z(micro),
                hour_entries: z(entries),
            },
        )
        .collect()
}

fn big(
    sql: &str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql(sql)
}

/// Per staff member, the figures of `$query` (rows of `$t`, the SQL table `$table`), where
/// `$events` counts the events worked: the one reading of the staff roll-ups (the staff report
/// and an event's yield).
macro_rules! staff_totals {
    ($conn:expr, $query:expr, $t:ident, $table:literal, $events:expr) => {{
        let rows: Vec<StaffRow> = $query
            .group_by($t::user_id)
            .select((
                $t::user_id,
                ($events, sum($t::activated), sum($t::failed)),
                (
                    big(concat!(
                        "CAST(SUM(",
                        $table,
                        ".staff_micro_hours) AS BIGINT)"
                    )),
                    sum($t::staff_entries),
                ),
                with_reason_columns!(reason_totals!($t)),
            ))
            .load($conn)?;
        to_staff_totals(rows)
    }};
    // From the per-event shares, where each row is one event worked.
    ($conn:expr, $query:expr) => {
        staff_totals!($conn, $query, ss, "staff_shares", count_star().nullable())
    };
}

/// Per staff member, the whole months `[m1, m2]` of one office's subtree.
pub fn staff_months(
    conn: &mut DbConn,
    office_id: &str,
    m1: NaiveDate,
    m2: NaiveDate,
) -> Result<Vec<StaffTotals>, AppError> {
    let query = smt::table
        .filter(smt::office_id.eq(office_id))
        .filter(smt::month.between(m1, m2));
    Ok(staff_totals!(
        conn,
        query,
        smt,
        "staff_month_tallies",
        sum(smt::events)
    ))
}

/// Per staff member, the events of `[from, to]` in the subtree, from their per-event shares
/// (a partial month at a period's end).
pub fn staff_days(
    conn: &mut DbConn,
    pattern: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StaffTotals>, AppError> {
    let query = ss::table
        .inner_join(ev::table)
        .filter(ev::office_id.eq_any(scope_office_ids(pattern.to_string())))
        .filter(ev::local_date.between(from, to));
    Ok(staff_totals!(conn, query))
}

/// Per staff member with attempts recorded (voided ones aside), one event's figures from
/// its shares (the event's yield; hours are read from the event's staff entries).
pub fn staff_of_event(conn: &mut DbConn, event_id: &str) -> Result<Vec<StaffTotals>, AppError> {
    let query = ss::table
        .filter(ss::event_id.eq(event_id))
        .filter(ss::records.gt(0));
    Ok(staff_totals!(conn, query))
}

/// Outcome counts of the whole months `[m1, m2]` of one office's subtree, by channel,
/// outcome, failure reason and age band.
pub fn outcome_months(
    conn: &mut DbConn,
    office_id: &str,
    m1: NaiveDate,
    m2: NaiveDate,
) -> Result<Vec<OutcomeTally>, AppError> {
    let rows: Vec<(String, String, String, String, Option<i64>)> = omt::table
        .filter(omt::office_id.eq(office_id))
        .filter(omt::month.between(m1, m2))
        .group_by((
            omt::channel_key,
            omt::outcome,
            omt::failure_reason,
            omt::age_band,
        ))
        .select((
            omt::channel_key,
            omt::outcome,
            omt::failure_reason,
            omt::age_band,
            sum(omt::n),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(channel_key, outcome, failure_reason, age_band, n)| OutcomeTally {
                channel_key,
                outcome,
                failure_reason,
                age_band,
                n: n.unwrap_or(0),
            },
        )
        .filter(|t| t.n != 0)
        .collect())
}
