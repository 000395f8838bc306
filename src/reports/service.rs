//! Report use cases: authorize (scope; field staff only their own office), read the
//! roll-ups in one connection, and compute the figures by the contract's counting rules.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

use super::dto::*;
use super::repo;
use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::domain::{AreaCode, Role};
use crate::error::{AppError, FieldError, Msg, Validator};
use crate::offices::repo::Office;
use crate::state::AppState;

/// The longest period a report covers (ten years), so a typo cannot ask for millennia.
const MAX_PERIOD_DAYS: i64 = 3660;

/// `a / (a + f)`, or `null` with no attempts.
pub fn rate(activated: i64, failed: i64) -> Option<f64> {
    let total = activated + failed;
    (total > 0).then(|| activated as f64 / total as f64)
}

fn per_hour(activated: i64, hours: Option<f64>) -> Option<f64> {
    hours.filter(|h| *h > 0.0).map(|h| activated as f64 / h)
}

fn per_activation(cost: Option<i64>, activated: i64) -> Option<f64> {
    cost.filter(|_| activated > 0)
        .map(|c| c as f64 / activated as f64)
}

/// The most frequent key (ties: alphabetical), or `None` when all counts are zero.
fn top(counts: &BTreeMap<String, i64>) -> Option<String> {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
}

fn parse_date(v: &mut Validator, field: &str, value: Option<&str>) -> Option<NaiveDate> {
    let value = value.filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            v.push(FieldError::new(
                field,
                "invalid_date",
                Msg::new(
                    "Must be a date as YYYY-MM-DD.",
                    "Harus tanggal dengan format YYYY-MM-DD.",
                ),
            ));
            None
        }
    }
}

fn check_year(v: &mut Validator, year: Option<i32>) {
    if year.is_some_and(|y| !(2000..=2100).contains(&y)) {
        v.push(FieldError::new(
            "year",
            "out_of_range",
            Msg::new(
                "Must be between 2000 and 2100.",
                "Harus antara 2000 dan 2100.",
            ),
        ));
    }
}

/// The office a report is about: the caller's by default; in scope, and for field staff
/// only their own office. Anything else answers 404.
fn report_office(
    conn: &mut DbConn,
    user: &AuthUser,
    office_id: Option<&str>,
) -> Result<Office, AppError> {
    let id = match office_id.filter(|s| !s.is_empty()) {
        None => user.office.id.clone(),
        Some(raw) => uuid::Uuid::parse_str(raw)
            .map_err(|_| AppError::NotFound)?
            .to_string(),
    };
    let office = user.scope().office(conn, &id)?;
    if user.role == Role::FieldStaff && office.id != user.office.id {
        return Err(AppError::NotFound);
    }
    Ok(office)
}

/// A period report's `from` and `to`, their errors collected in `v` with the report's own.
fn parse_period(
    v: &mut Validator,
    from: Option<&str>,
    to: Option<&str>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    (parse_date(v, "from", from), parse_date(v, "to", to))
}

/// A report that takes nothing but a [`PeriodQuery`]: checks it, then [`read_period`].
async fn period_report<T, F>(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
    report: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn, Office, NaiveDate, NaiveDate) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let mut v = Validator::new();
    let (from, to) = parse_period(&mut v, q.from.as_deref(), q.to.as_deref());
    v.finish()?;
    read_period(state, user, q.office_id, from, to, report).await
}

/// Runs a period report on a read connection: its office (404 out of scope) and its period
/// (this local year by default) first, then `report`.
async fn read_period<T, F>(
    state: &AppState,
    user: AuthUser,
    office_id: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    report: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn, Office, NaiveDate, NaiveDate) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    state
        .db
        .read(move |conn| {
            let office = report_office(conn, &user, office_id.as_deref())?;
            let (from, to) = period(&office, from, to)?;
            report(conn, office, from, to)
        })
        .await
}

fn today_in(office: &Office) -> NaiveDate {
    chrono::Utc::now().with_timezone(&office.tz()).date_naive()
}

fn pattern(office: &Office) -> String {
    format!("{}%", office.path)
}

/// The period, defaulting to this local year so far; 422 when `from` is after `to` or the
/// span exceeds ten years.
fn period(
    office: &Office,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let today = today_in(office);
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    let mut v = Validator::new();
    if from > to {
        v.push(FieldError::new(
            "from",
            "after_to",
            Msg::new("Must not be after `to`.", "Tidak boleh setelah `to`."),
        ));
    } else if (to - from).num_days() >= MAX_PERIOD_DAYS {
        v.push(FieldError::new(
            "to",
            "period_too_long",
            Msg::new(
                "A period covers at most ten years.",
                "Periode paling lama sepuluh tahun.",
            ),
        ));
    }
    v.finish()?;
    Ok((from, to))
}

pub async fn event_yield(
    state: &AppState,
    user: AuthUser,
    event_id: String,
) -> Result<YieldResponse, AppError> {
    let id = uuid::Uuid::parse_str(&event_id)
        .map_err(|_| AppError::NotFound)?
        .to_string();
    state
        .db
        .read(move |conn| {
            use crate::schema::events;
            let (office_id, cost_idr): (String, Option<i64>) = events::table
                .find(&id)
                .select((events::office_id, events::cost_idr))
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)?;
            report_office(conn, &user, Some(&office_id))?;
            let outcomes = repo::staff_outcomes_for_event(conn, &id)?;
            let hours = repo::staff_hours_for_event(conn, &id)?;
            Ok(build_yield(id, cost_idr, &outcomes, &hours))
        })
        .await
}

fn build_yield(
    event_id: String,
    cost_idr: Option<i64>,
    outcomes: &[repo::StaffOutcome],
    hours: &[(String, String, f64)],
) -> YieldResponse {
    let mut per_staff: BTreeMap<String, (i64, i64, Option<f64>)> = BTreeMap::new();
    let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
    let (mut activated, mut failed) = (0, 0);
    for o in outcomes {
        let entry = per_staff.entry(o.staff_id.clone()).or_default();
        if o.outcome == "activated" {
            if !o.repeat_citizen {
                activated += o.n;
                entry.0 += o.n;
            }
        } else {
            failed += o.n;
            entry.1 += o.n;
            *reasons
                .entry(o.failure_reason.clone().unwrap_or_else(|| "other".into()))
                .or_default() += o.n;
        }
    }
    let mut staff_hours: Option<f64> = None;
    for (user_id, _, h) in hours {
        let entry = per_staff.entry(user_id.clone()).or_default();
        entry.2 = Some(entry.2.unwrap_or(0.0) + h);
        staff_hours = Some(staff_hours.unwrap_or(0.0) + h);
    }
    YieldResponse {
        event_id,
        activated,
        failed,
        success_rate: rate(activated, failed),
        failure_reasons: reasons,
        staff_hours,
        activations_per_staff_hour: per_hour(activated, staff_hours),
        cost_per_activation_idr: per_activation(cost_idr, activated),
        staff: per_staff
            .into_iter()
            .map(|(user_id, (a, f, h))| StaffYield {
                user_id,
                activated: a,
                failed: f,
                hours: h,
            })
            .collect(),
    }
}

pub async fn channels(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<ChannelsReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
        let p = pattern(&office);
        let mut parts = Parts::default();
        let cut = cut(from, to);
        if let Some((m1, m2)) = cut.months {
            let (aggregates, hours) = repo::month_aggregate_by_channel(conn, &office.id, m1, m2)?;
            parts.add(aggregates, hours);
            parts
                .histogram
                .extend(repo::month_histogram(conn, &office.id, m1, m2)?);
        }
        for (a, b) in cut.edges {
            let (aggregates, hours, histogram) = repo::channel_days(conn, &p, a, b)?;
            parts.add(aggregates, hours);
            parts.histogram.extend(histogram);
        }
        let (aggregates, histogram, hours) = parts.finish();
        Ok(ChannelsReport {
            office_id: office.id,
            from,
            to,
            rows: channel_rows(aggregates, &histogram, &hours),
        })
    })
    .await
}

/// A period cut into whole months, read from the monthly roll-ups of the report's office,
/// and at most two partial months at its ends, read per event: every figure stays exact
/// while a year of a nation reads about 11 rows a month.
#[derive(Debug, PartialEq)]
struct Cut {
    /// First days of the first and last whole month.
    months: Option<(NaiveDate, NaiveDate)>,
    /// Partial months, as date ranges.
    edges: Vec<(NaiveDate, NaiveDate)>,
}

fn next_month(day: NaiveDate) -> Option<NaiveDate> {
    super::rollup::month_of(day).checked_add_months(chrono::Months::new(1))
}

fn cut(from: NaiveDate, to: NaiveDate) -> Cut {
    let first = if from.day() == 1 {
        Some(from)
    } else {
        next_month(from)
    };
    let last_end = match next_month(to) {
        Some(n) if to.succ_opt() == Some(n) => Some(to),
        _ => super::rollup::month_of(to).pred_opt(),
    };
    match (first, last_end) {
        (Some(first), Some(last_end)) if first <= last_end => {
            let mut edges = Vec::new();
            if from < first {
                edges.extend(first.pred_opt().map(|e| (from, e)));
            }
            if to > last_end {
                edges.extend(last_end.succ_opt().map(|s| (s, to)));
            }
            Cut {
                months: Some((first, super::rollup::month_of(last_end))),
                edges,
            }
        }
        _ => Cut {
            months: None,
            edges: vec![(from, to)],
        },
    }
}

/// Figures of the parts of a cut period, merged by key.
#[derive(Default)]
struct Parts {
    aggregates: BTreeMap<String, repo::EventAggregate>,
    hours: HashMap<String, f64>,
    histogram: Vec<(String, i64, i64)>,
}

impl Parts {
    fn add(&mut self, aggregates: Vec<repo::EventAggregate>, hours: HashMap<String, f64>) {
        for a in aggregates {
            match self.aggregates.get_mut(&a.key) {
                Some(acc) => acc.absorb(&a),
                None => {
                    self.aggregates.insert(a.key.clone(), a);
                }
            }
        }
        for (k, h) in hours {
            *self.hours.entry(k).or_default() += h;
        }
    }

    /// The keys with events in the period (a month row may be left at zero when its
    /// events moved away).
    #[allow(clippy::type_complexity)]
    fn finish(
        self,
    ) -> (
        Vec<repo::EventAggregate>,
        Vec<(String, i64, i64)>,
        HashMap<String, f64>,
    ) {
        let aggregates = self
            .aggregates
            .into_values()
            .filter(|a| a.events > 0)
            .collect();
        (aggregates, self.histogram, self.hours)
    }
}

/// The median of a histogram of (value, how many) pairs.
fn histogram_median(mut bins: Vec<(i64, i64)>) -> f64 {
    let total: i64 = bins.iter().map(|b| b.1).sum();
    if total == 0 {
        return 0.0;
    }
    bins.sort_unstable();
    // The values at 0-based ranks (total-1)/2 and total/2; equal when total is odd.
    let value_at = |rank: i64| {
        let mut seen = 0;
        for (v, n) in &bins {
            seen += n;
            if rank < seen {
                return *v;
            }
        }
        bins.last().map(|b| b.0).unwrap_or(0)
    };
    (value_at((total - 1) / 2) + value_at(total / 2)) as f64 / 2.0
}

fn top_reason(counts: &[i64; 9]) -> Option<String> {
    let map: BTreeMap<String, i64> = super::rollup::REASONS
        .iter()
        .zip(counts)
        .map(|(r, n)| (r.to_string(), *n))
        .collect();
    top(&map)
}

fn channel_rows(
    aggregates: Vec<repo::EventAggregate>,
    histogram: &[(String, i64, i64)],
    hours: &HashMap<String, f64>,
) -> Vec<ChannelRow> {
    let mut rows: Vec<ChannelRow> = aggregates
        .into_iter()
        .map(|agg| {
            let bins = histogram
                .iter()
                .filter(|(c, _, _)| *c == agg.key)
                .map(|(_, v, n)| (*v, *n))
                .collect();
            let staff_hours = hours.get(&agg.key).copied();
            ChannelRow {
                events: agg.events,
                activated: agg.activated,
                failed: agg.failed,
                success_rate: rate(agg.activated, agg.failed),
                median_activated_per_event: histogram_median(bins),
                staff_hours,
                activations_per_staff_hour: per_hour(agg.activated, staff_hours),
                cost_per_activation_idr: per_activation(agg.cost_idr, agg.activated),
                top_failure_reason: top_reason(&agg.failed_by_reason),
                channel_key: agg.key,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let (x, y) = (a.activations_per_staff_hour, b.activations_per_staff_hour);
        match (x, y) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| b.activated.cmp(&a.activated))
        .then_with(|| a.channel_key.cmp(&b.channel_key))
    });
    rows
}

/// Target figures for one office and year.
struct Achievement {
    target_activations: Option<i64>,
    baseline: Option<i64>,
    total: i64,
    achieved_percent: Option<f64>,
    remaining: Option<i64>,
    projected: Option<NaiveDate>,
}

/// `ceil(eligible * percent / 100)`, computed so that e.g. 7.1 % of 100 is 8 only when it
/// truly exceeds 7.1 (floating-point noise below a millionth is dropped first).
fn target_activations(eligible: i64, percent: f64) -> i64 {
    let exact = eligible as f64 * percent / 100.0;
    let cleaned = (exact * 1e6).round() / 1e6;
    cleaned.ceil() as i64
}
fn achievement(
    target: Option<&repo::Target>,
    tracked: i64,
    last_28_days: i64,
    as_of: NaiveDate,
) -> Achievement {
    match target {
        None => Achievement {
            target_activations: None,
            baseline: None,
            total: tracked,
            achieved_percent: None,
            remaining: None,
            projected: None,
        },
        Some(t) => {
            let target = target_activations(t.eligible_population, t.target_percent);
            // Saturating: targets are bounded on input, but a row stored before the bounds
            // must not wrap into a negative total.
            let total = t.baseline_activations.saturating_add(tracked);
            let remaining = target.saturating_sub(total).max(0);
            let projected = if remaining == 0 {
                Some(as_of)
            } else if last_28_days > 0 {
                // ceil(remaining / (last_28_days / 28)) in integers, exactly.
                let days = remaining
                    .saturating_mul(28)
                    .saturating_add(last_28_days - 1)
                    / last_28_days;
                Duration::try_days(days).and_then(|d| as_of.checked_add_signed(d))
            } else {
                None
            };
            Achievement {
                target_activations: Some(target),
                baseline: Some(t.baseline_activations),
                total,
                achieved_percent: (t.eligible_population > 0)
                    .then(|| 100.0 * total as f64 / t.eligible_population as f64),
                remaining: Some(remaining),
                projected,
            }
        }
    }
}

/// Counted activations split by residence: (inside `region`, elsewhere, no NIK).
#[derive(Clone, Copy, Debug, Default)]
struct Residence {
    resident: i64,
    non_resident: i64,
    unknown: i64,
}

impl Residence {
    /// Adds `n` activations of citizens from `home_district` (`''`: no NIK), compared with the
    /// office's code `region` (`ID`: every district is inside).
    fn add(&mut self, region: &str, home_district: &str, n: i64) {
        if home_district.is_empty() {
            self.unknown += n;
        } else if AreaCode::parse("home_district", home_district).is_ok_and(|d| d.is_within(region))
        {
            self.resident += n;
        } else {
            self.non_resident += n;
        }
    }
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), AppError> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1);
    let last = NaiveDate::from_ymd_opt(year, 12, 31);
    first.zip(last).ok_or_else(|| {
        AppError::validation(
            "year",
            "out_of_range",
            Msg::new("Not a valid year.", "Tahun tidak valid."),
        )
    })
}

/// The target year and the day figures are taken at: `as_of` defaults to today, or to the
/// year's last day for a past year; the year defaults to that of `as_of`.
fn year_as_of(year: Option<i32>, as_of: Option<NaiveDate>, today: NaiveDate) -> (i32, NaiveDate) {
    let year = year.unwrap_or(as_of.unwrap_or(today).year());
    let as_of = as_of.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(year, 12, 31)
            .filter(|last| *last < today)
            .unwrap_or(today)
    });
    (year, as_of)
}

pub async fn progress(
    state: &AppState,
    user: AuthUser,
    q: ProgressQuery,
) -> Result<ProgressReport, AppError> {
    let mut v = Validator::new();
    check_year(&mut v, q.year);
    let as_of = parse_date(&mut v, "as_of", q.as_of.as_deref());
    v.finish()?;
    state
        .db
        .read(move |conn| {
            let office = report_office(conn, &user, q.office_id.as_deref())?;
            let (year, as_of) = year_as_of(q.year, as_of, today_in(&office));
            year_bounds(year)?;
            let p = pattern(&office);
            // The year's counted activations up to `as_of`: the residence tallies (one row per
            // office and home district), less what was recorded after `as_of`.
            let by_residence = repo::residence_as_of(conn, &p, year, as_of)?;
            let tracked: i64 = by_residence.iter().map(|r| r.2).sum();
            let window: i64 = repo::daily(conn, &p, as_of - Duration::days(27), as_of)?
                .iter()
                .map(|d| d.1)
                .sum();
            let targets = repo::targets_for(conn, std::slice::from_ref(&office.id), year)?;
            let target = targets.get(&office.id);
            let ach = achievement(target, tracked, window, as_of);
            let mut residence = Residence::default();
            for (_, district, n) in by_residence {
                residence.add(&office.code, &district, n);
            }
            Ok(ProgressReport {
                office_id: office.id.clone(),
                year,
                as_of,
                eligible_population: target.map(|t| t.eligible_population),
                target_percent: target.map(|t| t.target_percent),
                target_activations: ach.target_activations,
                baseline_activations: ach.baseline,
                tracked_activations: tracked,
                resident_activations: residence.resident,
                non_resident_activations: residence.non_resident,
                unknown_residence_activations: residence.unknown,
                total_activations: ach.total,
                achieved_percent: ach.achieved_percent,
                remaining: ach.remaining,
                daily_rate_28d: window as f64 / 28.0,
                projected_target_date: ach.projected,
            })
        })
        .await
}

/// The start of the bucket a day falls in.
fn bucket_start(day: NaiveDate, bucket: &str) -> NaiveDate {
    match bucket {
        "week" => day - Duration::days(day.weekday().num_days_from_monday() as i64),
        "month" => day.with_day(1).unwrap_or(day),
        _ => day,
    }
}

pub async fn daily(
    state: &AppState,
    user: AuthUser,
    q: DailyQuery,
) -> Result<DailyReport, AppError> {
    let mut v = Validator::new();
    let (from, to) = parse_period(&mut v, q.from.as_deref(), q.to.as_deref());
    let bucket = q.bucket.clone().unwrap_or_else(|| "day".into());
    if !["day", "week", "month"].contains(&bucket.as_str()) {
        v.push(FieldError::one_of("bucket", &["day", "week", "month"]));
    }
    v.finish()?;
    read_period(
        state,
        user,
        q.office_id.clone(),
        from,
        to,
        move |conn, office, from, to| {
            let rows = repo::daily(conn, &pattern(&office), from, to)?;
            let mut buckets: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
            let mut day = from;
            while day <= to {
                buckets.entry(bucket_start(day, &bucket)).or_default();
                day += Duration::days(1);
            }
            for (d, a, f) in rows {
                let e = buckets.entry(bucket_start(d, &bucket)).or_default();
                e.0 += a;
                e.1 += f;
            }
            Ok(DailyReport {
                office_id: office.id,
                from,
                to,
                bucket,
                days: buckets
                    .into_iter()
                    .map(|(date, (activated, failed))| DayRow {
                        date,
                        activated,
                        failed,
                    })
                    .collect(),
            })
        },
    )
    .await
}

pub async fn staff(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<StaffReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
        let p = pattern(&office);
        // Whole months from the staff roll-ups of the report's office, partial months at
        // the ends from the per-event shares: exact either way.
        let cut = cut(from, to);
        let mut parts = Vec::new();
        if let Some((m1, m2)) = cut.months {
            parts.extend(repo::staff_months(conn, &office.id, m1, m2)?);
        }
        for (a, b) in cut.edges {
            parts.extend(repo::staff_days(conn, &p, a, b)?);
        }
        #[derive(Default)]
        struct S {
            events: i64,
            micro_hours: i64,
            hour_entries: i64,
            activated: i64,
            failed: i64,
            reasons: [i64; 9],
        }
        let mut by: BTreeMap<String, S> = BTreeMap::new();
        for t in parts {
            let s = by.entry(t.user_id).or_default();
            s.events += t.events;
            s.micro_hours += t.micro_hours;
            s.hour_entries += t.hour_entries;
            s.activated += t.activated;
            s.failed += t.failed;
            for (a, b) in s.reasons.iter_mut().zip(t.failed_by_reason) {
                *a += b;
            }
        }
        // A member whose events all moved out of the period is left at zero in the months.
        by.retain(|_, s| s.events > 0);
        let ids: Vec<String> = by.keys().cloned().collect();
        let names = repo::user_names(conn, &ids)?;
        let mut rows: Vec<StaffRow> = by
            .into_iter()
            .map(|(user_id, s)| {
                let n = names.get(&user_id);
                let hours = (s.hour_entries > 0).then(|| s.micro_hours as f64 / 1e6);
                StaffRow {
                    username: n.map(|x| x.0.clone()),
                    full_name: n.map(|x| x.1.clone()),
                    office_id: n.map(|x| x.2.clone()),
                    user_id,
                    events: s.events,
                    hours,
                    activated: s.activated,
                    failed: s.failed,
                    success_rate: rate(s.activated, s.failed),
                    activations_per_staff_hour: per_hour(s.activated, hours),
                    top_failure_reason: top_reason(&s.reasons),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.activated
                .cmp(&a.activated)
                .then_with(|| a.user_id.cmp(&b.user_id))
        });
        Ok(StaffReport {
            office_id: office.id,
            from,
            to,
            rows,
        })
    })
    .await
}

pub async fn offices(
    state: &AppState,
    user: AuthUser,
    q: OfficesQuery,
) -> Result<OfficesReport, AppError> {
    let mut v = Validator::new();
    let (from, to) = parse_period(&mut v, q.from.as_deref(), q.to.as_deref());
    let as_of = parse_date(&mut v, "as_of", q.as_of.as_deref());
    check_year(&mut v, q.year);
    v.finish()?;
    read_period(
        state,
        user,
        q.office_id.clone(),
        from,
        to,
        move |conn, office, from, to| {
            let (year, as_of) =
                year_as_of(Some(q.year.unwrap_or(to.year())), as_of, today_in(&office));
            year_bounds(year)?;
            let p = pattern(&office);
            let subtree = crate::offices::repo::in_subtree(conn, &office.path)?;
            let children: Vec<&Office> = subtree
                .iter()
                .filter(|o| o.parent_id.as_deref() == Some(office.id.as_str()))
                .collect();
            // Each office of the subtree counts for the child whose path it starts with.
            let child_of: HashMap<&str, usize> = subtree
                .iter()
                .filter_map(|o| {
                    children
                        .iter()
                        .position(|c| o.path.starts_with(&c.path))
                        .map(|i| (o.id.as_str(), i))
                })
                .collect();
            // Whole months: one row per child (its subtree), month and channel; partial
            // months: per event, counted for the child above the event's office.
            let mut parts = Parts::default();
            let cut = cut(from, to);
            if let Some((m1, m2)) = cut.months {
                let (aggregates, hours) = repo::month_aggregate_by_child(conn, &office.id, m1, m2)?;
                parts.add(aggregates, hours);
            }
            for (a, b) in cut.edges {
                let mut aggregates = repo::aggregate_by_office(conn, &p, a, b)?;
                let mut hours = HashMap::new();
                for (office_id, h) in repo::hours_by_office(conn, &p, a, b)? {
                    if let Some(&i) = child_of.get(office_id.as_str()) {
                        *hours.entry(children[i].id.clone()).or_default() += h;
                    }
                }
                aggregates.retain_mut(|agg| match child_of.get(agg.key.as_str()) {
                    Some(&i) => {
                        agg.key = children[i].id.clone();
                        true
                    }
                    None => false,
                });
                parts.add(aggregates, hours);
            }
            let by_residence = repo::residence_as_of(conn, &p, year, as_of)?;
            let window = repo::activated_by_office(conn, &p, as_of - Duration::days(27), as_of)?;
            let child_ids: Vec<String> = children.iter().map(|c| c.id.clone()).collect();
            let targets = repo::targets_for(conn, &child_ids, year)?;

            let child_index: HashMap<&str, usize> = children
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i))
                .collect();
            let mut accs: Vec<(i64, i64, i64, Option<f64>)> = vec![(0, 0, 0, None); children.len()];
            for (key, agg) in &parts.aggregates {
                if let Some(&i) = child_index.get(key.as_str()) {
                    accs[i].0 += agg.events;
                    accs[i].1 += agg.activated;
                    accs[i].2 += agg.failed;
                }
            }
            for (key, h) in &parts.hours {
                if let Some(&i) = child_index.get(key.as_str()) {
                    accs[i].3 = Some(accs[i].3.unwrap_or(0.0) + h);
                }
            }
            let mut tracked = vec![0i64; children.len()];
            let mut recent = vec![0i64; children.len()];
            for (office_id, n) in &window {
                if let Some(&i) = child_of.get(office_id.as_str()) {
                    recent[i] += n;
                }
            }
            // Each child is credited with the residents of its own region.
            let mut residence = vec![Residence::default(); children.len()];
            for (office_id, district, n) in by_residence {
                if let Some(&i) = child_of.get(office_id.as_str()) {
                    tracked[i] += n;
                    residence[i].add(&children[i].code, &district, n);
                }
            }
            let mut rows: Vec<OfficeRow> = children
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (events, activated, failed, hours) = accs[i];
                    let target = targets.get(&c.id);
                    let ach = achievement(target, tracked[i], recent[i], as_of);
                    OfficeRow {
                        rank: 0,
                        office_id: c.id.clone(),
                        code: c.code.clone(),
                        name: c.name.clone(),
                        level: c.level.clone(),
                        events,
                        activated,
                        failed,
                        success_rate: rate(activated, failed),
                        staff_hours: hours,
                        activations_per_staff_hour: per_hour(activated, hours),
                        target_activations: ach.target_activations,
                        total_activations: Some(ach.total),
                        achieved_percent: ach.achieved_percent,
                        projected_target_date: ach.projected,
                        resident_activations: residence[i].resident,
                        non_resident_activations: residence[i].non_resident,
                        unknown_residence_activations: residence[i].unknown,
                    }
                })
                .collect();
            rows.sort_by(|a, b| {
                match (a.achieved_percent, b.achieved_percent) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| b.activated.cmp(&a.activated))
                .then_with(|| a.code.cmp(&b.code))
            });
            for (i, r) in rows.iter_mut().enumerate() {
                r.rank = i as i64 + 1;
            }
            Ok(OfficesReport {
                office_id: office.id,
                from,
                to,
                year,
                as_of,
                rows,
            })
        },
    )
    .await
}

pub async fn coverage(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<CoverageReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
        let areas = crate::areas::repo::localities_within(conn, &office.code)?;
        let region_name = crate::areas::repo::find(conn, &office.code)?.map(|a| a.name);
        let events = repo::events_by_area(conn, &pattern(&office), from, to)?;
        Ok(coverage_report(
            office,
            region_name,
            from,
            to,
            areas,
            &events,
        ))
    })
    .await
}

/// Places the period's events on the region's districts and villages (a village's events
/// count for its district too) and lists the villages no event reached.
fn coverage_report(
    office: Office,
    region_name: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    areas: Vec<crate::areas::repo::Area>,
    events: &[repo::AreaEvents],
) -> CoverageReport {
    let village = crate::domain::AreaLevel::Village.as_str();
    let mut districts: Vec<DistrictCoverage> = Vec::new();
    let mut villages: Vec<VillageCoverage> = Vec::with_capacity(areas.len());
    for a in areas {
        let parent = a.parent_code.unwrap_or_default();
        if a.level == village {
            villages.push(VillageCoverage {
                code: a.code,
                name: a.name,
                district_code: parent,
                events: 0,
                activated: 0,
                failed: 0,
                last_visit: None,
            });
        } else {
            districts.push(DistrictCoverage {
                code: a.code,
                name: a.name,
                regency_code: parent,
                events: 0,
                activated: 0,
                failed: 0,
                last_visit: None,
                villages: 0,
                villages_visited: 0,
            });
        }
    }
    let district_at: HashMap<String, usize> = districts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.code.clone(), i))
        .collect();
    let village_at: HashMap<&str, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    // Each event group lands on a village (and its district) or a district, or nowhere.
    let mut on_village: Vec<Option<&repo::AreaEvents>> = vec![None; villages.len()];
    let mut on_district: Vec<Vec<&repo::AreaEvents>> = vec![Vec::new(); districts.len()];
    let (mut total, mut placed) = (0, 0);
    for e in events {
        total += e.events;
        let Some(code) = e.area_code.as_deref() else {
            continue;
        };
        if let Some(&i) = village_at.get(code) {
            on_village[i] = Some(e);
            if let Some(&d) = district_at.get(&villages[i].district_code) {
                on_district[d].push(e);
            }
            placed += e.events;
        } else if let Some(&d) = district_at.get(code) {
            on_district[d].push(e);
            placed += e.events;
        }
    }
    drop(village_at);
    for (v, e) in villages.iter_mut().zip(on_village) {
        if let Some(e) = e {
            v.events = e.events;
            v.activated = e.activated;
            v.failed = e.failed;
            v.last_visit = e.last_visit;
        }
    }
    for (d, groups) in districts.iter_mut().zip(on_district) {
        for e in groups {
            d.events += e.events;
            d.activated += e.activated;
            d.failed += e.failed;
            d.last_visit = d.last_visit.max(e.last_visit);
        }
    }
    let mut never_visited = Vec::new();
    for v in &villages {
        // The reference data checks that every village's district exists.
        let district = district_at
            .get(&v.district_code)
            .map(|&d| &mut districts[d]);
        let visited = v.events > 0;
        let district_name = match district {
            Some(d) => {
                d.villages += 1;
                d.villages_visited += i64::from(visited);
                d.name.clone()
            }
            None => String::new(),
        };
        if !visited {
            never_visited.push(UnvisitedVillage {
                code: v.code.clone(),
                name: v.name.clone(),
                district_code: v.district_code.clone(),
                district_name,
            });
        }
    }
    let n_villages = villages.len() as i64;
    let visited = n_villages - never_visited.len() as i64;
    CoverageReport {
        summary: CoverageSummary {
            districts: districts.len() as i64,
            districts_visited: districts.iter().filter(|d| d.events > 0).count() as i64,
            villages: n_villages,
            villages_visited: visited,
            villages_never_visited: never_visited.len() as i64,
            village_coverage: (n_villages > 0).then(|| visited as f64 / n_villages as f64),
            events: total,
            events_with_area: placed,
        },
        office_id: office.id,
        region_code: office.code,
        region_name,
        from,
        to,
        districts,
        villages,
        never_visited,
    }
}

pub async fn failures(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<FailuresReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
        let p = pattern(&office);
        let cut = cut(from, to);
        let mut outcomes = Vec::new();
        if let Some((m1, m2)) = cut.months {
            outcomes.extend(repo::outcome_months(conn, &office.id, m1, m2)?);
        }
        for (a, b) in cut.edges {
            outcomes.extend(repo::outcome_tallies(conn, &p, a, b)?);
        }
        Ok(failure_report(office.id, from, to, &outcomes))
    })
    .await
}

fn failure_report(
    office_id: String,
    from: NaiveDate,
    to: NaiveDate,
    outcomes: &[repo::OutcomeTally],
) -> FailuresReport {
    let mut by_reason: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, (i64, i64, BTreeMap<String, i64>)> = BTreeMap::new();
    let mut by_band: BTreeMap<String, (i64, i64, BTreeMap<String, i64>)> = BTreeMap::new();
    for o in outcomes {
        let failed = o.outcome == "failed";
        for (map, key) in [
            (&mut by_channel, &o.channel_key),
            (&mut by_band, &o.age_band),
        ] {
            let e = map.entry(key.clone()).or_default();
            e.0 += o.n;
            if failed {
                e.1 += o.n;
                *e.2.entry(o.failure_reason.clone()).or_default() += o.n;
            }
        }
        if failed {
            *by_reason.entry(o.failure_reason.clone()).or_default() += o.n;
        }
    }
    let total: i64 = by_reason.values().sum();
    let mut reasons: Vec<ReasonCount> = by_reason
        .into_iter()
        .map(|(reason, failed)| ReasonCount {
            reason,
            failed,
            share: if total > 0 {
                failed as f64 / total as f64
            } else {
                0.0
            },
        })
        .collect();
    reasons.sort_by(|a, b| {
        b.failed
            .cmp(&a.failed)
            .then_with(|| a.reason.cmp(&b.reason))
    });
    let breakdown = |m: BTreeMap<String, (i64, i64, BTreeMap<String, i64>)>| {
        let mut rows: Vec<FailureBreakdown> = m
            .into_iter()
            .map(|(key, (attempts, failed, reasons))| FailureBreakdown {
                key,
                attempts,
                failed,
                failure_rate: (attempts > 0).then(|| failed as f64 / attempts as f64),
                reasons,
            })
            .collect();
        rows.sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.key.cmp(&b.key)));
        rows
    };
    FailuresReport {
        office_id,
        from,
        to,
        failed: total,
        by_reason: reasons,
        by_channel: breakdown(by_channel),
        by_age_band: breakdown(by_band),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_a_ceiling_without_float_noise() {
        assert_eq!(target_activations(100, 7.1), 8);
        assert_eq!(target_activations(100, 7.0), 7);
        assert_eq!(target_activations(1000, 7.1), 71);
        assert_eq!(target_activations(308_309, 25.0), 77_078);
        assert_eq!(target_activations(383_965, 25.0), 95_992);
    }

    #[test]
    fn histogram_median_matches_the_plain_median() {
        assert_eq!(histogram_median(vec![(4, 1), (0, 1)]), 2.0);
        assert_eq!(histogram_median(vec![(1, 1), (3, 1), (2, 1)]), 2.0);
        assert_eq!(histogram_median(vec![(0, 5), (10, 4)]), 0.0);
        assert_eq!(histogram_median(vec![(0, 4), (10, 4)]), 5.0);
        assert_eq!(histogram_median(vec![]), 0.0);
    }

    #[test]
    fn periods_cut_into_whole_months_and_partial_edges() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(
            cut(d(2025, 1, 1), d(2025, 12, 31)),
            Cut {
                months: Some((d(2025, 1, 1), d(2025, 12, 1))),
                edges: vec![]
            }
        );
        assert_eq!(
            cut(d(2025, 1, 15), d(2025, 3, 10)),
            Cut {
                months: Some((d(2025, 2, 1), d(2025, 2, 1))),
                edges: vec![
                    (d(2025, 1, 15), d(2025, 1, 31)),
                    (d(2025, 3, 1), d(2025, 3, 10))
                ]
            }
        );
        // Leap February ends on the 29th.
        assert_eq!(
            cut(d(2024, 2, 1), d(2024, 2, 29)).months,
            Some((d(2024, 2, 1), d(2024, 2, 1)))
        );
        assert_eq!(
            cut(d(2024, 2, 1), d(2024, 2, 28)),
            Cut {
                months: None,
                edges: vec![(d(2024, 2, 1), d(2024, 2, 28))]
            }
        );
        assert_eq!(
            cut(d(2025, 1, 2), d(2025, 2, 27)),
            Cut {
                months: None,
                edges: vec![(d(2025, 1, 2), d(2025, 2, 27))]
            }
        );
        assert_eq!(
            cut(d(2024, 12, 1), d(2025, 1, 31)).months,
            Some((d(2024, 12, 1), d(2025, 1, 1)))
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        assert_eq!(
            bucket_start(sunday, "week"),
            NaiveDate::from_ymd_opt(2026, 11, 16).unwrap_or_default()
        );
        assert_eq!(
            bucket_start(sunday, "month"),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
        );
    }

    mod properties {
        //! A period is two query parameters anyone can type: never a panic, every refusal
        //! a `from` or `to` field error.
        use super::super::*;
        use chrono::NaiveDateTime;
        use proptest::prelude::*;

        fn office() -> Office {
            Office {
                id: "00000000-0000-4000-8000-000000000001".into(),
                code: "63.01".into(),
                name: "Tanah Laut".into(),
                level: "regency".into(),
                parent_id: None,
                timezone: "Asia/Makassar".into(),
                path: "/00000000-0000-4000-8000-000000000001/".into(),
                created_at: NaiveDateTime::default(),
                updated_at: NaiveDateTime::default(),
            }
        }

        fn date_text() -> impl Strategy<Value = Option<String>> {
            prop_oneof![
                Just(None),
                "\\PC{0,14}".prop_map(Some),
                (-300_000i32..300_000, 0u32..14, 0u32..33)
                    .prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
            ]
        }

        proptest! {
            #[test]
            fn any_period(from in date_text(), to in date_text()) {
                let mut v = Validator::new();
                let (f, t) = parse_period(&mut v, from.as_deref(), to.as_deref());
                let checked = v.finish().and_then(|()| period(&office(), f, t));
                match checked {
                    Ok((f, t)) => prop_assert!(f <= t),
                    Err(AppError::Validation(errors)) => {
                        prop_assert!(!errors.is_empty());
                        for e in errors {
                            prop_assert!(e.field == "from" || e.field == "to", "{}", e.field);
                            prop_assert!(!e.code.is_empty());
                        }
                    }
                    Err(other) => prop_assert!(false, "not a field error: {other:?}"),
                }
            }
        }
    }
}
