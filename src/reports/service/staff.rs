//! Per staff member: events, hours, activations, success rate, top failure reason.

use std::collections::BTreeMap;

use super::super::dto::*;
use super::super::repo;
use super::figures::*;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;

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
