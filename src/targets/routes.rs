//! `/offices/{id}/targets`: yearly activation targets (admins set, supervisors read).

use actix_web::{get, put, web, HttpRequest};

use super::dto::{ListTargetsQuery, SetTargetRequest, TargetResponse};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult};
use crate::pagination::Page;
use crate::state::AppState;

/// Set an office's target for a year (admin, in scope); replaces any earlier one.
#[utoipa::path(
    tag = "targets",
    operation_id = "set_target",
    params(
        ("id" = String, Path, description = "Office id", format = Uuid),
        ("year" = i32, Path, description = "Target year, 2000-2100"),
    ),
    request_body = SetTargetRequest,
    responses(
        (status = 200, description = "The target as stored", body = TargetResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[put("/offices/{id}/targets/{year}")]
pub async fn set_target(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<(String, i32)>,
    body: crate::extract::Json<SetTargetRequest>,
) -> AppResult<web::Json<TargetResponse>> {
    let (office_id, year) = path.into_inner();
    let addr = state.client_addr(&req);
    let target = service::set(&state, &user, office_id, year, body.into_inner(), addr).await?;
    Ok(web::Json(target.into()))
}

/// An office's target for a year: supervisors and admins in scope; field staff their own
/// office's (the figures its progress report shows).
#[utoipa::path(
    tag = "targets",
    operation_id = "get_target",
    params(
        ("id" = String, Path, description = "Office id", format = Uuid),
        ("year" = i32, Path, description = "Target year"),
    ),
    responses(
        (status = 200, description = "The target", body = TargetResponse),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/offices/{id}/targets/{year}")]
pub async fn get_target(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, i32)>,
) -> AppResult<web::Json<TargetResponse>> {
    let (office_id, year) = path.into_inner();
    let target = service::get(&state, &user, office_id, year).await?;
    Ok(web::Json(target.into()))
}

/// An office's targets, by year: supervisors and admins in scope; field staff their own
/// office's.
#[utoipa::path(
    tag = "targets",
    operation_id = "list_targets",
    params(
        ("id" = String, Path, description = "Office id", format = Uuid),
        ListTargetsQuery,
    ),
    responses(
        (status = 200, description = "One page of targets", body = Page<TargetResponse>),
        problem::Unauthorized,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/offices/{id}/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: crate::extract::Query<ListTargetsQuery>,
) -> AppResult<web::Json<Page<TargetResponse>>> {
    Ok(web::Json(
        service::list(&state, &user, path.into_inner(), query.into_inner()).await?,
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(set_target)
        .service(get_target)
        .service(list_targets);
}
