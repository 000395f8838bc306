//! The incremental pull.
//!
//! Cursor semantics: a pass starts at a watermark W = server time − [`OVERLAP`] and returns
//! everything of the office whose `updated_at` is at or after the previous pass's watermark,
//! in (`updated_at`, `id`) order, a page at a time. The last page's cursor carries W as the
//! next `since`. Changes are stamped inside their transaction, possibly a moment before they
//! commit (or on another server's clock); starting the next pass [`OVERLAP`] early makes
//! such late commits show up then. The price: items may repeat, so clients upsert by id.

use chrono::NaiveDateTime;

use crate::auth::AuthUser;
use crate::channels::repo::{self as channels_repo, Channel};
use crate::error::{AppError, FieldError, Validator};
use crate::events::repo::{self as events_repo, Event, StaffRow};
use crate::pagination;
use crate::state::AppState;

/// How far each pass reaches back before the previous one's end.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);

/// One answer of the pull.
pub struct Changes {
    pub channels: Vec<Channel>,
    pub events: Vec<Event>,
    pub staff: Vec<StaffRow>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// The decoded cursor: the pass's watermark, its lower bound, and the keyset position
/// within it.
struct Cursor {
    watermark: Option<NaiveDateTime>,
    since: Option<NaiveDateTime>,
    after: Option<(NaiveDateTime, String)>,
}

fn micros(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.and_utc().timestamp_micros().to_string())
        .unwrap_or_default()
}

fn from_micros(s: &str) -> Result<Option<NaiveDateTime>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    let n: i64 = s.parse().map_err(|_| ())?;
    chrono::DateTime::from_timestamp_micros(n)
        .map(|t| Some(t.naive_utc()))
        .ok_or(())
}

fn decode(value: Option<&str>) -> Result<Cursor, FieldError> {
    let bad = pagination::invalid_cursor;
    let Some(parts) = pagination::decode_cursor(value, 4)? else {
        return Ok(Cursor {
            watermark: None,
            since: None,
            after: None,
        });
    };
    let watermark = from_micros(&parts[0]).map_err(|_| bad())?;
    let since = from_micros(&parts[1]).map_err(|_| bad())?;
    let after = match (
        from_micros(&parts[2]).map_err(|_| bad())?,
        parts[3].as_str(),
    ) {
        (Some(at), id) if !id.is_empty() => Some((at, id.to_string())),
        (None, "") => None,
        _ => return Err(bad()),
    };
    if after.is_some() && watermark.is_none() {
        return Err(bad());
    }
    Ok(Cursor {
        watermark,
        since,
        after,
    })
}

pub async fn changes(
    state: &AppState,
    user: &AuthUser,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<Changes, AppError> {
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(limit)).unwrap_or_default();
    let cursor = v.check(decode(cursor.as_deref()));
    v.finish()?;
    let Some(cursor) = cursor else {
        return Err(AppError::internal(anyhow::anyhow!("cursor lost")));
    };
    let office = user.office.clone();
    state
        .db
        .read(move |c| {
            // A new pass fixes its watermark before reading anything.
            let watermark = cursor
                .watermark
                .unwrap_or_else(|| crate::db::now() - OVERLAP);
            let channels = if cursor.after.is_none() {
                channels_repo::visible_changed_since(c, &office.path, cursor.since)?
            } else {
                Vec::new()
            };
            let mut events = events_repo::changed_in_office(
                c,
                &office.id,
                cursor.since,
                cursor.after.clone(),
                limit + 1,
            )?;
            let has_more = events.len() as i64 > limit;
            events.truncate(limit as usize);
            let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
            let staff = events_repo::staff_of(c, &ids)?;
            let next = match (has_more, events.last()) {
                (true, Some(last)) => [
                    micros(Some(watermark)),
                    micros(cursor.since),
                    micros(Some(last.updated_at)),
                    last.id.clone(),
                ],
                _ => [
                    String::new(),
                    micros(Some(watermark)),
                    String::new(),
                    String::new(),
                ],
            };
            let next_cursor =
                pagination::encode_cursor(&next.iter().map(String::as_str).collect::<Vec<_>>());
            Ok(Changes {
                channels,
                events,
                staff,
                next_cursor,
                has_more,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a_number_or_junk() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            any::<i64>().prop_map(|n| n.to_string()),
            "\\PC{0,12}",
        ]
    }

    proptest! {
        /// The pull's cursor holds four parts (times in microseconds and an id): any text,
        /// and any four strings encoded as a real cursor is, never panic; refusals name
        /// `cursor`.
        #[test]
        fn any_text_as_a_changes_cursor(s in "\\PC{0,80}") {
            if let Err(e) = decode(Some(&s)) {
                prop_assert_eq!(e.field.as_str(), "cursor");
            }
        }

        #[test]
        fn any_parts_in_a_changes_cursor(parts in proptest::collection::vec(a_number_or_junk(), 4)) {
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            let c = pagination::encode_cursor(&refs);
            if let Err(e) = decode(Some(&c)) {
                prop_assert_eq!(e.field.as_str(), "cursor");
            }
        }
    }
}
