//! List paging: `?limit=` (default 50, at most 500) and an opaque `?cursor=`; answers are
//! `{items, next_cursor}` in a stable order (keyset paging: the cursor holds the sort key of
//! the last item, so pages never skip or repeat rows when others are inserted).

use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{FieldError, Msg};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// The page size asked for, or a 422 field error.
pub fn limit(value: Option<i64>) -> Result<i64, FieldError> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(FieldError::new(
            "limit",
            "out_of_range",
            Msg::new(
                format!("Must be between 1 and {MAX_LIMIT}."),
                format!("Harus antara 1 dan {MAX_LIMIT}."),
            ),
        )),
    }
}

/// Encodes the sort key of the last item of a page.
pub fn encode_cursor(key: &[&str]) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The answer to a cursor this server did not give out (or no longer understands): the
/// one text of every list's and the sync's cursor errors.
pub fn invalid_cursor() -> FieldError {
    FieldError::new(
        "cursor",
        "invalid_cursor",
        Msg::new(
            "Not a cursor this list gave out; start again without one.",
            "Bukan kursor dari daftar ini; mulai lagi tanpa kursor.",
        ),
    )
}

/// Cursor keys of timestamp-ordered lists: `[RFC 3339 instant, id]`.
pub fn encode_instant_key(at: chrono::NaiveDateTime, id: &str) -> Vec<String> {
    vec![
        at.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        id.to_string(),
    ]
}

pub fn decode_instant_key(key: &[String]) -> Result<(chrono::NaiveDateTime, String), FieldError> {
    match key {
        [at, id] => chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| (t.naive_utc(), id.clone()))
            .map_err(|_| invalid_cursor()),
        _ => Err(invalid_cursor()),
    }
}

/// Decodes a cursor made by [`encode_cursor`] with `parts` components.
pub fn decode_cursor(value: Option<&str>, parts: usize) -> Result<Option<Vec<String>>, FieldError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = invalid_cursor;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| bad())?;
    let key: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if key.len() == parts {
        Ok(Some(key))
    } else {
        Err(bad())
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only tells
    /// that another page exists. `key` gives an item's sort key for the cursor.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Vec<String>) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            rows.last().map(|last| {
                let k = key(last);
                encode_cursor(&k.iter().map(String::as_str).collect::<Vec<_>>())
            })
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A cursor is whatever a client puts in the query: never a panic, and anything
        /// not made here is a `cursor` field error.
        #[test]
        fn any_text_as_a_cursor(s in "\\PC{0,80}", parts in 1usize..5) {
            if let Err(e) = decode_cursor(Some(&s), parts) {
                prop_assert_eq!(e.field.as_str(), "cursor");
                prop_assert_eq!(e.code, "invalid_cursor");
            }
        }

        /// Base64 of arbitrary bytes: right alphabet, anything inside.
        #[test]
        fn any_bytes_behind_a_cursor(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            if let Err(e) = decode_cursor(Some(&s), 2) {
                prop_assert_eq!(e.field.as_str(), "cursor");
            }
        }

        #[test]
        fn cursors_round_trip(key in proptest::collection::vec("\\PC{0,20}", 1..5)) {
            let refs: Vec<&str> = key.iter().map(String::as_str).collect();
            let c = encode_cursor(&refs);
            prop_assert_eq!(decode_cursor(Some(&c), key.len()), Ok(Some(key.clone())));
        }

        #[test]
        fn any_limit(n in any::<i64>()) {
            match limit(Some(n)) {
                Ok(l) => prop_assert!((1..=MAX_LIMIT).contains(&l)),
                Err(e) => prop_assert_eq!(e.field.as_str(), "limit"),
            }
        }
    }
}
