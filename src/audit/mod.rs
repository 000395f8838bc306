//! The audit log: who did what, when, to which record. Written in the same transaction as
//! the change it describes. Admins read it at `GET /audit`.

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::audit_log;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<String>,
    pub office_id: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

/// What to record; `office_id` is the office whose scope may read the entry.
pub struct AuditEvent<'a> {
    pub actor_id: Option<&'a str>,
    pub office_id: Option<&'a str>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<&'a str>,
    pub detail: Option<serde_json::Value>,
    pub client_addr: Option<&'a str>,
}

pub fn record(conn: &mut DbConn, ev: AuditEvent<'_>) -> Result<(), AppError> {
    let entry = AuditEntry {
        id: uuid::Uuid::now_v7().to_string(),
        at: crate::db::now(),
        actor_id: ev.actor_id.map(str::to_string),
        office_id: ev.office_id.map(str::to_string),
        action: ev.action.to_string(),
        subject_type: ev.subject_type.to_string(),
        subject_id: ev.subject_id.map(str::to_string),
        detail: ev.detail.map(|d| d.to_string()),
        client_addr: ev.client_addr.map(str::to_string),
    };
    diesel::insert_into(audit_log::table)
        .values(&entry)
        .execute(conn)?;
    Ok(())
}
