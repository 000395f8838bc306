//! `/audit`: the audit log, for admins, in their scope.

use actix_web::{get, web};

use super::dto::{AuditEntryResponse, ListAuditQuery};
use super::service;
use crate::auth::AuthUser;
use crate::error::{AppResult, Problem};
use crate::pagination::Page;
use crate::state::AppState;

/// The audit log of the caller's scope, newest first (admin).
///
/// Logins (successful and failed), logouts, refresh-token reuse, and every change to
/// users, offices and targets: who, when, what. Failed logins for unknown usernames belong
/// to no office and are shown to admins of the root office.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit",
    params(ListAuditQuery),
    responses(
        (status = 200, description = "One page of entries", body = Page<AuditEntryResponse>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "office_id missing or out of scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    query: crate::extract::Query<ListAuditQuery>,
) -> AppResult<web::Json<Page<AuditEntryResponse>>> {
    Ok(web::Json(
        service::list(&state, &user, query.into_inner()).await?,
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit);
}
