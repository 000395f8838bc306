//! Login, refresh and logout: the token lifecycle, its throttling and its audit trail.

use chrono::Duration;
use diesel::prelude::*;
use secrecy::ExposeSecret;

use super::dto::MeResponse;
use super::{throttle, tokens};
use crate::audit::{self, AuditEvent};
use crate::db::DbConn;
use crate::domain::Role;
use crate::error::AppError;
use crate::schema::refresh_tokens as rt;
use crate::state::AppState;
use crate::users::repo::{self as users_repo, User};

pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user: MeResponse,
}

fn me(user: &User) -> Result<MeResponse, AppError> {
    Ok(MeResponse {
        id: user.id.clone(),
        username: user.username.clone(),
        full_name: user.full_name.clone(),
        role: Role::from_db(&user.role)?,
        office_id: user.office_id.clone(),
    })
}

/// A refresh token as stored: its row id (also the `jti` of the access token issued beside
/// it) and when it was made (that token's `iat`).
struct Stored {
    id: String,
    created_at: chrono::NaiveDateTime,
}

/// Stores the refresh token `token` in `family` (a new login starts a new family).
fn store_refresh(
    conn: &mut DbConn,
    state: &AppState,
    user_id: &str,
    family: &str,
    token: &str,
) -> Result<Stored, AppError> {
    let now = crate::db::now();
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(&id),
            rt::user_id.eq(user_id),
            rt::family_id.eq(family),
            rt::token_hash.eq(tokens::hash_refresh_token(token)),
            rt::created_at.eq(now),
            rt::expires_at.eq(now + Duration::seconds(state.settings.refresh_token_ttl as i64)),
        ))
        .execute(conn)?;
    Ok(Stored {
        id,
        created_at: now,
    })
}

fn issue(
    state: &AppState,
    user: &User,
    family: &str,
    refresh_token: String,
    stored: &Stored,
) -> Result<Issued, AppError> {
    let ttl = state.settings.access_token_ttl;
    Ok(Issued {
        access_token: tokens::issue_access(
            &state.keys,
            &tokens::AccessGrant {
                user_id: &user.id,
                role: &user.role,
                office_id: &user.office_id,
                epoch: user.auth_epoch,
                family,
                issued_at: stored.created_at.and_utc().timestamp(),
                jti: &stored.id,
                ttl_secs: ttl,
            },
        )?,
        refresh_token,
        expires_in: ttl,
        user: me(user)?,
    })
}

/// The longest username there can be (see `domain::Username`); a longer name is bounded
/// to it before it is looked up, counted or audited: a failed login stores what it was
/// given, and nobody may make us store megabytes without an account.
const USERNAME_MAX: usize = 64;
/// No password is longer (`domain::NewPassword` allows 256 characters); a longer one is
/// not worth hashing.
const PASSWORD_MAX_BYTES: usize = 1024;

pub async fn login(
    state: &AppState,
    username: String,
    password: String,
    addr: String,
) -> Result<Issued, AppError> {
    let st = state.clone();
    authenticate(state, username, password, addr, move |c, user| {
        let family = uuid::Uuid::new_v4().to_string();
        let refresh = tokens::new_refresh_token();
        let stored = store_refresh(c, &st, &user.id, &family, &refresh)?;
        issue(&st, user, &family, refresh, &stored)
    })
    .await
}

/// Checks a username and password under the login throttle and records the attempt in the
/// audit log. On success `on_success` runs in the same transaction as the audit entry (the
/// API issues tokens there, the web app opens a session), so both kinds of sign-in share one
/// set of accounts, limits and audit trail.
pub async fn authenticate<T, F>(
    state: &AppState,
    username: String,
    password: String,
    addr: String,
    on_success: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &User) -> Result<T, AppError> + Send + 'static,
{
    // A longer name is no account's: it is looked up as nobody, and stored bounded.
    let impossible = username.trim().chars().nth(USERNAME_MAX).is_some();
    let username: String = username.trim().chars().take(USERNAME_MAX).collect();
    // Still verified (against nothing that matches), so it takes as long as a wrong one.
    let password = if password.len() > PASSWORD_MAX_BYTES {
        String::new()
    } else {
        password
    };
    let user_key = throttle::username_key(&username);
    let addr_key = throttle::address_key(&addr);
    let (uk, ak) = (user_key.clone(), addr_key.clone());
    let lookup = username.clone();
    let user = state
        .db
        .read(move |c| {
            throttle::check(c, &[&uk, &ak], crate::db::now())?;
            if impossible {
                return Ok(None);
            }
            users_repo::find_by_username(c, &lookup)
        })
        .await?;
    let ok = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    match user {
        Some(user) if ok && user.active => {
            state
                .db
                .write(move |c| {
                    throttle::clear(c, &user_key)?;
                    audit::record(
                        c,
                        AuditEvent {
                            actor_id: Some(&user.id),
                            office_id: Some(&user.office_id),
                            action: "login",
                            subject_type: "user",
                            subject_id: Some(&user.id),
                            detail: None,
                            client_addr: Some(&addr),
                        },
                    )?;
                    on_success(c, &user)
                })
                .await
        }
        user => {
            state
                .db
                .write(move |c| {
                    let now = crate::db::now();
                    throttle::record_failure(c, &user_key, throttle::PER_USERNAME, now)?;
                    throttle::record_failure(c, &addr_key, throttle::PER_ADDRESS, now)?;
                    if rand::random::<u8>() < 4 {
                        throttle::prune(c, now)?;
                    }
                    audit::record(
                        c,
                        AuditEvent {
                            actor_id: None,
                            office_id: user.as_ref().map(|u| u.office_id.as_str()),
                            action: "login_failed",
                            subject_type: "user",
                            subject_id: user.as_ref().map(|u| u.id.as_str()),
                            detail: Some(serde_json::json!({ "username": username.trim() })),
                            client_addr: Some(&addr),
                        },
                    )
                })
                .await?;
            Err(AppError::bad_login())
        }
    }
}

enum RefreshOutcome {
    Issued(Issued),
    Rejected,
}

/// How long after its first use a spent refresh token still answers its successor (while
/// that successor is unused): a phone whose answer was lost in a village, or two tabs
/// refreshing at once, are not locked out.
pub const REFRESH_GRACE_SECS: i64 = 60;

/// Exchanges a refresh token for new tokens. A spent token presented again within the
/// grace window, while its successor is unused, answers that same successor pair; any
/// other reuse revokes its whole family (OAuth 2.0 Security BCP §4.14): whoever holds
/// either copy is logged out.
pub async fn refresh(
    state: &AppState,
    presented: String,
    addr: String,
) -> Result<Issued, AppError> {
    let st = state.clone();
    let outcome = state
        .db
        .write(move |c| {
            let hash = tokens::hash_refresh_token(&presented);
            let now = crate::db::now();
            let Some((id, user_id, family, expires_at)) = rt::table
                .filter(rt::token_hash.eq(&hash))
                .select((rt::id, rt::user_id, rt::family_id, rt::expires_at))
                .first::<(String, String, String, chrono::NaiveDateTime)>(c)
                .optional()?
            else {
                return Ok(RefreshOutcome::Rejected);
            };
            // Spend it atomically: of two concurrent uses, exactly one wins.
            let spent = diesel::update(
                rt::table
                    .filter(rt::id.eq(&id))
                    .filter(rt::used_at.is_null())
                    .filter(rt::revoked_at.is_null()),
            )
            .set(rt::used_at.eq(Some(now)))
            .execute(c)?;
            let user = users_repo::find(c, &user_id)?;
            let successor = tokens::successor_token(st.nik_key.expose_secret(), &presented);
            if spent == 0 {
                if let Some(user) = user.as_ref().filter(|u| u.active) {
                    if let Some(stored) = within_grace(c, &id, &family, &successor, now)? {
                        return Ok(RefreshOutcome::Issued(issue(
                            &st, user, &family, successor, &stored,
                        )?));
                    }
                }
                revoke_family(c, &family)?;
                audit::record(
                    c,
                    AuditEvent {
                        actor_id: None,
                        office_id: user.as_ref().map(|u| u.office_id.as_str()),
                        action: "refresh_token_reuse",
                        subject_type: "user",
                        subject_id: Some(&user_id),
                        detail: Some(serde_json::json!({ "family_id": family })),
                        client_addr: Some(&addr),
                    },
                )?;
                return Ok(RefreshOutcome::Rejected);
            }
            match user {
                Some(user) if user.active && expires_at > now => {
                    let stored = store_refresh(c, &st, &user.id, &family, &successor)?;
                    Ok(RefreshOutcome::Issued(issue(
                        &st, &user, &family, successor, &stored,
                    )?))
                }
                _ => Ok(RefreshOutcome::Rejected),
            }
        })
        .await?;
    match outcome {
        RefreshOutcome::Issued(issued) => Ok(issued),
        RefreshOutcome::Rejected => Err(AppError::bad_refresh_token()),
    }
}

/// The successor of the spent token `id`, when the token was first used at most
/// `REFRESH_GRACE_SECS` ago, is not revoked, and its successor is unused, unrevoked and
/// unexpired: then the same pair is answered again instead of a revocation.
fn within_grace(
    c: &mut DbConn,
    id: &str,
    family: &str,
    successor: &str,
    now: chrono::NaiveDateTime,
) -> Result<Option<Stored>, AppError> {
    let spent: Option<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)> = rt::table
        .filter(rt::id.eq(id))
        .select((rt::used_at, rt::revoked_at))
        .first(c)
        .optional()?;
    let Some((Some(used_at), None)) = spent else {
        return Ok(None);
    };
    if now - used_at > Duration::seconds(REFRESH_GRACE_SECS) {
        return Ok(None);
    }
    let next = rt::table
        .filter(rt::token_hash.eq(tokens::hash_refresh_token(successor)))
        .filter(rt::family_id.eq(family))
        .filter(rt::used_at.is_null())
        .filter(rt::revoked_at.is_null())
        .filter(rt::expires_at.gt(now))
        .select((rt::id, rt::created_at))
        .first::<(String, chrono::NaiveDateTime)>(c)
        .optional()?;
    Ok(next.map(|(id, created_at)| Stored { id, created_at }))
}

pub fn revoke_family(conn: &mut DbConn, family: &str) -> Result<(), AppError> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(Some(crate::db::now())))
    .execute(conn)?;
    Ok(())
}

/// Has the login `family` been ended (logout, or a reused refresh token)? Its access
/// tokens then stop working too.
pub fn family_revoked(conn: &mut DbConn, family: &str) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        rt::table
            .filter(rt::family_id.eq(family))
            .filter(rt::revoked_at.is_not_null()),
    ))
    .get_result(conn)?)
}

/// Revokes every refresh token of a user (deactivation, password change).
pub fn revoke_all_for_user(conn: &mut DbConn, user_id: &str) -> Result<(), AppError> {
    diesel::update(
        rt::table
            .filter(rt::user_id.eq(user_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(Some(crate::db::now())))
    .execute(conn)?;
    Ok(())
}

/// Logs out the login the refresh token belongs to, if it is the caller's.
pub async fn logout(
    state: &AppState,
    user_id: String,
    office_id: String,
    presented: String,
) -> Result<(), AppError> {
    state
        .db
        .write(move |c| {
            let hash = tokens::hash_refresh_token(&presented);
            let family: Option<String> = rt::table
                .filter(rt::token_hash.eq(&hash))
                .filter(rt::user_id.eq(&user_id))
                .select(rt::family_id)
                .first(c)
                .optional()?;
            if let Some(family) = family {
                revoke_family(c, &family)?;
                audit::record(
                    c,
                    AuditEvent {
                        actor_id: Some(&user_id),
                        office_id: Some(&office_id),
                        action: "logout",
                        subject_type: "user",
                        subject_id: Some(&user_id),
                        detail: None,
                        client_addr: None,
                    },
                )?;
            }
            Ok(())
        })
        .await
}
