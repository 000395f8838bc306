//! Area rows: loading the whole data set, and the lookups other features use (a name for a
//! code, the children of a region, whether a code lies inside a region).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::AreaLevel;
use crate::error::AppError;
use crate::schema::areas;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends for the ASCII names of the data set.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One administrative area.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = areas)]
#[diesel(treat_none_as_default_value = false)]
pub struct Area {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub name: String,
}

/// Rows per multi-row INSERT on SQLite: 4 bind parameters a row stays far below its 32,766
/// parameters a statement.
const INSERT_CHUNK: usize = 2_000;

/// Codes per `IN (...)` lookup (SQLite binds each code as a parameter).
const LOOKUP_CHUNK: usize = 1_000;

/// Replaces every area with `rows`, inside the caller's transaction: reloading the same data
/// leaves the table as it was, and a newer data set drops codes Kemendagri retired.
/// Returns the rows inserted.
pub fn replace_all(conn: &mut DbConn, rows: &[Area]) -> Result<usize, AppError> {
    diesel::delete(areas::table).execute(conn)?;
    // Bulk statements do not compile through the MultiConnection: one arm per backend.
    match conn {
        // Binary COPY: a third faster here than chunked multi-row INSERTs (1.3 s against
        // 2.0 s for the whole set), and no 65,535-parameter cap to chunk around.
        DbConn::Pg(c) => Ok(diesel::copy_from(areas::table)
            .from_insertable(rows)
            .execute(c)?),
        DbConn::Sqlite(c) => {
            let mut inserted = 0;
            for chunk in rows.chunks(INSERT_CHUNK) {
                inserted += diesel::insert_into(areas::table).values(chunk).execute(c)?;
            }
            Ok(inserted)
        }
    }
}

/// How many areas each level holds.
pub fn count_by_level(conn: &mut DbConn) -> Result<HashMap<AreaLevel, i64>, AppError> {
    let rows: Vec<(String, i64)> = areas::table
        .group_by(areas::level)
        .select((areas::level, diesel::dsl::count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(level, n)| Ok((AreaLevel::from_db(&level)?, n)))
        .collect()
}

/// The area with this code.
pub fn find(conn: &mut DbConn, code: &str) -> Result<Option<Area>, AppError> {
    Ok(areas::table
        .find(code)
        .select(Area::as_select())
        .first(conn)
        .optional()?)
}

/// The areas directly below `code`, by code (the provinces when `code` is `None`).
pub fn children(conn: &mut DbConn, code: Option<&str>) -> Result<Vec<Area>, AppError> {
    let query = areas::table.select(Area::as_select()).into_boxed();
    let query = match code {
        Some(code) => query.filter(areas::parent_code.eq(code)),
        None => query.filter(areas::parent_code.is_null()),
    };
    Ok(query.order(areas::code.asc()).load(conn)?)
}

/// Filters of [`list`]; every one given must hold.
#[derive(Clone, Debug, Default)]
pub struct AreaFilter {
    pub parent_code: Option<String>,
    pub level: Option<AreaLevel>,
    /// Part of the name, any case.
    pub name_contains: Option<String>,
}

/// Up to `limit` areas matching `filter` whose code sorts after `after`, by code.
pub fn list(
    conn: &mut DbConn,
    filter: &AreaFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Area>, AppError> {
    let mut query = areas::table.select(Area::as_select()).into_boxed();
    if let Some(parent) = &filter.parent_code {
        query = query.filter(areas::parent_code.eq(parent.clone()));
    }
    if let Some(level) = filter.level {
        query = query.filter(areas::level.eq(level.as_str()));
    }
    if let Some(part) = &filter.name_contains {
        query = query.filter(
            lower(areas::name)
                .like(format!("%{}%", escape_like(&part.to_lowercase())))
                .escape('\\'),
        );
    }
    if let Some(after) = after {
        query = query.filter(areas::code.gt(after.to_string()));
    }
    Ok(query.order(areas::code.asc()).limit(limit).load(conn)?)
}

/// `value` with LIKE's wildcards taken literally (escape character `\`).
fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The level of `area_code` when it is a known district or village inside `region`, else
/// `None`.
///
/// `region` is a region's Kemendagri code, with or without a final dot (`63`, `63.01`,
/// `63.01.`); `ID` or an empty string is the whole country (the national office's code). A
/// code inside a region extends the region's code by whole groups, so `63.10.01` is not inside
/// `63.1`. Use it to check that an event's or an activation's `area_code` lies in the office's
/// own region.
pub fn is_area_within(
    conn: &mut DbConn,
    area_code: &str,
    region: &str,
) -> Result<Option<AreaLevel>, AppError> {
    let region = region.trim().trim_end_matches('.');
    let inside = region.is_empty()
        || region == "ID"
        || area_code
            .strip_prefix(region)
            .is_some_and(|rest| rest.starts_with('.'));
    if !inside {
        return Ok(None);
    }
    let level: Option<String> = areas::table
        .find(area_code)
        .filter(areas::level.eq_any([AreaLevel::District.as_str(), AreaLevel::Village.as_str()]))
        .select(areas::level)
        .first(conn)
        .optional()?;
    level.map(|l| AreaLevel::from_db(&l)).transpose()
}

/// The codes among `codes` that are known districts or villages: the lookup of
/// [`is_area_within`] for a whole batch (the sync path), one query per 1,000 distinct codes.
/// Whether each lies inside a region is a matter of its code alone
/// ([`crate::domain::AreaCode::is_within`]).
pub fn known_localities<S: AsRef<str>>(
    conn: &mut DbConn,
    codes: &[S],
) -> Result<HashSet<String>, AppError> {
    let mut wanted: Vec<&str> = codes.iter().map(AsRef::as_ref).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut known = HashSet::with_capacity(wanted.len());
    for chunk in wanted.chunks(LOOKUP_CHUNK) {
        let rows: Vec<String> = areas::table
            .filter(areas::code.eq_any(chunk))
            .filter(
                areas::level.eq_any([AreaLevel::District.as_str(), AreaLevel::Village.as_str()]),
            )
            .select(areas::code)
            .load(conn)?;
        known.extend(rows);
    }
    Ok(known)
}

/// Every district and village inside `region` (an office's code: `ID` is the whole country),
/// by code, so each district comes right before its villages.
///
/// A province or regency walks down by `parent_code` (indexed: a regency's few hundred areas
/// in two lookups, independent of the database's collation); the country takes both levels
/// whole.
pub fn localities_within(conn: &mut DbConn, region: &str) -> Result<Vec<Area>, AppError> {
    let region = region.trim().trim_end_matches('.');
    let localities = [AreaLevel::District.as_str(), AreaLevel::Village.as_str()];
    if region.is_empty() || region == "ID" {
        return Ok(areas::table
            .filter(areas::level.eq_any(localities))
            .select(Area::as_select())
            .order(areas::code.asc())
            .load(conn)?);
    }
    let mut out: Vec<Area> = Vec::new();
    let mut parents: Vec<String> = vec![region.to_string()];
    while !parents.is_empty() {
        let mut next: Vec<Area> = Vec::new();
        for chunk in parents.chunks(LOOKUP_CHUNK) {
            next.extend(
                areas::table
                    .filter(areas::parent_code.eq_any(chunk))
                    .select(Area::as_select())
                    .load(conn)?,
            );
        }
        parents = next
            .iter()
            .filter(|a| a.level != AreaLevel::Village.as_str())
            .map(|a| a.code.clone())
            .collect();
        out.extend(
            next.into_iter()
                .filter(|a| localities.contains(&a.level.as_str())),
        );
    }
    out.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// The names of the known codes among `codes`, by code (unknown codes are left out), to show
/// names beside codes in lists and reports.
pub fn name_of<S: AsRef<str>>(
    conn: &mut DbConn,
    codes: &[S],
) -> Result<HashMap<String, String>, AppError> {
    let mut wanted: Vec<&str> = codes.iter().map(AsRef::as_ref).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut names = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(String, String)> = areas::table
            .filter(areas::code.eq_any(chunk))
            .select((areas::code, areas::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
