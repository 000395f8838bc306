//! One event's yield: its counts, failure reasons, staff hours and cost per activation.

use std::collections::BTreeMap;

use super::super::dto::*;
use super::super::repo;
use super::figures::*;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;

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
            let (office_id, cost_idr) =
                repo::event_office_and_cost(conn, &id)?.ok_or(AppError::NotFound)?;
            report_office(conn, &user, Some(&office_id))?;
            // The per-event staff shares the writes keep: a row per staff member however
            // many attempts the event has.
            let shares = repo::staff_of_event(conn, &id)?;
            let hours = repo::staff_hours_for_event(conn, &id)?;
            Ok(build_yield(id, cost_idr, &shares, &hours))
        })
        .await
}

pub(super) fn build_yield(
    event_id: String,
    cost_idr: Option<i64>,
    shares: &[repo::StaffTotals],
    hours: &[(String, String, f64)],
) -> YieldResponse {
    let mut per_staff: BTreeMap<String, (i64, i64, Option<f64>)> = BTreeMap::new();
    let mut reasons = [0i64; crate::tallies::N_REASONS];
    let (mut activated, mut failed) = (0, 0);
    for t in shares {
        let entry = per_staff.entry(t.user_id.clone()).or_default();
        activated += t.activated;
        failed += t.failed;
        entry.0 += t.activated;
        entry.1 += t.failed;
        for (a, b) in reasons.iter_mut().zip(t.failed_by_reason) {
            *a += b;
        }
    }
    let reasons: BTreeMap<String, i64> = crate::tallies::REASONS
        .iter()
        .zip(reasons)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r.to_string(), n))
        .collect();
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
