//! Response and query of the audit log route.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditQuery {
    /// e.g. `login`, `login_failed`, `refresh_token_reuse`, `logout`, `user_created`,
    /// `user_updated`, `office_created`, `office_updated`, `target_set`, `sync_conflict`.
    pub action: Option<String>,
    /// `user`, `office` or `target`.
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// Who did it.
    pub actor_id: Option<String>,
    /// Only entries of this office (exactly; not the offices below it).
    pub office_id: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Entries before this instant (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One audit entry: who (`actor_id`, `actor_username`; none for a failed login), when
/// (`at`), what (`action` on `subject_type`/`subject_id`, with `detail`).
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct AuditEntryResponse {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_username: Option<String>,
    /// The office whose scope the entry belongs to.
    pub office_id: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    /// What changed, e.g. `{"changes": {"role": {"from": "field_staff", "to": "supervisor"}}}`.
    /// Never a password or a token.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    pub client_addr: Option<String>,
}
