//! `/offices`: the office tree, read by everyone in scope, written by admins.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use super::dto::{CreateOfficeRequest, ListOfficesQuery, OfficeResponse, UpdateOfficeRequest};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult};
use crate::pagination::Page;
use crate::state::AppState;

/// Create an office below one in the caller's scope (admin).
///
/// `parent_id` defaults to the caller's office. The level must be strictly below the
/// parent's; a regency's code extends its province's (`63` > `63.01`); codes are unique.
#[utoipa::path(
    tag = "offices",
    operation_id = "create_office",
    request_body = CreateOfficeRequest,
    responses(
        (status = 201, description = "Created", body = OfficeResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[post("/offices")]
pub async fn create_office(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: crate::extract::Json<CreateOfficeRequest>,
) -> AppResult<HttpResponse> {
    let addr = state.client_addr(&req);
    let office = service::create(&state, &user, body.into_inner(), addr).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/offices/{}", office.id)))
        .json(OfficeResponse::from(office)))
}

/// List the offices in the caller's scope, by code.
#[utoipa::path(
    tag = "offices",
    operation_id = "list_offices",
    params(ListOfficesQuery),
    responses(
        (status = 200, description = "One page of offices", body = Page<OfficeResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/offices")]
pub async fn list_offices(
    state: web::Data<AppState>,
    user: AuthUser,
    query: crate::extract::Query<ListOfficesQuery>,
) -> AppResult<web::Json<Page<OfficeResponse>>> {
    Ok(web::Json(
        service::list(&state, &user, query.into_inner()).await?,
    ))
}

/// One office in the caller's scope.
#[utoipa::path(
    tag = "offices",
    operation_id = "get_office",
    params(("id" = String, Path, description = "Office id", format = Uuid)),
    responses(
        (status = 200, description = "The office", body = OfficeResponse),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/offices/{id}")]
pub async fn get_office(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<web::Json<OfficeResponse>> {
    let office = service::get(&state, &user, path.into_inner()).await?;
    Ok(web::Json(office.into()))
}

/// Change an office's name, time zone or code (admin, in scope).
///
/// A new time zone re-dates the office's events and activations in that zone. The code
/// cannot change while sub-offices exist (409). Level and parent never change.
#[utoipa::path(
    tag = "offices",
    operation_id = "update_office",
    params(("id" = String, Path, description = "Office id", format = Uuid)),
    request_body = UpdateOfficeRequest,
    responses(
        (status = 200, description = "The updated office", body = OfficeResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[patch("/offices/{id}")]
pub async fn update_office(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::extract::Json<UpdateOfficeRequest>,
) -> AppResult<web::Json<OfficeResponse>> {
    let addr = state.client_addr(&req);
    let office = service::update(&state, &user, path.into_inner(), body.into_inner(), addr).await?;
    Ok(web::Json(office.into()))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_office)
        .service(list_offices)
        .service(get_office)
        .service(update_office);
}
