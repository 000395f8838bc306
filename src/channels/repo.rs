//! Channel rows and queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{channels, offices};

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = channels)]
pub struct Channel {
    pub id: String,
    pub office_id: Option<String>,
    pub key: String,
    pub name: String,
    pub name_id: String,
    pub builtin: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The ids on an office path (`/<root>/.../<own>/`): the office and its ancestors.
pub fn path_ids(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Channels an office may use: the built-in ones and those of the office and its ancestors,
/// ordered by key (then id), after the keyset position `after` when given.
pub fn visible(
    conn: &mut DbConn,
    office_path: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Channel>, AppError> {
    let mut q = channels::table
        .filter(
            channels::builtin
                .eq(true)
                .or(channels::office_id.eq_any(path_ids(office_path))),
        )
        .select(Channel::as_select())
        .order((channels::key.asc(), channels::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((key, id)) = after {
        q = q.filter(
            channels::key.gt(key.to_string()).or(channels::key
                .eq(key.to_string())
                .and(channels::id.gt(id.to_string()))),
        );
    }
    Ok(q.load(conn)?)
}

/// Visible channels changed at or after `since` (all when `None`), for the phone's pull.
pub fn visible_changed_since(
    conn: &mut DbConn,
    office_path: &str,
    since: Option<NaiveDateTime>,
) -> Result<Vec<Channel>, AppError> {
    let mut q = channels::table
        .filter(
            channels::builtin
                .eq(true)
                .or(channels::office_id.eq_any(path_ids(office_path))),
        )
        .select(Channel::as_select())
        .order((channels::key.asc(), channels::id.asc()))
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(channels::updated_at.ge(since));
    }
    Ok(q.load(conn)?)
}

/// Is `key` a channel the office may use?
pub fn is_visible(conn: &mut DbConn, office_path: &str, key: &str) -> Result<bool, AppError> {
    let n: i64 = channels::table
        .filter(channels::key.eq(key))
        .filter(
            channels::builtin
                .eq(true)
                .or(channels::office_id.eq_any(path_ids(office_path))),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Is `key` already used by a channel the office sees, or by one of an office below it (a
/// new channel would then shadow theirs)?
pub fn key_taken(conn: &mut DbConn, office_path: &str, key: &str) -> Result<bool, AppError> {
    let below = offices::table
        .filter(offices::path.like(format!("{office_path}%")))
        .select(offices::id);
    let n: i64 = channels::table
        .filter(channels::key.eq(key))
        .filter(
            channels::builtin
                .eq(true)
                .or(channels::office_id.eq_any(path_ids(office_path)))
                .or(channels::office_id.nullable().eq_any(below.nullable())),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert(conn: &mut DbConn, channel: &Channel) -> Result<(), AppError> {
    diesel::insert_into(channels::table)
        .values(channel)
        .execute(conn)?;
    Ok(())
}
