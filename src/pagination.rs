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

/// Decodes a cursor made by [`encode_cursor`] with `parts` components.
pub fn decode_cursor(value: Option<&str>, parts: usize) -> Result<Option<Vec<String>>, FieldError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        FieldError::new(
            "cursor",
            "invalid_cursor",
            Msg::new(
                "Not a cursor this list gave out; start again without one.",
                "Bukan kursor dari daftar ini; mulai lagi tanpa kursor.",
            ),
        )
    };
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
