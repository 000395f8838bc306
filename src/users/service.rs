//! User use cases. Scope first (another office's user answers 404), then role (403), then
//! the fields (422). Only admins write, inside their scope and never above their own role;
//! nobody changes their own role or active flag. A password change or a deactivation bumps
//! `auth_epoch` and revokes every refresh token in the same transaction, so every token of
//! the account stops on the very next request.

use serde_json::json;

use super::dto::{CreateUserRequest, ListUsersQuery, UpdateUserRequest, UserResponse};
use super::repo::{self, User, UserFilter};
use crate::audit::{self, AuditEvent};
use crate::auth::{self, AuthUser};
use crate::db::DbConn;
use crate::domain::parse_id;
use crate::domain::{required_text, NewPassword, Role, Username};
use crate::error::{AppError, AppResult, FieldError, Msg, Validator};
use crate::pagination::{self, Page};
use crate::state::AppState;

const FULL_NAME_MAX: usize = 200;

fn username_taken() -> AppError {
    AppError::Conflict(Msg::new(
        "This username is already taken (usernames ignore case).",
        "Nama pengguna ini sudah dipakai (huruf besar/kecil tidak dibedakan).",
    ))
}

fn above_own_role() -> AppError {
    AppError::Forbidden(Msg::new(
        "You cannot grant a role above your own.",
        "Anda tidak dapat memberikan peran di atas peran Anda sendiri.",
    ))
}

fn missing() -> AppError {
    AppError::internal(anyhow::anyhow!("validated field missing"))
}

/// The user, or 404 when missing or in an office outside the caller's scope.
fn find_in_scope(c: &mut DbConn, caller: &AuthUser, id: &str) -> AppResult<User> {
    let user = repo::find(c, id)?.ok_or(AppError::NotFound)?;
    let office = crate::offices::repo::find(c, &user.office_id)?.ok_or(AppError::NotFound)?;
    if caller.scope().contains(&office) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn create(
    state: &AppState,
    caller: &AuthUser,
    req: CreateUserRequest,
    addr: String,
) -> AppResult<User> {
    caller.require(Role::Admin)?;
    let mut v = Validator::new();
    let mut required = |field: &str, value: Option<&str>| match value {
        Some(s) if !s.trim().is_empty() => Some(s.to_string()),
        _ => {
            v.push(FieldError::required(field));
            None
        }
    };
    let username = required("username", req.username.as_deref());
    let full_name = required("full_name", req.full_name.as_deref());
    // A password is never trimmed: its spaces are the user's.
    let password = required("password", req.password.as_deref());
    let role = required("role", req.role.as_deref());
    let office_id = required("office_id", req.office_id.as_deref());
    let username = username.and_then(|s| v.check(Username::parse("username", &s)));
    let full_name = full_name.and_then(|s| v.check(required_text("full_name", &s, FULL_NAME_MAX)));
    let password = password.and_then(|s| v.check(NewPassword::parse("password", &s)));
    let role = role.and_then(|s| v.check(Role::parse("role", s.trim())));
    let office_id = office_id.and_then(|s| v.check(parse_id("office_id", &s)));
    v.finish()?;
    let (Some(username), Some(full_name), Some(password), Some(role), Some(office_id)) =
        (username, full_name, password, role, office_id)
    else {
        return Err(missing());
    };
    if role.rank() > caller.role.rank() {
        return Err(above_own_role());
    }

    // Cheap refusals first, so no hash is spent on a request that cannot succeed.
    let (check_caller, check_office, check_name) =
        (caller.clone(), office_id.clone(), username.key());
    state
        .db
        .read(move |c| {
            check_caller.scope().office(c, &check_office)?;
            match repo::find_by_username(c, &check_name)? {
                Some(_) => Err(username_taken()),
                None => Ok(()),
            }
        })
        .await?;
    let hash = state.passwords.hash(password.expose().to_string()).await?;

    let caller = caller.clone();
    state
        .db
        .write(move |c| {
            let office = caller.scope().office(c, &office_id)?;
            if repo::find_by_username(c, &username.key())?.is_some() {
                return Err(username_taken());
            }
            let now = crate::db::now();
            let user = User {
                id: uuid::Uuid::new_v4().to_string(),
                username: username.as_str().to_string(),
                username_key: username.key(),
                full_name,
                password_hash: hash,
                role: role.as_str().to_string(),
                office_id: office.id.clone(),
                active: true,
                auth_epoch: 0,
                created_at: now,
                updated_at: now,
            };
            repo::insert(c, &user)?;
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&caller.id),
                    office_id: Some(&office.id),
                    action: "user_created",
                    subject_type: "user",
                    subject_id: Some(&user.id),
                    detail: Some(json!({
                        "username": user.username,
                        "full_name": user.full_name,
                        "role": user.role,
                        "office_id": user.office_id,
                    })),
                    client_addr: Some(&addr),
                },
            )?;
            Ok(user)
        })
        .await
}

/// Anyone may read their own account; other accounts need a supervisor or an admin.
pub async fn get(state: &AppState, caller: &AuthUser, id: String) -> AppResult<User> {
    let caller = caller.clone();
    state
        .db
        .read(move |c| {
            let user = find_in_scope(c, &caller, &id)?;
            if user.id != caller.id {
                caller.require(Role::Supervisor)?;
            }
            Ok(user)
        })
        .await
}

pub async fn list(
    state: &AppState,
    caller: &AuthUser,
    q: ListUsersQuery,
) -> AppResult<Page<UserResponse>> {
    caller.require(Role::Supervisor)?;
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(q.limit));
    let cursor = v.check(pagination::decode_cursor(q.cursor.as_deref(), 1));
    let role = match q.role.as_deref() {
        Some(r) => v.check(Role::parse("role", r)).map(Some),
        None => Some(None),
    };
    let office_id = match q.office_id.as_deref() {
        Some(o) => v.check(parse_id("office_id", o)).map(Some),
        None => Some(None),
    };
    v.finish()?;
    let (Some(limit), Some(cursor), Some(role), Some(office_id)) = (limit, cursor, role, office_id)
    else {
        return Err(missing());
    };
    let scope = caller.scope();
    let active = q.active;
    let rows = state
        .db
        .read(move |c| {
            if let Some(o) = &office_id {
                scope.office(c, o)?;
            }
            repo::list(
                c,
                UserFilter {
                    scope_pattern: scope.path_pattern(),
                    office_id,
                    role: role.map(|r| r.as_str().to_string()),
                    active,
                    after_key: cursor.and_then(|k| k.into_iter().next()),
                    limit,
                },
            )
        })
        .await?;
    let items = rows.into_iter().map(UserResponse::from).collect();
    Ok(Page::from_rows(items, limit, |u: &UserResponse| {
        vec![u.username.to_ascii_lowercase()]
    }))
}

/// The validated changes of a PATCH.
struct Changes {
    role: Option<Role>,
    full_name: Option<String>,
    active: Option<bool>,
    password: Option<NewPassword>,
}

fn validate(req: UpdateUserRequest) -> AppResult<Changes> {
    let mut v = Validator::new();
    let role = req
        .role
        .as_deref()
        .and_then(|r| v.check(Role::parse("role", r.trim())));
    let full_name = req
        .full_name
        .as_deref()
        .and_then(|s| v.check(required_text("full_name", s, FULL_NAME_MAX)));
    let password = req
        .password
        .as_deref()
        .and_then(|s| v.check(NewPassword::parse("password", s)));
    v.finish()?;
    Ok(Changes {
        role,
        full_name,
        active: req.active,
        password,
    })
}

/// The target in scope (404), and the caller allowed to touch it (403): themselves, or an
/// admin whose role is not below the target's.
fn authorize_target(c: &mut DbConn, caller: &AuthUser, id: &str) -> AppResult<User> {
    let target = find_in_scope(c, caller, id)?;
    if target.id != caller.id {
        caller.require(Role::Admin)?;
        if Role::from_db(&target.role)?.rank() > caller.role.rank() {
            return Err(AppError::Forbidden(Msg::new(
                "You cannot change an account whose role is above your own.",
                "Anda tidak dapat mengubah akun dengan peran di atas peran Anda.",
            )));
        }
    }
    Ok(target)
}

/// Role and active rules that depend on the values asked for.
fn authorize_changes(caller: &AuthUser, target: &User, ch: &Changes) -> AppResult<()> {
    let own = target.id == caller.id;
    if let Some(role) = ch.role.filter(|r| r.as_str() != target.role) {
        if own {
            return Err(AppError::Forbidden(Msg::new(
                "Nobody can change their own role.",
                "Tidak seorang pun dapat mengubah perannya sendiri.",
            )));
        }
        if role.rank() > caller.role.rank() {
            return Err(above_own_role());
        }
    }
    if own && ch.active.is_some_and(|a| a != target.active) {
        return Err(AppError::Forbidden(Msg::new(
            "Nobody can deactivate or reactivate their own account.",
            "Tidak seorang pun dapat menonaktifkan atau mengaktifkan akunnya sendiri.",
        )));
    }
    Ok(())
}

pub async fn update(
    state: &AppState,
    caller: &AuthUser,
    id: String,
    req: UpdateUserRequest,
    addr: String,
) -> AppResult<User> {
    let (c1, id1) = (caller.clone(), id.clone());
    let target = state
        .db
        .read(move |c| authorize_target(c, &c1, &id1))
        .await?;
    let changes = validate(req)?;
    authorize_changes(caller, &target, &changes)?;
    let new_hash = match &changes.password {
        Some(p) => Some(state.passwords.hash(p.expose().to_string()).await?),
        None => None,
    };

    let caller = caller.clone();
    state
        .db
        .write(move |c| {
            // Checked again inside the transaction: the account may have changed meanwhile.
            let mut user = authorize_target(c, &caller, &id)?;
            authorize_changes(&caller, &user, &changes)?;
            let mut diff = serde_json::Map::new();
            let mut revoke = false;
            if let Some(role) = changes.role.filter(|r| r.as_str() != user.role) {
                diff.insert("role".into(), json!({ "from": user.role, "to": role }));
                user.role = role.as_str().to_string();
            }
            if let Some(name) = changes.full_name.filter(|n| *n != user.full_name) {
                diff.insert(
                    "full_name".into(),
                    json!({ "from": user.full_name, "to": name }),
                );
                user.full_name = name;
            }
            if let Some(active) = changes.active.filter(|a| *a != user.active) {
                diff.insert(
                    "active".into(),
                    json!({ "from": user.active, "to": active }),
                );
                user.active = active;
                revoke |= !active;
            }
            if let Some(hash) = new_hash {
                diff.insert("password".into(), json!("changed"));
                user.password_hash = hash;
                revoke = true;
            }
            if diff.is_empty() {
                return Ok(user);
            }
            save_changes(c, user, diff, revoke, Some(&caller.id), Some(&addr), None)
        })
        .await
}

/// Writes a user's changes and their audit entry. A revoking change (password, deactivation)
/// bumps `auth_epoch`, which access tokens and web sessions carry, and revokes every refresh
/// token, in the caller's transaction: every token of the account stops on the next request.
fn save_changes(
    c: &mut DbConn,
    mut user: User,
    diff: serde_json::Map<String, serde_json::Value>,
    revoke: bool,
    actor_id: Option<&str>,
    addr: Option<&str>,
    via: Option<&str>,
) -> AppResult<User> {
    if revoke {
        user.auth_epoch += 1;
        auth::service::revoke_all_for_user(c, &user.id)?;
    }
    user.updated_at = crate::db::now();
    repo::update(c, &user)?;
    let mut detail = json!({ "changes": diff, "tokens_revoked": revoke });
    if let Some(via) = via {
        detail["via"] = json!(via);
    }
    audit::record(
        c,
        AuditEvent {
            actor_id,
            office_id: Some(&user.office_id),
            action: "user_updated",
            subject_type: "user",
            subject_id: Some(&user.id),
            detail: Some(detail),
            client_addr: addr,
        },
    )?;
    Ok(user)
}

/// The operator's password reset (`jemput users reset-password`), run on the database with
/// or without a server: the same change as a PATCH with a new password (tokens and sessions
/// revoked, audited), and the username's login lock lifted so the owner gets in at once.
/// `hash` is the new password's hash; an unknown username is `NotFound`.
pub fn reset_password(c: &mut DbConn, username: &str, hash: String) -> AppResult<User> {
    let mut user = repo::find_by_username(c, username)?.ok_or(AppError::NotFound)?;
    user.password_hash = hash;
    let mut diff = serde_json::Map::new();
    diff.insert("password".into(), json!("changed"));
    let user = save_changes(
        c,
        user,
        diff,
        true,
        None,
        None,
        Some("jemput users reset-password"),
    )?;
    auth::throttle::clear(c, &auth::throttle::username_key(&user.username))?;
    Ok(user)
}
