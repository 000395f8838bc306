//! `POST /sync/activations`, `GET /events/{id}/activations`, `DELETE /activations/{id}`.

use actix_web::{delete, get, post, web, HttpMessage, HttpRequest};

use super::dto::{
    ActivationResponse, ListActivationsQuery, SyncActivationsRequest, SyncActivationsResponse,
    SyncResult, SyncStatus, VoidActivationRequest,
};
use super::service::{self, Verdict};
use crate::areas::service::names_of;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult, Lang};
use crate::pagination::encode_instant_key;
use crate::pagination::Page;
use crate::state::AppState;
use crate::telemetry::RequestMeta;

/// Upload activation attempts recorded offline (up to 500 a request).
///
/// Answers one result per item, in order: `created` (stored now), `duplicate` (that id is
/// stored with the same content), `conflict` (that id is stored with different content;
/// nothing changed), or `rejected` with a problem object (`validation_failed`,
/// `not_found` for an event missing or out of scope, `forbidden`, `conflict` for an
/// approved event). One bad item never fails the batch; `created` and `duplicate` are
/// answered only once the record is durably stored. Re-sending a batch is always safe.
/// See `api-docs/SYNC.md`.
#[utoipa::path(
    tag = "sync",
    operation_id = "sync_activations",
    request_body = SyncActivationsRequest,
    responses(
        (status = 200, description = "One result per item", body = SyncActivationsResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::PayloadTooLarge,
        problem::Unprocessable,
        problem::Unavailable,
    )
)]
#[post("/sync/activations")]
pub async fn sync_activations(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: crate::extract::Json<SyncActivationsRequest>,
) -> AppResult<web::Json<SyncActivationsResponse>> {
    let (lang, request_id) = match req.extensions().get::<RequestMeta>() {
        Some(m) => (m.lang, Some(m.request_id.clone())),
        None => (Lang::from_request(&req), None),
    };
    let items = body.into_inner().items;
    let ids: Vec<Option<String>> = items.iter().map(service::result_id).collect();
    let verdicts = service::sync(&state, &user, items).await?;
    let results = ids
        .into_iter()
        .zip(verdicts)
        .map(|(id, v)| {
            let (status, error) = match v {
                Verdict::Created => (SyncStatus::Created, None),
                Verdict::Duplicate => (SyncStatus::Duplicate, None),
                Verdict::Conflict => (SyncStatus::Conflict, None),
                Verdict::Rejected(e) => (
                    SyncStatus::Rejected,
                    Some(e.problem(lang, request_id.as_deref())),
                ),
            };
            SyncResult { id, status, error }
        })
        .collect();
    Ok(web::Json(SyncActivationsResponse { results }))
}

/// An event's activations, oldest first (field staff see only their own).
#[utoipa::path(
    tag = "activations",
    operation_id = "list_event_activations",
    params(("id" = String, Path, description = "Event id"), ListActivationsQuery),
    responses(
        (status = 200, description = "Activations", body = Page<ActivationResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/events/{id}/activations")]
pub async fn list_event_activations(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    query: crate::extract::Query<ListActivationsQuery>,
) -> AppResult<web::Json<Page<ActivationResponse>>> {
    let q = query.into_inner();
    let (rows, limit) =
        service::list_for_event(&state, &user, id.into_inner(), q.limit, q.cursor).await?;
    let names = names_of(&state, ActivationResponse::area_codes(&rows)).await?;
    let items = rows
        .into_iter()
        .map(|a| ActivationResponse::named(a, &names))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::from_rows(items, limit, |a| {
        encode_instant_key(a.recorded_at.naive_utc(), &a.id)
    })))
}

/// Void an activation: it is kept, marked voided, and no longer counted.
///
/// Supervisors and admins, or the staff member who recorded it, while its event is not
/// approved. Voiding it again answers it unchanged.
#[utoipa::path(
    tag = "activations",
    operation_id = "void_activation",
    params(("id" = String, Path, description = "Activation id")),
    request_body = VoidActivationRequest,
    responses(
        (status = 200, description = "The voided activation", body = ActivationResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[delete("/activations/{id}")]
pub async fn void_activation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: crate::extract::Json<VoidActivationRequest>,
) -> AppResult<web::Json<ActivationResponse>> {
    let row = service::void(&state, &user, id.into_inner(), body.into_inner().reason).await?;
    let names = names_of(&state, ActivationResponse::area_codes([&row])).await?;
    Ok(web::Json(ActivationResponse::named(row, &names)?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(sync_activations)
        .service(list_event_activations)
        .service(void_activation);
}
