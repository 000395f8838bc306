//! User rows and queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::users;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub username_key: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: String,
    pub office_id: String,
    pub active: bool,
    pub auth_epoch: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, user: &User) -> Result<(), AppError> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<User>, AppError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> Result<Option<User>, AppError> {
    Ok(users::table
        .filter(users::username_key.eq(username.trim().to_ascii_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn admin_exists(conn: &mut DbConn) -> Result<bool, AppError> {
    let n: i64 = users::table
        .filter(users::role.eq("admin"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Filters of a user listing; the scope pattern is always applied.
pub struct UserFilter {
    pub scope_pattern: String,
    pub office_id: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// `username_key` of the last user of the previous page.
    pub after_key: Option<String>,
    pub limit: i64,
}

/// Up to `limit + 1` users of offices in scope, by username (case-insensitive, unique).
pub fn list(conn: &mut DbConn, f: UserFilter) -> Result<Vec<User>, AppError> {
    let mut q = users::table
        .filter(users::office_id.eq_any(crate::auth::extractor::scope_office_ids(f.scope_pattern)))
        .select(User::as_select())
        .order(users::username_key.asc())
        .limit(f.limit + 1)
        .into_boxed();
    if let Some(office) = f.office_id {
        q = q.filter(users::office_id.eq(office));
    }
    if let Some(role) = f.role {
        q = q.filter(users::role.eq(role));
    }
    if let Some(active) = f.active {
        q = q.filter(users::active.eq(active));
    }
    if let Some(after) = f.after_key {
        q = q.filter(users::username_key.gt(after));
    }
    Ok(q.load(conn)?)
}

/// Writes the fields an update may change.
pub fn update(conn: &mut DbConn, user: &User) -> Result<(), AppError> {
    diesel::update(users::table.find(&user.id))
        .set((
            users::full_name.eq(&user.full_name),
            users::role.eq(&user.role),
            users::active.eq(user.active),
            users::password_hash.eq(&user.password_hash),
            users::auth_epoch.eq(user.auth_epoch),
            users::updated_at.eq(user.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}
