//! `/audit`: the audit log, for admins, in their scope.

use actix_web::{get, web};

use super::dto::{AuditEntryResponse, ListAuditQuery};
use super::service;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult};
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
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Unprocessable,
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
