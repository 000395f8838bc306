//! `/offices/{id}/targets`: yearly activation targets (admins set, supervisors read).

use actix_web::{get, put, web, HttpRequest};

use super::dto::{ListTargetsQuery, SetTargetRequest, TargetResponse};
use super::service;
use crate::auth::AuthUser;
use crate::error::{AppResult, Problem};
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
        (status = 400, description = "Malformed body or path", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Office missing or out of scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
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
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Office missing or out of scope (for field staff: not their own), or no target that year", body = Problem, content_type = "application/problem+json"),
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
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Office missing or out of scope (for field staff: not their own)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid paging", body = Problem, content_type = "application/problem+json"),
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
