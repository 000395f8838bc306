//! The channel comparison: which kind of outreach yields most per staff hour.

use std::collections::HashMap;

use super::super::dto::*;
use super::super::repo;
use super::figures::*;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;

pub async fn channels(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<ChannelsReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
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
            let (aggregates, hours, histogram) = repo::channel_days(conn, &office.id, a, b)?;
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

pub(super) fn channel_rows(
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
