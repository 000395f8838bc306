//! Per staff member: events, hours, activations, success rate, top failure reason.

use std::collections::{BTreeMap, HashSet};

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
        let outcomes = repo::staff_outcomes(conn, &p, from, to)?;
        let hours = repo::staff_hours(conn, &p, from, to)?;
        #[derive(Default)]
        struct S {
            events: HashSet<String>,
            hours: Option<f64>,
            activated: i64,
            failed: i64,
            reasons: BTreeMap<String, i64>,
        }
        let mut by: BTreeMap<String, S> = BTreeMap::new();
        for o in &outcomes {
            let s = by.entry(o.staff_id.clone()).or_default();
            s.events.insert(o.event_id.clone());
            if o.outcome == "activated" {
                if !o.repeat_citizen {
                    s.activated += o.n;
                }
            } else {
                s.failed += o.n;
                *s.reasons
                    .entry(o.failure_reason.clone().unwrap_or_else(|| "other".into()))
                    .or_default() += o.n;
            }
        }
        for (user_id, event_id, h) in &hours {
            let s = by.entry(user_id.clone()).or_default();
            s.events.insert(event_id.clone());
            s.hours = Some(s.hours.unwrap_or(0.0) + h);
        }
        let ids: Vec<String> = by.keys().cloned().collect();
        let names = repo::user_names(conn, &ids)?;
        let mut rows: Vec<StaffRow> = by
            .into_iter()
            .map(|(user_id, s)| {
                let n = names.get(&user_id);
                StaffRow {
                    username: n.map(|x| x.0.clone()),
                    full_name: n.map(|x| x.1.clone()),
                    office_id: n.map(|x| x.2.clone()),
                    user_id,
                    events: s.events.len() as i64,
                    hours: s.hours,
                    activated: s.activated,
                    failed: s.failed,
                    success_rate: rate(s.activated, s.failed),
                    activations_per_staff_hour: per_hour(s.activated, s.hours),
                    top_failure_reason: top(&s.reasons),
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
