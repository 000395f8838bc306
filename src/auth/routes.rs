//! `/auth/login`, `/auth/refresh`, `/auth/logout` and `/me`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::dto::{LoginRequest, MeResponse, RefreshRequest, TokenResponse};
use super::extractor::AuthUser;
use super::service::{self, Issued};
use crate::error::{responses as problem, AppResult};
use crate::state::AppState;

fn token_response(issued: Issued) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            user: issued.user,
        })
}

/// Log in with a username and password.
///
/// Unknown usernames and wrong passwords answer the same 401. Repeated failures are
/// throttled per username and per client address (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        problem::BadRequest,
        problem::BadCredentials,
        problem::TooManyRequests,
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::extract::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let addr = state.client_addr(&req);
    let issued = service::login(&state, body.username, body.password, addr).await?;
    Ok(token_response(issued))
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// The presented token is spent. Presenting a spent token again within 60 s of its first
/// use, while the refresh token it was exchanged for is still unused, answers that same pair
/// (an answer lost on the way must not lock a phone out); otherwise it answers 401 and
/// revokes every token descended from the same login.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_token",
    request_body = RefreshRequest,
    security(()),
    responses(
        (status = 200, description = "New tokens (or, within the grace window, the same pair again)", body = TokenResponse),
        problem::BadRequest,
        problem::BadCredentials,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::extract::Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let addr = state.client_addr(&req);
    let issued = service::refresh(&state, body.into_inner().refresh_token, addr).await?;
    Ok(token_response(issued))
}

/// Log out: revokes the refresh token and every token of the same login.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        problem::Unauthorized,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::extract::Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    service::logout(
        &state,
        user.id.clone(),
        user.office.id.clone(),
        body.into_inner().refresh_token,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        problem::Unauthorized,
    )
)]
#[get("/me")]
pub async fn get_me(user: AuthUser) -> AppResult<web::Json<MeResponse>> {
    Ok(web::Json(MeResponse {
        id: user.id,
        username: user.username,
        full_name: user.full_name,
        role: user.role,
        office_id: user.office.id,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(get_me);
}
