//! The period maths every report shares, in one place: dates from the query, the report's
//! office (scope), the default period and its bounds, years and `as_of`, buckets, and a
//! period cut into whole months (read from the monthly roll-ups) and partial edges.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};

use super::super::dto::PeriodQuery;
use super::super::repo;
use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::domain::Role;
use crate::error::{AppError, FieldError, Msg, Validator};
use crate::offices::repo::Office;
use crate::state::AppState;

/// The longest period a report covers (ten years), so a typo cannot ask for millennia.
pub(super) const MAX_PERIOD_DAYS: i64 = 3660;

pub(super) fn parse_date(v: &mut Validator, field: &str, value: Option<&str>) -> Option<NaiveDate> {
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

pub(super) fn check_year(v: &mut Validator, year: Option<i32>) {
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
pub(super) fn report_office(
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
pub(super) fn parse_period(
    v: &mut Validator,
    from: Option<&str>,
    to: Option<&str>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    (parse_date(v, "from", from), parse_date(v, "to", to))
}

/// A report that takes nothing but a [`PeriodQuery`]: checks it, then [`read_period`].
pub(super) async fn period_report<T, F>(
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
pub(super) async fn read_period<T, F>(
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

pub(super) fn today_in(office: &Office) -> NaiveDate {
    chrono::Utc::now().with_timezone(&office.tz()).date_naive()
}

pub(super) fn pattern(office: &Office) -> String {
    format!("{}%", office.path)
}

/// The period, defaulting to this local year so far; 422 when `from` is after `to` or the
/// span exceeds ten years.
pub(super) fn period(
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

/// A period cut into whole months, read from the monthly roll-ups of the report's office,
/// and at most two partial months at its ends, read per event: every figure stays exact
/// while a year of a nation reads about 11 rows a month.
#[derive(Debug, PartialEq)]
pub(super) struct Cut {
    /// First days of the first and last whole month.
    pub(super) months: Option<(NaiveDate, NaiveDate)>,
    /// Partial months, as date ranges.
    pub(super) edges: Vec<(NaiveDate, NaiveDate)>,
}

pub(super) fn next_month(day: NaiveDate) -> Option<NaiveDate> {
    crate::tallies::month_of(day).checked_add_months(chrono::Months::new(1))
}

pub(super) fn cut(from: NaiveDate, to: NaiveDate) -> Cut {
    let first = if from.day() == 1 {
        Some(from)
    } else {
        next_month(from)
    };
    let last_end = match next_month(to) {
        Some(n) if to.succ_opt() == Some(n) => Some(to),
        _ => crate::tallies::month_of(to).pred_opt(),
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
                months: Some((first, crate::tallies::month_of(last_end))),
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
pub(super) struct Parts {
    pub(super) aggregates: BTreeMap<String, repo::EventAggregate>,
    pub(super) hours: HashMap<String, f64>,
    pub(super) histogram: Vec<(String, i64, i64)>,
}

impl Parts {
    pub(super) fn add(
        &mut self,
        aggregates: Vec<repo::EventAggregate>,
        hours: HashMap<String, f64>,
    ) {
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
    pub(super) fn finish(
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

pub(super) fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), AppError> {
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
pub(super) fn year_as_of(
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> (i32, NaiveDate) {
    let year = year.unwrap_or(as_of.unwrap_or(today).year());
    let as_of = as_of.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(year, 12, 31)
            .filter(|last| *last < today)
            .unwrap_or(today)
    });
    (year, as_of)
}

/// The start of the bucket a day falls in.
pub(super) fn bucket_start(day: NaiveDate, bucket: &str) -> NaiveDate {
    match bucket {
        "week" => day - Duration::days(day.weekday().num_days_from_monday() as i64),
        "month" => day.with_day(1).unwrap_or(day),
        _ => day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
