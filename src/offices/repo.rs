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

pub fn find_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Office>, AppError> {
    Ok(offices::table
        .filter(offices::code.eq(code))
        .select(Office::as_select())
        .first(conn)
        .optional()?)
}

pub fn has_children(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let n: i64 = offices::table
        .filter(offices::parent_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Filters of an office listing; the scope pattern is always applied.
pub struct OfficeFilter {
    pub scope_pattern: String,
    pub parent_id: Option<String>,
    pub level: Option<String>,
    /// Code of the last office of the previous page.
    pub after_code: Option<String>,
    pub limit: i64,
}

/// Up to `limit + 1` offices in scope, by code (unique, so keyset paging is exact).
pub fn list(conn: &mut DbConn, f: OfficeFilter) -> Result<Vec<Office>, AppError> {
    let mut q = offices::table
        .filter(offices::path.like(f.scope_pattern))
        .select(Office::as_select())
        .order(offices::code.asc())
        .limit(f.limit + 1)
        .into_boxed();
    if let Some(parent) = f.parent_id {
        q = q.filter(offices::parent_id.eq(parent));
    }
    if let Some(level) = f.level {
        q = q.filter(offices::level.eq(level));
    }
    if let Some(after) = f.after_code {
        q = q.filter(offices::code.gt(after));
    }
    Ok(q.load(conn)?)
}

/// Writes the fields an update may change.
pub fn update(conn: &mut DbConn, office: &Office) -> Result<(), AppError> {
    diesel::update(offices::table.find(&office.id))
        .set((
            offices::code.eq(&office.code),
            offices::name.eq(&office.name),
            offices::timezone.eq(&office.timezone),
            offices::updated_at.eq(office.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// After a time-zone change, re-computes the stored local dates of the office's events
/// (from `starts_at`) and of their activations (from `recorded_at`), and the tallies that
/// group by them. Returns how many rows changed.
pub fn redate_in_zone(
    conn: &mut DbConn,
    office_id: &str,
    tz: chrono_tz::Tz,
) -> Result<usize, AppError> {
    use crate::schema::{activations, events};
    use chrono::{NaiveDate, TimeZone};
    use std::collections::BTreeMap;

    let local = |utc: NaiveDateTime| tz.from_utc_datetime(&utc).date_naive();
    let mut changed = 0;

    let evs: Vec<(String, NaiveDateTime, NaiveDate)> = events::table
        .filter(events::office_id.eq(office_id))
        .select((events::id, events::starts_at, events::local_date))
        .load(conn)?;
    let mut by_date: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for (id, at, old) in evs {
        let new = local(at);
        if new != old {
            by_date.entry(new).or_default().push(id);
        }
    }
    for (date, ids) in by_date {
        for chunk in ids.chunks(500) {
            changed += diesel::update(events::table.filter(events::id.eq_any(chunk)))
                .set(events::local_date.eq(date))
                .execute(conn)?;
        }
    }

    let acts: Vec<(String, NaiveDateTime, NaiveDate)> = activations::table
        .inner_join(events::table)
        .filter(events::office_id.eq(office_id))
        .select((
            activations::id,
            activations::recorded_at,
            activations::local_date,
        ))
        .load(conn)?;
    let mut by_date: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for (id, at, old) in acts {
        let new = local(at);
        if new != old {
            by_date.entry(new).or_default().push(id);
        }
    }
    for (date, ids) in by_date {
        for chunk in ids.chunks(500) {
            changed += diesel::update(activations::table.filter(activations::id.eq_any(chunk)))
                .set(activations::local_date.eq(date))
                .execute(conn)?;
        }
    }
    crate::tallies::recount_office_days(conn, office_id)?;
    Ok(changed)
}
