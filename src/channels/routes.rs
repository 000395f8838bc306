//! `/channels`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::dto::{ChannelResponse, CreateChannelRequest, ListChannelsQuery};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult, Lang};
use crate::pagination::Page;
use crate::state::AppState;

/// The channels the caller's office may use: the built-in ones and those of the office and
/// the offices above it, ordered by key. Names follow `Accept-Language` (`id`: Indonesian).
#[utoipa::path(
    tag = "channels",
    operation_id = "list_channels",
    params(ListChannelsQuery),
    responses(
        (status = 200, description = "Channels", body = Page<ChannelResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Unprocessable,
    )
)]
#[get("/channels")]
pub async fn list_channels(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: crate::extract::Query<ListChannelsQuery>,
) -> AppResult<web::Json<Page<ChannelResponse>>> {
    let q = query.into_inner();
    let lang = Lang::from_request(&req);
    let (rows, limit) = service::list(&state, &user, q.limit, q.cursor).await?;
    let items = rows
        .into_iter()
        .map(|r| ChannelResponse::from_row(r, lang))
        .collect();
    // The cursor holds the key and id of the last channel; rebuild them from the response.
    Ok(web::Json(Page::from_rows(items, limit, |c| {
        vec![c.key.clone(), c.id.clone()]
    })))
}

/// Create a channel of the caller's office (supervisor or admin). Its key must not clash
/// with a built-in channel or one the office, an office above it or an office below it has.
#[utoipa::path(
    tag = "channels",
    operation_id = "create_channel",
    request_body = CreateChannelRequest,
    responses(
        (status = 201, description = "Created", body = ChannelResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[post("/channels")]
pub async fn create_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: crate::extract::Json<CreateChannelRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let row = service::create(&state, &user, body.key, body.name).await?;
    Ok(HttpResponse::Created().json(ChannelResponse::from_row(row, Lang::from_request(&req))))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_channels).service(create_channel);
}
