//! Audit log queries.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AuditEntry;
use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{audit_log, users};

pub struct AuditFilter {
    pub scope_pattern: String,
    /// Entries tied to no office (a failed login with an unknown username) belong to the
    /// root office's scope.
    pub include_unowned: bool,
    pub action: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_id: Option<String>,
    pub office_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Id of the last entry of the previous page.
    pub before_id: Option<String>,
    pub limit: i64,
}

/// Up to `limit + 1` entries in scope, newest first (ids are UUIDv7: time-ordered).
pub fn list(conn: &mut DbConn, f: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    let in_scope = crate::auth::extractor::scope_office_ids(f.scope_pattern);
    let mut q = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(f.limit + 1)
        .into_boxed();
    q = if f.include_unowned {
        q.filter(
            audit_log::office_id
                .assume_not_null()
                .eq_any(in_scope)
                .or(audit_log::office_id.is_null()),
        )
    } else {
        q.filter(audit_log::office_id.assume_not_null().eq_any(in_scope))
    };
    if let Some(v) = f.action {
        q = q.filter(audit_log::action.eq(v));
    }
    if let Some(v) = f.subject_type {
        q = q.filter(audit_log::subject_type.eq(v));
    }
    if let Some(v) = f.subject_id {
        q = q.filter(audit_log::subject_id.eq(v));
    }
    if let Some(v) = f.actor_id {
        q = q.filter(audit_log::actor_id.eq(v));
    }
    if let Some(v) = f.office_id {
        q = q.filter(audit_log::office_id.eq(v));
    }
    if let Some(v) = f.from {
        q = q.filter(audit_log::at.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(audit_log::at.lt(v));
    }
    if let Some(v) = f.before_id {
        q = q.filter(audit_log::id.lt(v));
    }
    Ok(q.load(conn)?)
}

/// Usernames of the given user ids.
pub fn usernames(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
