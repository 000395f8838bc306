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
