//! Failures by reason, channel and age band.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::super::dto::*;
use super::super::repo;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;

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

pub(super) fn failure_report(
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
