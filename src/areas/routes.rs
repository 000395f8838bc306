//! `GET /areas` and `GET /areas/{code}`.

use actix_web::{get, web};

use super::dto::{AreaResponse, ListAreas, ListAreasQuery};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult};
use crate::pagination::Page;
use crate::state::AppState;

/// List Indonesia's administrative areas, by code.
///
/// Any logged-in user may read them. Filter by the area directly above (`parent_code`), by
/// `level`, and by part of the name (`q`); without filters the list walks the whole tree
/// (a region comes right before everything inside it). Data: Kepmendagri 2025 through
/// idn-area-data 4.0.1 (ODbL 1.0).
#[utoipa::path(
    tag = "areas",
    operation_id = "list_areas",
    params(ListAreasQuery),
    responses(
        (status = 200, description = "One page of areas", body = Page<AreaResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Unprocessable,
    )
)]
#[get("/areas")]
pub async fn list_areas(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: crate::extract::Query<ListAreasQuery>,
) -> AppResult<web::Json<Page<AreaResponse>>> {
    let request = ListAreas::try_from(query.into_inner())?;
    Ok(web::Json(service::list(&state, request).await?))
}

/// One administrative area by its dotted Kemendagri code.
#[utoipa::path(
    tag = "areas",
    operation_id = "get_area",
    params(("code" = String, Path, description = "Dotted Kemendagri code", example = "63.01.01.2001")),
    responses(
        (status = 200, description = "The area", body = AreaResponse),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/areas/{code}")]
pub async fn get_area(
    state: web::Data<AppState>,
    _user: AuthUser,
    code: web::Path<String>,
) -> AppResult<web::Json<AreaResponse>> {
    Ok(web::Json(service::get(&state, code.into_inner()).await?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_areas).service(get_area);
}
