//! `/events`, their review and their staff hours.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};

use super::dto::{
    CreateEventRequest, EventResponse, ListEventsQuery, NewEvent, ReturnEventRequest,
    StaffHoursRequest, StaffResponse, UpdateEventRequest,
};
use super::repo::Event;
use super::service::{self, Review};
use crate::areas::service::names_of;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppError, AppResult};
use crate::pagination::encode_instant_key;
use crate::pagination::Page;
use crate::state::AppState;

/// The answer for one event, its area named.
async fn named(state: &AppState, event: Event) -> AppResult<EventResponse> {
    let names = names_of(state, EventResponse::area_codes([&event])).await?;
    EventResponse::named(event, &names)
}

/// Create an event (201), or confirm a retried create (200).
///
/// A client may choose the id (events created offline). Posting an id that exists with the
/// same content answers 200 with the stored event; with different content 409.
#[utoipa::path(
    tag = "events",
    operation_id = "create_event",
    request_body = CreateEventRequest,
    responses(
        (status = 201, description = "Created", body = EventResponse),
        (status = 200, description = "The same id with the same content exists already", body = EventResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[post("/events")]
pub async fn create_event(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::extract::Json<CreateEventRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let (office_id, channel_key, area_code) = (
        body.office_id.clone(),
        body.channel_key.clone(),
        body.area_code.clone(),
    );
    let cmd = match NewEvent::try_from(body) {
        Ok(cmd) => cmd,
        Err(AppError::Validation(errors)) => {
            return Err(AppError::Validation(
                service::with_office_rule_errors(
                    &state,
                    &user,
                    errors,
                    office_id,
                    channel_key,
                    area_code,
                )
                .await,
            ))
        }
        Err(e) => return Err(e),
    };
    let (event, created) = service::create(&state, &user, cmd).await?;
    let body = named(&state, event).await?;
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// List events in scope, newest start first.
///
/// `from` and `to` are local dates (the office's time zone), both inclusive, matched
/// against the local date of `starts_at`. `office_id` narrows to that office and the
/// offices below it.
#[utoipa::path(
    tag = "events",
    operation_id = "list_events",
    params(ListEventsQuery),
    responses(
        (status = 200, description = "Events", body = Page<EventResponse>),
        problem::BadRequest,
        problem::Unauthorized,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    user: AuthUser,
    query: crate::extract::Query<ListEventsQuery>,
) -> AppResult<web::Json<Page<EventResponse>>> {
    let (rows, limit) = service::list(&state, &user, query.into_inner()).await?;
    let names = names_of(&state, EventResponse::area_codes(&rows)).await?;
    let items = rows
        .into_iter()
        .map(|e| EventResponse::named(e, &names))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(web::Json(Page::from_rows(items, limit, |e| {
        encode_instant_key(e.starts_at.naive_utc(), &e.id)
    })))
}

/// One event.
#[utoipa::path(
    tag = "events",
    operation_id = "get_event",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = EventResponse),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/events/{id}")]
pub async fn get_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> AppResult<web::Json<EventResponse>> {
    let event = service::get(&state, &user, id.into_inner()).await?;
    Ok(web::Json(named(&state, event).await?))
}

/// Change an open or returned event (its creator, a supervisor or an admin).
///
/// Absent fields stay as they are; `null` clears an optional field. A new channel is
/// carried over to the event's activations.
#[utoipa::path(
    tag = "events",
    operation_id = "update_event",
    params(("id" = String, Path, description = "Event id")),
    request_body = UpdateEventRequest,
    responses(
        (status = 200, description = "The whole event", body = EventResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[patch("/events/{id}")]
pub async fn update_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: crate::extract::Json<UpdateEventRequest>,
) -> AppResult<web::Json<EventResponse>> {
    let event = service::update(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(web::Json(named(&state, event).await?))
}

/// Submit the event report for review (from `open` or `returned`; its creator, a
/// supervisor or an admin).
#[utoipa::path(
    tag = "events",
    operation_id = "submit_event",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The whole event", body = EventResponse),
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
    )
)]
#[post("/events/{id}/submit")]
pub async fn submit_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> AppResult<web::Json<EventResponse>> {
    let event = service::review(&state, &user, id.into_inner(), Review::Submit, None).await?;
    Ok(web::Json(named(&state, event).await?))
}

/// Approve a submitted event report (supervisor or admin). An approved event takes no new
/// activations, voids or staff changes.
#[utoipa::path(
    tag = "events",
    operation_id = "approve_event",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The whole event", body = EventResponse),
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
    )
)]
#[post("/events/{id}/approve")]
pub async fn approve_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> AppResult<web::Json<EventResponse>> {
    let event = service::review(&state, &user, id.into_inner(), Review::Approve, None).await?;
    Ok(web::Json(named(&state, event).await?))
}

/// Return a submitted event report to its author with a comment (supervisor or admin).
#[utoipa::path(
    tag = "events",
    operation_id = "return_event",
    params(("id" = String, Path, description = "Event id")),
    request_body = ReturnEventRequest,
    responses(
        (status = 200, description = "The whole event", body = EventResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[post("/events/{id}/return")]
pub async fn return_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: crate::extract::Json<ReturnEventRequest>,
) -> AppResult<web::Json<EventResponse>> {
    let comment = body.into_inner().comment;
    let event = service::review(&state, &user, id.into_inner(), Review::Return, comment).await?;
    Ok(web::Json(named(&state, event).await?))
}

/// The staff of an event and their hours.
#[utoipa::path(
    tag = "events",
    operation_id = "list_event_staff",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "Staff, by username (one page)", body = Page<StaffResponse>),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/events/{id}/staff")]
pub async fn list_event_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> AppResult<web::Json<Page<StaffResponse>>> {
    let rows = service::list_staff(&state, &user, id.into_inner()).await?;
    Ok(web::Json(Page {
        items: rows.into_iter().map(StaffResponse::from).collect(),
        next_cursor: None,
    }))
}

/// Set a staff member's hours at an event.
///
/// Hours are > 0 and at most 24 for each local day the event spans; the user must be
/// staff of the event's office. Supervisors and admins until the event is approved; its
/// creator while it is open or returned.
#[utoipa::path(
    tag = "events",
    operation_id = "put_event_staff",
    params(
        ("id" = String, Path, description = "Event id"),
        ("user_id" = String, Path, description = "Staff member's user id"),
    ),
    request_body = StaffHoursRequest,
    responses(
        (status = 200, description = "The staff member's hours", body = StaffResponse),
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
        problem::Unprocessable,
    )
)]
#[put("/events/{id}/staff/{user_id}")]
pub async fn put_event_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: crate::extract::Json<StaffHoursRequest>,
) -> AppResult<web::Json<StaffResponse>> {
    let (id, staff_id) = path.into_inner();
    let row = service::put_staff(&state, &user, id, staff_id, body.into_inner().hours).await?;
    Ok(web::Json(StaffResponse::from(row)))
}

/// Remove a staff member from an event (same rights as setting hours).
#[utoipa::path(
    tag = "events",
    operation_id = "delete_event_staff",
    params(
        ("id" = String, Path, description = "Event id"),
        ("user_id" = String, Path, description = "Staff member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Conflict,
    )
)]
#[delete("/events/{id}/staff/{user_id}")]
pub async fn delete_event_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, staff_id) = path.into_inner();
    service::delete_staff(&state, &user, id, staff_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_event)
        .service(list_events)
        .service(get_event)
        .service(update_event)
        .service(submit_event)
        .service(approve_event)
        .service(return_event)
        .service(list_event_staff)
        .service(put_event_staff)
        .service(delete_event_staff);
}
