//! Office rows and queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::offices;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = offices)]
pub struct Office {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<String>,
    pub timezone: String,
    pub path: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Office {
    /// The office's time zone (validated when written).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Asia::Jakarta)
    }

    /// Is `other` this office or below it?
    pub fn contains(&self, other: &Office) -> bool {
        other.path.starts_with(&self.path)
    }
}

/// The path of a new office: its parent's path followed by its own id.
pub fn child_path(parent_path: Option<&str>, id: &str) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

pub fn insert(conn: &mut DbConn, office: &Office) -> Result<(), AppError> {
    diesel::insert_into(offices::table)
        .values(office)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Office>, AppError> {
    Ok(offices::table
        .find(id)
        .select(Office::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(offices::table.count().get_result(conn)?)
}

/// Every office whose path starts with `path` (an office and all below it), by code.
pub fn in_subtree(conn: &mut DbConn, path: &str) -> Result<Vec<Office>, AppError> {
    Ok(offices::table
        .filter(offices::path.like(format!("{path}%")))
        .order(offices::code.asc())
        .select(Office::as_select())
        .load(conn)?)
}
