//! Event use cases: create (idempotent by id), read, list, edit, review, staff hours. Each
//! authorises (scope, role, creator) and runs in one transaction with its audit entry.

use chrono::NaiveDateTime;

use super::dto::{EventDraft, ListEventsQuery, NewEvent, UpdateEventRequest};
use super::repo::{self, Event, EventContent, EventFilter, StaffRow};
use crate::audit::{self, AuditEvent};
use crate::auth::{AuthUser, Scope};
use crate::channels;
use crate::db::DbConn;
use crate::domain::{parse_local_date, AreaCode, EventStatus, Role};
use crate::error::{AppError, FieldError, Msg, Validator};
use crate::offices::repo::Office;
use crate::pagination;
use crate::state::AppState;

/// A path id that is not a UUID names nothing: 404, like a missing one.
pub fn path_id(value: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(value)
        .map(|u| u.to_string())
        .map_err(|_| AppError::NotFound)
}

/// The event and its office, or 404 when missing or outside the scope.
fn in_scope(conn: &mut DbConn, scope: &Scope, id: &str) -> Result<(Event, Office), AppError> {
    match repo::find_with_office(conn, id)? {
        Some((e, o)) if scope.contains(&o) => Ok((e, o)),
        _ => Err(AppError::NotFound),
    }
}

/// Like [`in_scope`], share-locking the event for the rest of the transaction.
pub fn in_scope_locked(
    conn: &mut DbConn,
    scope: &Scope,
    id: &str,
) -> Result<(Event, Office), AppError> {
    match repo::find_with_office_locked(conn, id)? {
        Some((e, o)) if scope.contains(&o) => Ok((e, o)),
        _ => Err(AppError::NotFound),
    }
}

/// Number of local calendar days (in the office's time zone) an event touches; an end at
/// exactly midnight does not touch the day it opens.
pub fn local_days(tz: chrono_tz::Tz, starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> i64 {
    use chrono::TimeZone as _;
    let first = tz.from_utc_datetime(&starts_at).date_naive();
    let last_instant = (ends_at - chrono::Duration::microseconds(1)).max(starts_at);
    let last = tz.from_utc_datetime(&last_instant).date_naive();
    (last - first).num_days() + 1
}

fn local_date(office: &Office, t: NaiveDateTime) -> chrono::NaiveDate {
    use chrono::TimeZone as _;
    office.tz().from_utc_datetime(&t).date_naive()
}

fn not_editable() -> AppError {
    AppError::Conflict(Msg::new(
        "The event can only be changed while it is open or returned.",
        "Kegiatan hanya dapat diubah selama berstatus open atau returned.",
    ))
}

fn approved_frozen() -> AppError {
    AppError::Conflict(Msg::new(
        "The event is approved; its report can no longer change.",
        "Kegiatan sudah disetujui; laporannya tidak dapat diubah lagi.",
    ))
}

fn not_creator() -> AppError {
    AppError::Forbidden(Msg::new(
        "Only the event's creator, a supervisor or an admin may do this.",
        "Hanya pembuat kegiatan, supervisor atau admin yang boleh melakukan ini.",
    ))
}

fn is_creator_or_supervisor(user: &AuthUser, event: &Event) -> bool {
    user.role.is_supervisor() || event.created_by == user.id
}

/// The office-dependent rules: a channel the office may use, and an area that is a known
/// district or village inside its region. `only` limits the checks to the fields an edit
/// changed (`None`: all), so an area stored earlier and since retired never locks an event.
fn check_for_office(
    conn: &mut DbConn,
    office: &Office,
    draft: &EventDraft,
    only: Option<&[&str]>,
) -> Result<(), AppError> {
    let wanted = |f: &str| only.is_none_or(|fields| fields.contains(&f));
    let errors = office_rule_errors(
        conn,
        office,
        Some(draft.channel_key.as_str()).filter(|_| wanted("channel_key")),
        draft.area_code.as_ref().filter(|_| wanted("area_code")),
    )?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The errors of [`check_for_office`]'s rules for the fields given.
fn office_rule_errors(
    conn: &mut DbConn,
    office: &Office,
    channel_key: Option<&str>,
    area_code: Option<&AreaCode>,
) -> Result<Vec<FieldError>, AppError> {
    let mut errors = Vec::new();
    if let Some(key) = channel_key {
        if !channels::repo::is_visible(conn, &office.path, key)? {
            errors.push(FieldError::new(
                "channel_key",
                "unknown_channel",
                Msg::new(
                    "Not a channel this office may use (see GET /channels).",
                    "Bukan saluran yang dapat dipakai kantor ini (lihat GET /channels).",
                ),
            ));
        }
    }
    if let Some(a) = area_code {
        if crate::areas::repo::is_area_within(conn, a.as_str(), &office.code)?.is_none() {
            errors.push(if a.is_within(&office.code) {
                AreaCode::unknown_error("area_code")
            } else {
                AreaCode::outside_error("area_code")
            });
        }
    }
    Ok(errors)
}

/// A create request whose fields broke rules: adds the errors of the office-dependent rules
/// (channel, area) for the fields that parsed, so one 422 names every problem. Anything
/// that keeps those rules from running (an office out of scope, a busy database) leaves
/// the errors as they were: the office answers for itself once the fields are fixed.
pub async fn with_office_rule_errors(
    state: &AppState,
    user: &AuthUser,
    mut errors: Vec<FieldError>,
    office_id: Option<String>,
    channel_key: Option<String>,
    area_code: Option<String>,
) -> Vec<FieldError> {
    let failed = |f: &str| errors.iter().any(|e| e.field == f);
    let channel_key = channel_key
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty() && !failed("channel_key"));
    let area_code = area_code
        .filter(|_| !failed("area_code"))
        .and_then(|a| AreaCode::parse("area_code", a.trim()).ok());
    let office_id = match office_id {
        Some(_) if failed("office_id") => return errors,
        Some(id) => Some(id.trim().to_string()),
        None => None,
    };
    if channel_key.is_none() && area_code.is_none() {
        return errors;
    }
    let user = user.clone();
    let more = state
        .db
        .read(move |c| {
            let office = match office_id {
                Some(id) => user.scope().office(c, &id)?,
                None => user.office.clone(),
            };
            office_rule_errors(c, &office, channel_key.as_deref(), area_code.as_ref())
        })
        .await;
    if let Ok(more) = more {
        errors.extend(more);
    }
    errors
}

fn audit_event(
    conn: &mut DbConn,
    actor: &str,
    event: &Event,
    action: &str,
    detail: Option<serde_json::Value>,
) -> Result<(), AppError> {
    audit::record(
        conn,
        AuditEvent {
            actor_id: Some(actor),
            office_id: Some(&event.office_id),
            action,
            subject_type: "event",
            subject_id: Some(&event.id),
            detail,
            client_addr: None,
        },
    )
}

/// Creates an event; `Ok((event, true))` when created, `(event, false)` when the same id
/// already holds the same content (a retried create).
pub async fn create(
    state: &AppState,
    user: &AuthUser,
    cmd: NewEvent,
) -> Result<(Event, bool), AppError> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let scope = user.scope();
            let office = match &cmd.office_id {
                Some(id) => scope.office(c, id)?,
                None => user.office.clone(),
            };
            if !user.role.is_supervisor() && office.id != user.office.id {
                return Err(AppError::Forbidden(Msg::new(
                    "Field staff create events in their own office only.",
                    "Petugas lapangan hanya membuat kegiatan di kantornya sendiri.",
                )));
            }
            let hash = cmd.draft.content_hash(&office.id);
            let id = cmd
                .id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            if cmd.id.is_some() {
                if let Some(existing) = repo::find(c, &id)? {
                    return same_or_conflict(existing, &hash, &scope, c);
                }
            }
            check_for_office(c, &office, &cmd.draft, None)?;
            let now = crate::db::now();
            let d = cmd.draft;
            let event = Event {
                id,
                office_id: office.id.clone(),
                channel_key: d.channel_key,
                title: d.title,
                starts_at: d.starts_at,
                ends_at: d.ends_at,
                local_date: local_date(&office, d.starts_at),
                area_code: d.area_code.map(|a| a.into_string()),
                venue: d.venue,
                latitude: d.latitude,
                longitude: d.longitude,
                cost_idr: d.cost_idr,
                notes: d.notes,
                status: EventStatus::Open.as_str().to_string(),
                review_comment: None,
                reviewed_by: None,
                reviewed_at: None,
                content_hash: hash.clone(),
                created_by: user.id.clone(),
                created_at: now,
                updated_at: now,
            };
            if !repo::insert_if_absent(c, &event)? {
                // Another request created the same id meanwhile.
                let existing = repo::find(c, &event.id)?.ok_or(AppError::NotFound)?;
                return same_or_conflict(existing, &hash, &scope, c);
            }
            audit_event(c, &user.id, &event, "event_created", None)?;
            Ok((event, true))
        })
        .await
}

fn same_or_conflict(
    existing: Event,
    hash: &str,
    scope: &Scope,
    conn: &mut DbConn,
) -> Result<(Event, bool), AppError> {
    let visible =
        crate::offices::repo::find(conn, &existing.office_id)?.is_some_and(|o| scope.contains(&o));
    if visible && existing.content_hash == hash {
        Ok((existing, false))
    } else {
        Err(AppError::Conflict(Msg::new(
            "An event with this id already exists with different content.",
            "Kegiatan dengan id ini sudah ada dengan isi yang berbeda.",
        )))
    }
}

pub async fn get(state: &AppState, user: &AuthUser, id: String) -> Result<Event, AppError> {
    let scope = user.scope();
    let id = path_id(&id)?;
    state
        .db
        .read(move |c| in_scope(c, &scope, &id).map(|(e, _)| e))
        .await
}

/// One page of events (newest start first) and the page size asked for.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    q: ListEventsQuery,
) -> Result<(Vec<Event>, i64), AppError> {
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(q.limit)).unwrap_or_default();
    let status = q
        .status
        .as_deref()
        .and_then(|s| v.check(EventStatus::parse("status", s)));
    let from = q
        .from
        .as_deref()
        .and_then(|s| v.check(parse_local_date("from", s)));
    let to =
        q.to.as_deref()
            .and_then(|s| v.check(parse_local_date("to", s)));
    let after = v
        .check(pagination::decode_cursor(q.cursor.as_deref(), 2))
        .flatten()
        .and_then(|k| v.check(decode_instant_key(&k)));
    v.finish()?;
    let scope = user.scope();
    let office_id = q.office_id;
    let channel_key = q.channel_key;
    let rows = state
        .db
        .read(move |c| {
            let path_pattern = match office_id {
                Some(id) => {
                    let id = path_id(&id)?;
                    format!("{}%", scope.office(c, &id)?.path)
                }
                None => scope.path_pattern(),
            };
            repo::list(
                c,
                &EventFilter {
                    path_pattern,
                    channel_key,
                    status: status.map(|s| s.as_str().to_string()),
                    from,
                    to,
                    after,
                    limit: limit + 1,
                },
            )
        })
        .await?;
    Ok((rows, limit))
}

/// Cursor keys of timestamp-ordered lists: `[RFC 3339 instant, id]`.
pub fn encode_instant_key(at: NaiveDateTime, id: &str) -> Vec<String> {
    vec![
        at.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        id.to_string(),
    ]
}

pub fn decode_instant_key(key: &[String]) -> Result<(NaiveDateTime, String), FieldError> {
    let bad = || {
        FieldError::new(
            "cursor",
            "invalid_cursor",
            Msg::new(
                "Not a cursor this list gave out; start again without one.",
                "Bukan kursor dari daftar ini; mulai lagi tanpa kursor.",
            ),
        )
    };
    match key {
        [at, id] => chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| (t.naive_utc(), id.clone()))
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// Edits an open or returned event (its creator, or a supervisor or admin).
pub async fn update(
    state: &AppState,
    user: &AuthUser,
    id: String,
    req: UpdateEventRequest,
) -> Result<Event, AppError> {
    let id = path_id(&id)?;
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (event, office) = in_scope_locked(c, &user.scope(), &id)?;
            if !is_creator_or_supervisor(&user, &event) {
                return Err(not_creator());
            }
            if !EventStatus::from_db(&event.status)?.is_editable() {
                return Err(not_editable());
            }
            let mut draft = EventDraft::from_event(&event);
            let changed = req.apply(&mut draft)?;
            check_for_office(c, &office, &draft, Some(&changed))?;
            if changed.contains(&"starts_at") || changed.contains(&"ends_at") {
                let max = 24.0 * local_days(office.tz(), draft.starts_at, draft.ends_at) as f64;
                if repo::max_staff_hours(c, &event.id)?.is_some_and(|h| h > max) {
                    return Err(AppError::validation(
                        "ends_at",
                        "staff_hours_exceed",
                        Msg::new(
                            "Staff hours already logged would exceed 24 hours a day of the shorter event; lower them first.",
                            "Jam kerja petugas yang tercatat akan melebihi 24 jam per hari kegiatan yang lebih pendek; kurangi dulu.",
                        ),
                    ));
                }
            }
            let now = crate::db::now();
            let content = EventContent {
                local_date: local_date(&office, draft.starts_at),
                channel_key: draft.channel_key,
                title: draft.title,
                starts_at: draft.starts_at,
                ends_at: draft.ends_at,
                area_code: draft.area_code.map(|a| a.into_string()),
                venue: draft.venue,
                latitude: draft.latitude,
                longitude: draft.longitude,
                cost_idr: draft.cost_idr,
                notes: draft.notes,
                updated_at: now,
            };
            if !repo::update_content(c, &event.id, &content)? {
                return Err(not_editable());
            }
            let updated = repo::find(c, &event.id)?.ok_or(AppError::NotFound)?;
            audit_event(
                c,
                &user.id,
                &updated,
                "event_updated",
                Some(serde_json::json!({ "changed": changed })),
            )?;
            Ok(updated)
        })
        .await
}

/// A review step of the event report.
#[derive(Clone, Copy, Debug)]
pub enum Review {
    Submit,
    Approve,
    Return,
}

/// Moves the event through its review; `comment` is required to return it.
pub async fn review(
    state: &AppState,
    user: &AuthUser,
    id: String,
    step: Review,
    comment: Option<String>,
) -> Result<Event, AppError> {
    let id = path_id(&id)?;
    if !matches!(step, Review::Submit) {
        user.require(Role::Supervisor)?;
    }
    let comment = match step {
        Review::Return => {
            let mut v = Validator::new();
            let c = v.check(crate::domain::required_text(
                "comment",
                comment.as_deref().unwrap_or(""),
                2000,
            ));
            v.finish()?;
            c
        }
        _ => None,
    };
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (event, _) = in_scope(c, &user.scope(), &id)?;
            if matches!(step, Review::Approve) {
                // Waits for syncs of this event in flight; later ones will see it approved.
                repo::lock_event_exclusive(c, &event.id)?;
            }
            let now = crate::db::now();
            let (from, to, action): (&[&str], &str, &str) = match step {
                Review::Submit => {
                    if !is_creator_or_supervisor(&user, &event) {
                        return Err(not_creator());
                    }
                    (&["open", "returned"], "submitted", "event_submitted")
                }
                Review::Approve => (&["submitted"], "approved", "event_approved"),
                Review::Return => (&["submitted"], "returned", "event_returned"),
            };
            let reviewer = match step {
                Review::Submit => None,
                _ => Some((comment.as_deref(), user.id.as_str())),
            };
            if !repo::transition(c, &event.id, from, to, reviewer, now)? {
                return Err(AppError::Conflict(Msg::new(
                    format!(
                        "The event is {}; this step needs it to be {}.",
                        event.status,
                        from.join(" or ")
                    ),
                    format!(
                        "Kegiatan berstatus {}; langkah ini memerlukan status {}.",
                        event.status,
                        from.join(" atau ")
                    ),
                )));
            }
            let updated = repo::find(c, &event.id)?.ok_or(AppError::NotFound)?;
            audit_event(
                c,
                &user.id,
                &updated,
                action,
                Some(serde_json::json!({ "from": event.status, "to": to })),
            )?;
            Ok(updated)
        })
        .await
}

/// Who may change an event's staff hours: supervisors and admins until the event is
/// approved, its creator while it is open or returned.
fn check_staff_editor(user: &AuthUser, event: &Event) -> Result<(), AppError> {
    let status = EventStatus::from_db(&event.status)?;
    if status == EventStatus::Approved {
        return Err(approved_frozen());
    }
    if user.role.is_supervisor() {
        return Ok(());
    }
    if event.created_by != user.id {
        return Err(not_creator());
    }
    if !status.is_editable() {
        return Err(not_editable());
    }
    Ok(())
}

/// Sets a staff member's hours at an event.
pub async fn put_staff(
    state: &AppState,
    user: &AuthUser,
    event_id: String,
    staff_id: String,
    hours: Option<f64>,
) -> Result<StaffRow, AppError> {
    let event_id = path_id(&event_id)?;
    let staff_id = path_id(&staff_id)?;
    let hours = match hours {
        Some(h) => h,
        None => return Err(AppError::Validation(vec![FieldError::required("hours")])),
    };
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (event, office) = in_scope_locked(c, &user.scope(), &event_id)?;
            check_staff_editor(&user, &event)?;
            let days = local_days(office.tz(), event.starts_at, event.ends_at);
            let max = 24.0 * days as f64;
            let mut v = Validator::new();
            if !(hours > 0.0 && hours <= max) {
                v.push(FieldError::new(
                    "hours",
                    "out_of_range",
                    Msg::new(
                        format!("Must be more than 0 and at most {max} (24 for each of the event's {days} day(s))."),
                        format!("Harus lebih dari 0 dan paling banyak {max} (24 untuk setiap {days} hari kegiatan)."),
                    ),
                ));
            }
            if repo::user_office(c, &staff_id)?.as_deref() != Some(event.office_id.as_str()) {
                v.push(FieldError::new(
                    "user_id",
                    "not_office_staff",
                    Msg::new(
                        "The user must be staff of the event's office.",
                        "Pengguna harus petugas kantor penyelenggara kegiatan.",
                    ),
                ));
            }
            v.finish()?;
            let now = crate::db::now();
            repo::upsert_staff(c, &event.id, &staff_id, hours, now)?;
            repo::touch(c, &event.id, now)?;
            audit_event(
                c,
                &user.id,
                &event,
                "event_staff_set",
                Some(serde_json::json!({ "user_id": staff_id, "hours": hours })),
            )?;
            repo::staff_of(c, std::slice::from_ref(&event.id))?
                .into_iter()
                .find(|s| s.user_id == staff_id)
                .ok_or(AppError::NotFound)
        })
        .await
}

/// Removes a staff member from an event (404 when they were not on it).
pub async fn delete_staff(
    state: &AppState,
    user: &AuthUser,
    event_id: String,
    staff_id: String,
) -> Result<(), AppError> {
    let event_id = path_id(&event_id)?;
    let staff_id = path_id(&staff_id)?;
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let (event, _) = in_scope_locked(c, &user.scope(), &event_id)?;
            check_staff_editor(&user, &event)?;
            if !repo::delete_staff(c, &event.id, &staff_id)? {
                return Err(AppError::NotFound);
            }
            let now = crate::db::now();
            repo::touch(c, &event.id, now)?;
            audit_event(
                c,
                &user.id,
                &event,
                "event_staff_removed",
                Some(serde_json::json!({ "user_id": staff_id })),
            )
        })
        .await
}

pub async fn list_staff(
    state: &AppState,
    user: &AuthUser,
    event_id: String,
) -> Result<Vec<StaffRow>, AppError> {
    let event_id = path_id(&event_id)?;
    let scope = user.scope();
    state
        .db
        .read(move |c| {
            let (event, _) = in_scope(c, &scope, &event_id)?;
            repo::staff_of(c, &[event.id])
        })
        .await
}
