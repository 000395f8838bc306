//! Target rows and queries.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::targets;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = targets)]
pub struct Target {
    pub office_id: String,
    pub year: i32,
    pub eligible_population: i64,
    pub target_percent: f64,
    pub baseline_activations: i64,
    pub baseline_date: Option<NaiveDate>,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, office_id: &str, year: i32) -> Result<Option<Target>, AppError> {
    Ok(targets::table
        .find((office_id, year))
        .select(Target::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts or replaces the office's target for the year.
pub fn upsert(conn: &mut DbConn, t: &Target) -> Result<(), AppError> {
    crate::with_conn!(conn, |c| diesel::insert_into(targets::table)
        .values(t)
        .on_conflict((targets::office_id, targets::year))
        .do_update()
        .set((
            targets::eligible_population.eq(t.eligible_population),
            targets::target_percent.eq(t.target_percent),
            targets::baseline_activations.eq(t.baseline_activations),
            targets::baseline_date.eq(t.baseline_date),
            targets::updated_at.eq(t.updated_at),
        ))
        .execute(c))?;
    Ok(())
}

/// Up to `limit + 1` of an office's targets, by year, after `after_year`.
pub fn list(
    conn: &mut DbConn,
    office_id: &str,
    after_year: Option<i32>,
    limit: i64,
) -> Result<Vec<Target>, AppError> {
    let mut q = targets::table
        .filter(targets::office_id.eq(office_id))
        .select(Target::as_select())
        .order(targets::year.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after_year {
        q = q.filter(targets::year.gt(after));
    }
    Ok(q.load(conn)?)
}
