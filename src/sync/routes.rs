//! `GET /sync/changes`.

use actix_web::{get, web, HttpRequest};

use super::dto::{SyncChangesQuery, SyncChangesResponse};
use super::service;
use crate::areas::service::names_of;
use crate::auth::AuthUser;
use crate::channels::dto::ChannelResponse;
use crate::error::{responses as problem, AppResult, Lang};
use crate::events::dto::{EventResponse, StaffResponse};
use crate::state::AppState;

/// What the phone needs offline, changed since the cursor.
///
/// Channels the caller's office may use, the office's events (on a first pull those open
/// or returned; afterwards every event that changed, so review outcomes and comments reach
/// the field) and their complete staff lists. Pull until `has_more` is false, then keep
/// `next_cursor` for the next time. The cursor reaches a few minutes back, so items may
/// come again: upsert by id. See `api-docs/SYNC.md`.
#[utoipa::path(
    tag = "sync",
    operation_id = "get_sync_changes",
    params(SyncChangesQuery),
    responses(
        (status = 200, description = "Changes", body = SyncChangesResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Unprocessable,
    )
)]
#[get("/sync/changes")]
pub async fn get_sync_changes(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: crate::extract::Query<SyncChangesQuery>,
) -> AppResult<web::Json<SyncChangesResponse>> {
    let q = query.into_inner();
    let lang = Lang::from_request(&req);
    let ch = service::changes(&state, &user, q.cursor, q.limit).await?;
    let names = names_of(&state, EventResponse::area_codes(&ch.events)).await?;
    Ok(web::Json(SyncChangesResponse {
        channels: ch
            .channels
            .into_iter()
            .map(|c| ChannelResponse::from_row(c, lang))
            .collect(),
        events: ch
            .events
            .into_iter()
            .map(|e| EventResponse::named(e, &names))
            .collect::<Result<Vec<_>, _>>()?,
        staff: ch.staff.into_iter().map(StaffResponse::from).collect(),
        next_cursor: ch.next_cursor,
        has_more: ch.has_more,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_sync_changes);
}
