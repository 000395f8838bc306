//! `/users`: staff accounts. Admins write in their scope; supervisors and admins read in
//! their scope; everyone reads and edits (name, password) their own account.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use super::dto::{CreateUserRequest, ListUsersQuery, UpdateUserRequest, UserResponse};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult};
use crate::pagination::Page;
use crate::state::AppState;

/// Create an account in an office of the caller's scope (admin).
///
/// Usernames are unique without regard to case (409). The role may not be above the
/// caller's own (403).
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: crate::extract::Json<CreateUserRequest>,
) -> AppResult<HttpResponse> {
    let addr = state.client_addr(&req);
    let created = service::create(&state, &user, body.into_inner(), addr).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.id)))
        .json(UserResponse::from(created)))
}

/// List the accounts in the caller's scope, by username (supervisor or admin).
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(ListUsersQuery),
    responses(
        (status = 200, description = "One page of accounts", body = Page<UserResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: crate::extract::Query<ListUsersQuery>,
) -> AppResult<web::Json<Page<UserResponse>>> {
    Ok(web::Json(
        service::list(&state, &user, query.into_inner()).await?,
    ))
}

/// One account: the caller's own, or (supervisor or admin) one in scope.
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = String, Path, description = "User id", format = Uuid)),
    responses(
        (status = 200, description = "The account", body = UserResponse),
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<web::Json<UserResponse>> {
    let found = service::get(&state, &user, path.into_inner()).await?;
    Ok(web::Json(found.into()))
}

/// Change an account (admin, in scope), or one's own full name and password.
///
/// Deactivating an account or changing its password stops every token of it at once
/// (including the caller's own after changing their own password: log in again). Nobody
/// changes their own role or active flag (403); a role above the caller's is 403.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    params(("id" = String, Path, description = "User id", format = Uuid)),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The updated account", body = UserResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::extract::Json<UpdateUserRequest>,
) -> AppResult<web::Json<UserResponse>> {
    let addr = state.client_addr(&req);
    let updated =
        service::update(&state, &user, path.into_inner(), body.into_inner(), addr).await?;
    Ok(web::Json(updated.into()))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user);
}
