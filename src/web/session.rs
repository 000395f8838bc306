//! Server-side sign-in sessions of the web app, kept in the `web_sessions` table on either
//! backend so they can be listed and revoked. The cookie holds a random token; the table
//! holds only its SHA-256. A session ends after [`IDLE`] without a request, [`ABSOLUTE`]
//! after sign-in, at sign-out, and as soon as its user is deactivated or their password
//! changes (the user's `auth_epoch` moved).
//!
//! actix-session was considered: its cookie settings are fixed per middleware, while the
//! cookie here must be `Secure` (and `__Host-` named) exactly when the request came over
//! TLS, and the session must be checked against the user row on every request anyway.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpMessage, HttpRequest, HttpResponseBuilder};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::domain::Role;
use crate::error::AppError;
use crate::offices::repo::Office;
use crate::schema::{offices, users, web_sessions as ws};
use crate::state::AppState;
use crate::users::repo::User;

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, so reading pages costs no write each time.
const TOUCH_EVERY: Duration = Duration::seconds(60);

const COOKIE_TLS: &str = "__Host-jemput_session";
const COOKIE_PLAIN: &str = "jemput_session";

/// A signed-in caller of the web app.
#[derive(Clone, Debug)]
pub struct WebSession {
    /// The stored id (the token's hash).
    pub id: String,
    pub user: AuthUser,
    pub csrf: String,
}

/// Whether the request came over TLS: jemput's own listener, or a proxy in front that the
/// operator trusts (`JEMPUT_TRUST_PROXY`) saying `X-Forwarded-Proto: https`.
pub fn is_tls(req: &HttpRequest) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let trusted = req
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|s| s.settings.trust_proxy);
    trusted
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// `__Host-` names need `Secure`, which browsers refuse on plain http: the prefix only with TLS.
pub fn cookie_name(req: &HttpRequest) -> &'static str {
    if is_tls(req) {
        COOKIE_TLS
    } else {
        COOKIE_PLAIN
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `user` (inside the sign-in transaction); returns the cookie's token.
/// Every sign-in gets a new token, so a token planted before sign-in is worthless; the
/// session the browser presented before (`previous`), if any, ends.
pub fn open(conn: &mut DbConn, user: &User, previous: Option<&str>) -> Result<String, AppError> {
    let now = crate::db::now();
    if let Some(old) = previous {
        diesel::delete(ws::table.filter(ws::id.eq(hash(old)))).execute(conn)?;
    }
    // Sessions that can no longer be used are dropped now and then, here.
    diesel::delete(
        ws::table.filter(
            ws::last_seen_at
                .lt(now - IDLE)
                .or(ws::created_at.lt(now - ABSOLUTE)),
        ),
    )
    .execute(conn)?;
    let token = random_token();
    diesel::insert_into(ws::table)
        .values((
            ws::id.eq(hash(&token)),
            ws::user_id.eq(&user.id),
            ws::auth_epoch.eq(user.auth_epoch),
            ws::csrf_token.eq(random_token()),
            ws::created_at.eq(now),
            ws::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The cookie carrying `token`: HttpOnly, SameSite=Strict, Secure over TLS, no Max-Age (the
/// server decides when it ends).
pub fn cookie(req: &HttpRequest, token: String) -> Cookie<'static> {
    Cookie::build(cookie_name(req), token)
        .path("/")
        .http_only(true)
        .secure(is_tls(req))
        .same_site(SameSite::Strict)
        .finish()
}

/// Tells the browser to forget the session cookie.
pub fn clear_cookie(req: &HttpRequest, res: &mut HttpResponseBuilder) {
    let mut c = cookie(req, String::new());
    c.make_removal();
    res.cookie(c);
}

/// The session token the browser sent, if any.
pub fn presented(req: &HttpRequest) -> Option<String> {
    req.cookie(cookie_name(req))
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

type Row = (String, String, i32, String, NaiveDateTime, NaiveDateTime);

/// The caller's session, or `None` without a valid one (no cookie, unknown, expired,
/// deactivated user, password changed since sign-in).
pub async fn current(req: &HttpRequest, state: &AppState) -> Result<Option<WebSession>, AppError> {
    let Some(token) = presented(req) else {
        return Ok(None);
    };
    let id = hash(&token);
    let lookup = id.clone();
    let found = state
        .db
        .read(move |c| {
            ws::table
                .inner_join(users::table.inner_join(offices::table))
                .filter(ws::id.eq(&lookup))
                .select((
                    (
                        ws::id,
                        ws::user_id,
                        ws::auth_epoch,
                        ws::csrf_token,
                        ws::created_at,
                        ws::last_seen_at,
                    ),
                    User::as_select(),
                    Office::as_select(),
                ))
                .first::<(Row, User, Office)>(c)
                .optional()
                .map_err(AppError::from)
        })
        .await?;
    let Some(((_, _, epoch, csrf, created_at, last_seen_at), user, office)) = found else {
        return Ok(None);
    };
    let now = crate::db::now();
    let expired = last_seen_at + IDLE <= now || created_at + ABSOLUTE <= now;
    if expired || !user.active || user.auth_epoch != epoch {
        let gone = id.clone();
        state
            .db
            .write(move |c| {
                diesel::delete(ws::table.filter(ws::id.eq(&gone))).execute(c)?;
                Ok(())
            })
            .await?;
        return Ok(None);
    }
    if last_seen_at + TOUCH_EVERY <= now {
        let seen = id.clone();
        state
            .db
            .write(move |c| {
                diesel::update(ws::table.filter(ws::id.eq(&seen)))
                    .set(ws::last_seen_at.eq(now))
                    .execute(c)?;
                Ok(())
            })
            .await?;
    }
    // The request's log line names the user (see `crate::telemetry::RequestSpan`).
    if let Some(span) = req.extensions().get::<tracing_actix_web::RootSpan>() {
        span.record("user_id", user.id.as_str());
    }
    Ok(Some(WebSession {
        id,
        csrf,
        user: AuthUser {
            role: Role::from_db(&user.role)?,
            id: user.id,
            username: user.username,
            full_name: user.full_name,
            office,
        },
    }))
}

/// Ends a session (sign-out).
pub async fn close(state: &AppState, session: &WebSession) -> Result<(), AppError> {
    let id = session.id.clone();
    let user_id = session.user.id.clone();
    let office_id = session.user.office.id.clone();
    state
        .db
        .write(move |c| {
            diesel::delete(ws::table.filter(ws::id.eq(&id))).execute(c)?;
            crate::audit::record(
                c,
                crate::audit::AuditEvent {
                    actor_id: Some(&user_id),
                    office_id: Some(&office_id),
                    action: "logout",
                    subject_type: "user",
                    subject_id: Some(&user_id),
                    detail: Some(serde_json::json!({ "via": "web" })),
                    client_addr: None,
                },
            )
        })
        .await
}
