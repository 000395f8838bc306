//! The logged-in user, as an actix extractor, and the one place scope is decided.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::Role;
use crate::error::{AppError, Msg};
use crate::offices::repo::Office;
use crate::schema::offices;
use crate::state::AppState;
use crate::users::repo::User;

use super::tokens;

/// A caller with a valid access token whose account is active, whose password has not
/// changed since the token was issued and whose login has not ended (logout, or a reused
/// refresh token), checked against the database (or the short-lived cache of it).
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub office: Office,
}

impl AuthUser {
    pub fn office_id(&self) -> &str {
        &self.office.id
    }

    /// The caller's scope: their office and every office below it.
    pub fn scope(&self) -> Scope {
        Scope {
            path: self.office.path.clone(),
        }
    }

    /// 403 unless the caller's role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), AppError> {
        if self.role.rank() >= min.rank() {
            Ok(())
        } else {
            Err(AppError::Forbidden(Msg::new(
                format!("This needs the {min} role or higher."),
                format!("Tindakan ini memerlukan peran {min} atau lebih tinggi."),
            )))
        }
    }
}

/// The subtree of offices a caller may reach. Every read and write that names an office goes
/// through it; outside it, things answer 404 exactly as if they did not exist.
#[derive(Clone, Debug)]
pub struct Scope {
    path: String,
}

impl Scope {
    pub fn contains(&self, office: &Office) -> bool {
        office.path.starts_with(&self.path)
    }

    /// The office, or 404 when it does not exist or lies outside the scope.
    pub fn office(&self, conn: &mut DbConn, office_id: &str) -> Result<Office, AppError> {
        match crate::offices::repo::find(conn, office_id)? {
            Some(o) if self.contains(&o) => Ok(o),
            _ => Err(AppError::NotFound),
        }
    }

    /// The LIKE pattern matching the paths in scope.
    pub fn path_pattern(&self) -> String {
        format!("{}%", self.path)
    }

    /// Ids of every office in scope, as a subquery to filter any table's `office_id` with:
    /// `events::office_id.eq_any(user.scope().office_ids())`.
    pub fn office_ids(&self) -> scope_office_ids {
        scope_office_ids(self.path_pattern())
    }
}

/// Office paths hold only canonical UUIDs and slashes, so the pattern needs no LIKE escaping.
#[diesel::dsl::auto_type]
#[allow(non_camel_case_types)]
pub fn scope_office_ids(pattern: String) -> _ {
    offices::table
        .filter(offices::path.like(pattern))
        .select(offices::id)
}

/// Whether the LIKE pattern matches every office (the national office's scope). A list
/// filtered by [`scope_office_ids`] can then leave the filter out: with it, the database
/// gathers the scope's rows office by office and sorts them all instead of reading an index
/// in order (the nation's 200,000 events at 10M activations: 330 ms on SQLite).
pub fn scope_holds_every_office(conn: &mut DbConn, pattern: &str) -> Result<bool, AppError> {
    let outside: bool = diesel::select(diesel::dsl::exists(
        offices::table.filter(offices::path.not_like(pattern)),
    ))
    .get_result(conn)?;
    Ok(!outside)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<AuthUser, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        // The request's root span (`crate::telemetry::RequestSpan`): its log line names the user.
        let span = req
            .extensions()
            .get::<tracing_actix_web::RootSpan>()
            .cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            let kid = tokens::kid_of(&token).ok_or(AppError::Unauthorized)?;
            state.keys.refresh_if_needed(&state.db, Some(&kid)).await?;
            let claims = tokens::verify_access(&state.keys, &token)?;
            let generation = state.db.write_generation();
            let family = claims.fam.as_deref();
            let (user, office, revoked) = match state.users.get(&claims.sub, family, generation) {
                Some(found) => found,
                None => {
                    let user_id = claims.sub.clone();
                    let fam = claims.fam.clone();
                    let (user, office, revoked) = state
                        .db
                        .read(move |c| {
                            let Some((user, office)) = load_user_and_office(c, &user_id)? else {
                                return Ok(None);
                            };
                            let revoked = match fam.as_deref() {
                                Some(f) => super::service::family_revoked(c, f)?,
                                None => false,
                            };
                            Ok(Some((user, office, revoked)))
                        })
                        .await?
                        .ok_or(AppError::Unauthorized)?;
                    state.users.put(&user, &office, family, revoked, generation);
                    (user, office, revoked)
                }
            };
            if revoked || !user.active || user.auth_epoch != claims.epoch {
                return Err(AppError::Unauthorized);
            }
            if let Some(span) = span {
                span.record("user_id", user.id.as_str());
            }
            Ok(AuthUser {
                role: Role::from_db(&user.role)?,
                id: user.id,
                username: user.username,
                full_name: user.full_name,
                office,
            })
        })
    }
}

pub fn load_user_and_office(
    conn: &mut DbConn,
    user_id: &str,
) -> Result<Option<(User, Office)>, AppError> {
    use crate::schema::users;
    Ok(users::table
        .inner_join(offices::table)
        .filter(users::id.eq(user_id))
        .select((User::as_select(), Office::as_select()))
        .first(conn)
        .optional()?)
}
