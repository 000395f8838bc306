//! Admin pages: staff accounts (create, deactivate, set a new password), the office tree
//! (create, edit) and the yearly targets, through the same services and rules as the API.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::fmt;
use super::page::{self, get, Ctx};
use super::session::WebSession;
use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AppError, FieldError};
use crate::offices::dto::{
    CreateOfficeRequest, ListOfficesQuery, OfficeResponse, UpdateOfficeRequest,
};
use crate::reports::sheets::Labels;
use crate::state::AppState;
use crate::targets::dto::{ListTargetsQuery, SetTargetRequest};
use crate::users::dto::{CreateUserRequest, ListUsersQuery, UpdateUserRequest};

/// The session of an admin, or the page to answer instead (sign-in, or 403).
async fn admin(
    req: &HttpRequest,
    state: &AppState,
    section: &'static str,
) -> Result<(WebSession, Ctx), HttpResponse> {
    let session = page::require_session(req, state).await?;
    let ctx = Ctx::new(req, Some(&session), section);
    if let Err(e) = session.user.require(Role::Admin) {
        return Err(page::error(ctx, e));
    }
    Ok((session, ctx))
}

/// A state-changing request on an admin page: the session, the form and the page context
/// after the CSRF check; with `admin_only`, also refused (403 page) for anyone but an admin.
/// (The services check roles too; the pages that read before they write ask for it here.)
async fn post(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
    section: &'static str,
    admin_only: bool,
) -> Result<(WebSession, HashMap<String, String>, Ctx), HttpResponse> {
    let (session, form) = page::require_post(req, state, body).await?;
    let ctx = Ctx::new(req, Some(&session), section);
    if admin_only {
        if let Err(e) = session.user.require(Role::Admin) {
            return Err(page::error(ctx, e));
        }
    }
    Ok((session, form, ctx))
}

/// After a change: back to the list (`to`), or the error page naming what was wrong.
fn done<T>(ctx: Ctx, outcome: Result<T, AppError>, to: &str) -> HttpResponse {
    match outcome {
        Ok(_) => page::see_other(to),
        Err(e) => page::error(ctx, e),
    }
}

/// Offices in scope, the tree in order (a parent before its children).
pub async fn offices_in_scope(
    state: &AppState,
    user: &AuthUser,
) -> Result<Vec<OfficeResponse>, AppError> {
    let mut all = Vec::new();
    let mut cursor = None;
    // At most a few pages: a nation has about 550 regencies and cities.
    for _ in 0..5 {
        let page = crate::offices::service::list(
            state,
            user,
            ListOfficesQuery {
                parent_id: None,
                level: None,
                limit: Some(500),
                cursor: cursor.take(),
            },
        )
        .await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let rank = |o: &OfficeResponse| match o.level.to_string().as_str() {
        "national" => 0,
        _ => 1,
    };
    all.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.code.cmp(&b.code)));
    Ok(all)
}

fn notice(ctx: &Ctx, req: &HttpRequest) -> String {
    match page::query(req).get("done").map(String::as_str) {
        Some("created") => ctx.t("Tersimpan.", "Saved."),
        Some("updated") => ctx.t("Perubahan tersimpan.", "Changes saved."),
        _ => "",
    }
    .to_string()
}

pub struct UserRow {
    pub id: String,
    pub full_name: String,
    pub username: String,
    pub role: String,
    pub office: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: Ctx,
    notice: String,
    users: Vec<UserRow>,
    offices: Vec<(String, String)>,
    roles: Vec<(String, String)>,
}

pub async fn users(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (session, ctx) = match admin(&req, &state, "users").await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let user = &session.user;
    let labels = Labels::new(ctx.lang);
    let listed = crate::users::service::list(
        &state,
        user,
        ListUsersQuery {
            office_id: get(&page::query(&req), "office_id"),
            role: None,
            active: None,
            limit: Some(500),
            cursor: None,
        },
    )
    .await;
    let offices = offices_in_scope(&state, user).await;
    let (listed, offices) = match (listed, offices) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return page::error(ctx, e),
    };
    let office_name = |id: &str| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map(|o| format!("{} · {}", o.code, o.name))
            .unwrap_or_default()
    };
    let users = listed
        .items
        .into_iter()
        .map(|u| UserRow {
            office: office_name(&u.office_id),
            role: labels.role(&u.role.to_string()),
            id: u.id,
            full_name: u.full_name,
            username: u.username,
            active: u.active,
        })
        .collect();
    page::ok(&UsersPage {
        notice: notice(&ctx, &req),
        users,
        offices: offices
            .iter()
            .map(|o| (o.id.clone(), format!("{} · {}", o.code, o.name)))
            .collect(),
        roles: ["field_staff", "supervisor", "admin"]
            .iter()
            .map(|r| (r.to_string(), labels.role(r)))
            .collect(),
        ctx,
    })
}

pub async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, form, ctx) = match post(&req, &state, &body, "users", false).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let addr = state.client_addr(&req);
    let created = crate::users::service::create(
        &state,
        &session.user,
        CreateUserRequest {
            username: get(&form, "username"),
            full_name: get(&form, "full_name"),
            password: form.get("password").cloned(),
            role: get(&form, "role"),
            office_id: get(&form, "office_id"),
        },
        addr,
    )
    .await;
    done(ctx, created, "/app/users?done=created")
}

pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, form, ctx) = match post(&req, &state, &body, "users", true).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let change = match form.get("action").map(String::as_str) {
        Some("deactivate") => UpdateUserRequest {
            role: None,
            full_name: None,
            active: Some(false),
            password: None,
        },
        Some("activate") => UpdateUserRequest {
            role: None,
            full_name: None,
            active: Some(true),
            password: None,
        },
        Some("password") => UpdateUserRequest {
            role: None,
            full_name: None,
            active: None,
            password: Some(form.get("password").cloned().unwrap_or_default()),
        },
        _ => {
            return page::error(
                ctx,
                AppError::Validation(vec![FieldError::one_of(
                    "action",
                    &["deactivate", "activate", "password"],
                )]),
            )
        }
    };
    let addr = state.client_addr(&req);
    let updated =
        crate::users::service::update(&state, &session.user, id.into_inner(), change, addr).await;
    done(ctx, updated, "/app/users?done=updated")
}

pub struct OfficeRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: String,
    pub depth: usize,
    pub timezone: String,
}

#[derive(Template)]
#[template(path = "offices.html")]
struct OfficesPage {
    ctx: Ctx,
    notice: String,
    offices: Vec<OfficeRow>,
    zones: Vec<&'static str>,
}

const ZONES: [&str; 4] = [
    "Asia/Jakarta",
    "Asia/Pontianak",
    "Asia/Makassar",
    "Asia/Jayapura",
];

pub async fn offices(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (session, ctx) = match admin(&req, &state, "offices").await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let labels = Labels::new(ctx.lang);
    let all = match offices_in_scope(&state, &session.user).await {
        Ok(o) => o,
        Err(e) => return page::error(ctx, e),
    };
    let offices = all
        .into_iter()
        .map(|o| {
            let level = o.level.to_string();
            OfficeRow {
                depth: match level.as_str() {
                    "national" => 0,
                    "province" => 1,
                    _ => 2,
                },
                level: labels.level(&level),
                id: o.id,
                code: o.code,
                name: o.name,
                timezone: o.timezone,
            }
        })
        .collect();
    page::ok(&OfficesPage {
        notice: notice(&ctx, &req),
        offices,
        zones: ZONES.to_vec(),
        ctx,
    })
}

pub async fn create_office(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, form, ctx) = match post(&req, &state, &body, "offices", false).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let addr = state.client_addr(&req);
    let created = crate::offices::service::create(
        &state,
        &session.user,
        CreateOfficeRequest {
            id: None,
            code: get(&form, "code"),
            name: get(&form, "name"),
            level: get(&form, "level"),
            parent_id: get(&form, "parent_id"),
            timezone: get(&form, "timezone"),
        },
        addr,
    )
    .await;
    done(ctx, created, "/app/offices?done=created")
}

pub async fn update_office(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, form, ctx) = match post(&req, &state, &body, "offices", false).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let addr = state.client_addr(&req);
    let updated = crate::offices::service::update(
        &state,
        &session.user,
        id.into_inner(),
        UpdateOfficeRequest {
            name: get(&form, "name"),
            timezone: get(&form, "timezone"),
            code: None,
        },
        addr,
    )
    .await;
    done(ctx, updated, "/app/offices?done=updated")
}

pub struct TargetRow {
    pub year: i32,
    pub eligible: String,
    pub percent: String,
    pub target: String,
    pub baseline: String,
    pub baseline_date: String,
}

#[derive(Template)]
#[template(path = "targets.html")]
struct TargetsPage {
    ctx: Ctx,
    notice: String,
    offices: Vec<(String, String, bool)>,
    office_id: String,
    year: String,
    targets: Vec<TargetRow>,
}

pub async fn targets(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (session, ctx) = match admin(&req, &state, "targets").await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let user = &session.user;
    let lang = ctx.lang;
    let q = page::query(&req);
    let office_id = get(&q, "office_id").unwrap_or_else(|| user.office.id.clone());
    let listed = crate::targets::service::list(
        &state,
        user,
        office_id.clone(),
        ListTargetsQuery {
            limit: Some(100),
            cursor: None,
        },
    )
    .await;
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return page::error(ctx, e),
    };
    let offices = match offices_in_scope(&state, user).await {
        Ok(o) => o,
        Err(e) => return page::error(ctx, e),
    };
    let year = chrono::Utc::now()
        .with_timezone(&user.office.tz())
        .format("%Y")
        .to_string();
    page::ok(&TargetsPage {
        notice: notice(&ctx, &req),
        offices: offices
            .into_iter()
            .map(|o| {
                let selected = o.id == office_id;
                (o.id, format!("{} · {}", o.code, o.name), selected)
            })
            .collect(),
        targets: listed
            .items
            .into_iter()
            .map(|t| TargetRow {
                year: t.year,
                eligible: fmt::int(t.eligible_population, lang),
                percent: fmt::percent(t.target_percent, 2, lang),
                target: fmt::int(t.target_activations, lang),
                baseline: fmt::int(t.baseline_activations, lang),
                baseline_date: t
                    .baseline_date
                    .map(|d| fmt::date(d, lang))
                    .unwrap_or_else(|| "–".into()),
            })
            .collect(),
        office_id,
        year,
        ctx,
    })
}

/// A number typed by a person: `1.234.567` or `1234567` (Indonesian thousands dots) for
/// whole numbers; `25,5` or `25.5` for a percentage.
fn whole(field: &str, v: Option<String>) -> Result<Option<i64>, FieldError> {
    let Some(v) = v else { return Ok(None) };
    let cleaned: String = v
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    cleaned
        .parse::<i64>()
        .map(Some)
        .map_err(|_| FieldError::invalid(field, "Must be a whole number.", "Harus bilangan bulat."))
}

fn decimal(field: &str, v: Option<String>) -> Result<Option<f64>, FieldError> {
    let Some(v) = v else { return Ok(None) };
    v.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| FieldError::invalid(field, "Must be a number.", "Harus berupa angka."))
}

pub async fn set_target(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, form, ctx) = match post(&req, &state, &body, "targets", true).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let mut v = crate::error::Validator::new();
    let office_id = get(&form, "office_id").unwrap_or_default();
    let year = v.check(
        get(&form, "year")
            .and_then(|y| y.parse::<i32>().ok())
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                FieldError::invalid(
                    "year",
                    "Must be a year such as 2024.",
                    "Harus berupa tahun, misalnya 2024.",
                )
            }),
    );
    let eligible = v
        .check(whole(
            "eligible_population",
            get(&form, "eligible_population"),
        ))
        .flatten();
    let percent = v
        .check(decimal("target_percent", get(&form, "target_percent")))
        .flatten();
    let baseline = v
        .check(whole(
            "baseline_activations",
            get(&form, "baseline_activations"),
        ))
        .flatten();
    if let Err(e) = v.finish() {
        return page::error(ctx, e);
    }
    let addr = state.client_addr(&req);
    let set = crate::targets::service::set(
        &state,
        &session.user,
        office_id.clone(),
        year.unwrap_or_default(),
        SetTargetRequest {
            eligible_population: eligible,
            target_percent: percent,
            baseline_activations: baseline,
            baseline_date: get(&form, "baseline_date"),
        },
        addr,
    )
    .await;
    let to = format!(
        "/app/targets?office_id={}&done=updated",
        page::urlencode(&office_id)
    );
    done(ctx, set, &to)
}
