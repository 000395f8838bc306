//! Coverage: the region's districts and villages an event reached, and those none did.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::super::dto::*;
use super::super::repo;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::offices::repo::Office;
use crate::state::AppState;

pub async fn coverage(
    state: &AppState,
    user: AuthUser,
    q: PeriodQuery,
) -> Result<CoverageReport, AppError> {
    period_report(state, user, q, move |conn, office, from, to| {
        let areas = crate::areas::repo::localities_within(conn, &office.code)?;
        let region_name = crate::areas::repo::find(conn, &office.code)?.map(|a| a.name);
        let events = repo::events_by_area(conn, &office.id, from, to)?;
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
pub(super) fn coverage_report(
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
