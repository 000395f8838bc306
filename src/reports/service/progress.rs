//! Progress against the year's target, as at a day.

use chrono::Duration;

use super::super::dto::*;
use super::super::repo;
use super::figures::*;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::{AppError, Validator};
use crate::state::AppState;

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
            let by_residence = repo::residence_as_of(conn, &office.id, &p, year, as_of)?;
            let tracked: i64 = by_residence.iter().map(|r| r.2).sum();
            let window: i64 = repo::daily(conn, &office.id, as_of - Duration::days(27), as_of)?
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
