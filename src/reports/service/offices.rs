//! The offices below the report's office, ranked by target achieved.

use std::collections::HashMap;

use chrono::{Datelike, Duration};

use super::super::dto::*;
use super::super::repo;
use super::figures::*;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::{AppError, Validator};
use crate::offices::repo::Office;
use crate::state::AppState;

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
            let by_residence = repo::residence_as_of(conn, &office.id, &p, year, as_of)?;
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
