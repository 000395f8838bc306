//! The daily, weekly or monthly series of counted activations and failures.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::super::dto::*;
use super::super::repo;
use super::period::*;
use crate::auth::AuthUser;
use crate::error::{AppError, FieldError, Validator};
use crate::state::AppState;

pub async fn daily(
    state: &AppState,
    user: AuthUser,
    q: DailyQuery,
) -> Result<DailyReport, AppError> {
    let mut v = Validator::new();
    let (from, to) = parse_period(&mut v, q.from.as_deref(), q.to.as_deref());
    let bucket = q.bucket.clone().unwrap_or_else(|| "day".into());
    if !["day", "week", "month"].contains(&bucket.as_str()) {
        v.push(FieldError::one_of("bucket", &["day", "week", "month"]));
    }
    v.finish()?;
    read_period(
        state,
        user,
        q.office_id.clone(),
        from,
        to,
        move |conn, office, from, to| {
            let rows = repo::daily(conn, &office.id, from, to)?;
            let mut buckets: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
            let mut day = from;
            while day <= to {
                buckets.entry(bucket_start(day, &bucket)).or_default();
                day += Duration::days(1);
            }
            for (d, a, f) in rows {
                let e = buckets.entry(bucket_start(d, &bucket)).or_default();
                e.0 += a;
                e.1 += f;
            }
            Ok(DailyReport {
                office_id: office.id,
                from,
                to,
                bucket,
                days: buckets
                    .into_iter()
                    .map(|(date, (activated, failed))| DayRow {
                        date,
                        activated,
                        failed,
                    })
                    .collect(),
            })
        },
    )
    .await
}
