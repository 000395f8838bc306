//! Target use cases: reads for supervisors and admins, writes for admins, all in scope.

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::dto::{ListTargetsQuery, SetTargetRequest, TargetResponse};
use super::repo::{self, Target};
use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AppError, AppResult, FieldError, Msg, Validator};
use crate::pagination::{self, Page};
use crate::state::AppState;

/// Years a target may be set for: IKD began in 2022; anything far outside is a typo.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

fn check_year(year: i32) -> Result<i32, FieldError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(FieldError::new(
            "year",
            "out_of_range",
            Msg::new(
                format!("Must be between {} and {}.", YEARS.start(), YEARS.end()),
                format!("Harus antara {} dan {}.", YEARS.start(), YEARS.end()),
            ),
        ))
    }
}

fn out_of_range(field: &str, en: &str, id: &str) -> FieldError {
    FieldError::new(
        field,
        "out_of_range",
        Msg::new(en.to_string(), id.to_string()),
    )
}

/// Indonesia has under 300 million people: no office has more adults to reach. Bounding
/// the figures keeps every sum and product of the reports far from overflowing.
pub const MAX_POPULATION: i64 = 300_000_000;

/// Checks every field, naming each offending one.
fn validate(year: i32, req: &SetTargetRequest) -> AppResult<(i64, f64, i64, Option<NaiveDate>)> {
    let mut v = Validator::new();
    v.check(check_year(year));
    let population = match req.eligible_population {
        None => {
            v.push(FieldError::required("eligible_population"));
            None
        }
        Some(n) if n <= 0 || n > MAX_POPULATION => {
            v.push(out_of_range(
                "eligible_population",
                "Must be greater than 0 and at most 300000000.",
                "Harus lebih dari 0 dan paling banyak 300000000.",
            ));
            None
        }
        Some(n) => Some(n),
    };
    let percent = match req.target_percent {
        None => {
            v.push(FieldError::required("target_percent"));
            None
        }
        Some(p) if !(p.is_finite() && p > 0.0 && p <= 100.0) => {
            v.push(out_of_range(
                "target_percent",
                "Must be greater than 0 and at most 100.",
                "Harus lebih dari 0 dan paling banyak 100.",
            ));
            None
        }
        Some(p) => Some(p),
    };
    let baseline = match req.baseline_activations {
        Some(n) if n < 0 => {
            v.push(out_of_range(
                "baseline_activations",
                "Must be 0 or more.",
                "Harus 0 atau lebih.",
            ));
            None
        }
        Some(n) if n > MAX_POPULATION => {
            v.push(out_of_range(
                "baseline_activations",
                "At most 300000000.",
                "Paling banyak 300000000.",
            ));
            None
        }
        other => Some(other.unwrap_or(0)),
    };
    let baseline_date = match req.baseline_date.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d.year() <= year => Some(Some(d)),
            Ok(_) => {
                v.push(out_of_range(
                    "baseline_date",
                    "Must not be after the target year.",
                    "Tidak boleh setelah tahun target.",
                ));
                None
            }
            Err(_) => {
                v.push(FieldError::invalid(
                    "baseline_date",
                    "Must be a date as YYYY-MM-DD.",
                    "Harus tanggal dengan format YYYY-MM-DD.",
                ));
                None
            }
        },
    };
    v.finish()?;
    match (population, percent, baseline, baseline_date) {
        (Some(a), Some(b), Some(c), Some(d)) => Ok((a, b, c, d)),
        _ => Err(AppError::internal(anyhow::anyhow!(
            "validated field missing"
        ))),
    }
}

pub async fn set(
    state: &AppState,
    user: &AuthUser,
    office_id: String,
    year: i32,
    req: SetTargetRequest,
    addr: String,
) -> AppResult<Target> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let office = user.scope().office(c, &office_id)?;
            user.require(Role::Admin)?;
            let (eligible_population, target_percent, baseline_activations, baseline_date) =
                validate(year, &req)?;
            let previous = repo::find(c, &office.id, year)?;
            let target = Target {
                office_id: office.id.clone(),
                year,
                eligible_population,
                target_percent,
                baseline_activations,
                baseline_date,
                updated_at: crate::db::now(),
            };
            repo::upsert(c, &target)?;
            let snapshot = |t: &Target| {
                json!({
                    "eligible_population": t.eligible_population,
                    "target_percent": t.target_percent,
                    "baseline_activations": t.baseline_activations,
                    "baseline_date": t.baseline_date,
                })
            };
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&user.id),
                    office_id: Some(&office.id),
                    action: "target_set",
                    subject_type: "target",
                    subject_id: Some(&format!("{}/{year}", office.id)),
                    detail: Some(json!({
                        "year": year,
                        "from": previous.as_ref().map(snapshot),
                        "to": snapshot(&target),
                    })),
                    client_addr: Some(&addr),
                },
            )?;
            Ok(target)
        })
        .await
}

/// The office whose targets `user` may read: any in scope for supervisors and admins; for
/// field staff their own office only, exactly as the progress report (which shows the same
/// figures) lets them; any other answers 404 as if it did not exist.
fn readable_office(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    office_id: &str,
) -> AppResult<crate::offices::repo::Office> {
    let office = user.scope().office(c, office_id)?;
    if user.role == Role::FieldStaff && office.id != user.office.id {
        return Err(AppError::NotFound);
    }
    Ok(office)
}

pub async fn get(
    state: &AppState,
    user: &AuthUser,
    office_id: String,
    year: i32,
) -> AppResult<Target> {
    let user = user.clone();
    state
        .db
        .read(move |c| {
            let office = readable_office(c, &user, &office_id)?;
            repo::find(c, &office.id, year)?.ok_or(AppError::NotFound)
        })
        .await
}

pub async fn list(
    state: &AppState,
    user: &AuthUser,
    office_id: String,
    q: ListTargetsQuery,
) -> AppResult<Page<TargetResponse>> {
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(q.limit));
    let cursor = v.check(pagination::decode_cursor(q.cursor.as_deref(), 1));
    let after_year = match cursor {
        Some(Some(k)) => match k.first().and_then(|y| y.parse::<i32>().ok()) {
            Some(y) => Some(Some(y)),
            None => {
                v.push(pagination::invalid_cursor());
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    let user = user.clone();
    let rows = state
        .db
        .read(move |c| {
            let office = readable_office(c, &user, &office_id)?;
            v.finish()?;
            let (Some(limit), Some(after_year)) = (limit, after_year) else {
                return Err(AppError::internal(anyhow::anyhow!(
                    "validated field missing"
                )));
            };
            Ok((repo::list(c, &office.id, after_year, limit)?, limit))
        })
        .await?;
    let (rows, limit) = rows;
    let items = rows.into_iter().map(TargetResponse::from).collect();
    Ok(Page::from_rows(items, limit, |t: &TargetResponse| {
        vec![t.year.to_string()]
    }))
}
