//! Reading the audit log: admins, their scope only, newest first.

use super::dto::{AuditEntryResponse, ListAuditQuery};
use super::repo::{self, AuditFilter};
use crate::auth::AuthUser;
use crate::domain::parse_id;
use crate::domain::{optional_text, Role};
use crate::error::{AppError, AppResult, FieldError, Validator};
use crate::pagination::{self, Page};
use crate::state::AppState;

fn instant(field: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDateTime>, FieldError> {
    match value.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Some(crate::db::truncate_micros(t.naive_utc())))
            .map_err(|_| {
                FieldError::invalid(
                    field,
                    "Must be an RFC 3339 timestamp, e.g. 2024-03-01T00:00:00+08:00.",
                    "Harus stempel waktu RFC 3339, mis. 2024-03-01T00:00:00+08:00.",
                )
            }),
    }
}

pub async fn list(
    state: &AppState,
    caller: &AuthUser,
    q: ListAuditQuery,
) -> AppResult<Page<AuditEntryResponse>> {
    caller.require(Role::Admin)?;
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(q.limit));
    let cursor = v.check(pagination::decode_cursor(q.cursor.as_deref(), 1));
    let from = v.check(instant("from", q.from.as_deref()));
    let to = v.check(instant("to", q.to.as_deref()));
    let office_id = match q.office_id.as_deref() {
        Some(o) => v.check(parse_id("office_id", o)).map(Some),
        None => Some(None),
    };
    let action = v.check(optional_text("action", q.action.as_deref(), 64));
    let subject_type = v.check(optional_text("subject_type", q.subject_type.as_deref(), 64));
    let subject_id = v.check(optional_text("subject_id", q.subject_id.as_deref(), 128));
    let actor_id = v.check(optional_text("actor_id", q.actor_id.as_deref(), 64));
    v.finish()?;
    let (
        Some(limit),
        Some(cursor),
        Some(from),
        Some(to),
        Some(office_id),
        Some(action),
        Some(subject_type),
        Some(subject_id),
        Some(actor_id),
    ) = (
        limit,
        cursor,
        from,
        to,
        office_id,
        action,
        subject_type,
        subject_id,
        actor_id,
    )
    else {
        return Err(AppError::internal(anyhow::anyhow!(
            "validated field missing"
        )));
    };
    let scope = caller.scope();
    let include_unowned = caller.office.parent_id.is_none();
    let items = state
        .db
        .read(move |c| {
            if let Some(o) = &office_id {
                scope.office(c, o)?;
            }
            let rows = repo::list(
                c,
                AuditFilter {
                    scope_pattern: scope.path_pattern(),
                    include_unowned,
                    action,
                    subject_type,
                    subject_id,
                    actor_id,
                    office_id,
                    from,
                    to,
                    before_id: cursor.and_then(|k| k.into_iter().next()),
                    limit,
                },
            )?;
            let mut actors: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
            actors.sort();
            actors.dedup();
            let names = repo::usernames(c, &actors)?;
            Ok(rows
                .into_iter()
                .map(|r| AuditEntryResponse {
                    actor_username: r.actor_id.as_ref().and_then(|a| names.get(a).cloned()),
                    id: r.id,
                    at: r.at.and_utc(),
                    actor_id: r.actor_id,
                    office_id: r.office_id,
                    action: r.action,
                    subject_type: r.subject_type,
                    subject_id: r.subject_id,
                    detail: r.detail.and_then(|d| serde_json::from_str(&d).ok()),
                    client_addr: r.client_addr,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Page::from_rows(items, limit, |e: &AuditEntryResponse| {
        vec![e.id.clone()]
    }))
}
