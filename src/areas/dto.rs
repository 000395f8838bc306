//! Query and response bodies of the `/areas` routes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::{Area, AreaFilter};
use crate::domain::{AreaCode, AreaLevel};
use crate::error::{AppError, FieldError, Msg, Validator};
use crate::pagination;

/// Longest accepted `q`.
const MAX_QUERY_CHARS: usize = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAreasQuery {
    /// Only the areas directly below this code (e.g. `63.01` lists Tanah Laut's districts).
    #[param(example = "63.01")]
    pub parent_code: Option<String>,
    /// Only areas of this level (blank: every level).
    #[param(schema_with = crate::openapi::area_level_or_blank)]
    pub level: Option<String>,
    /// Only areas whose name contains this text, in any case (at most 100 characters).
    #[param(example = "tanah", max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A listing request, checked.
#[derive(Debug)]
pub struct ListAreas {
    pub filter: AreaFilter,
    pub after: Option<String>,
    pub limit: i64,
}

/// An empty parameter (`?level=`) counts as absent, as forms send them.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl TryFrom<ListAreasQuery> for ListAreas {
    type Error = AppError;

    fn try_from(q: ListAreasQuery) -> Result<ListAreas, AppError> {
        let mut v = Validator::new();
        let parent_code = given(q.parent_code)
            .and_then(|p| v.check(AreaCode::parse("parent_code", p.trim())))
            .map(AreaCode::into_string);
        let level = given(q.level).and_then(|l| v.check(AreaLevel::parse("level", l.trim())));
        let name_contains = given(q.q).and_then(|text| {
            let text = text.trim().to_string();
            if text.chars().count() > MAX_QUERY_CHARS {
                v.push(FieldError::new(
                    "q",
                    "too_long",
                    Msg::new(
                        format!("At most {MAX_QUERY_CHARS} characters."),
                        format!("Paling banyak {MAX_QUERY_CHARS} karakter."),
                    ),
                ));
                None
            } else {
                Some(text)
            }
        });
        let limit = v.check(pagination::limit(q.limit));
        let after = v
            .check(pagination::decode_cursor(q.cursor.as_deref(), 1))
            .flatten()
            .and_then(|key| key.into_iter().next());
        v.finish()?;
        Ok(ListAreas {
            filter: AreaFilter {
                parent_code,
                level,
                name_contains,
            },
            after,
            limit: limit.unwrap_or(pagination::DEFAULT_LIMIT),
        })
    }
}

/// An administrative area: province, regency or city, district (kecamatan) or village
/// (desa/kelurahan).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AreaResponse {
    /// Dotted Kemendagri code.
    #[schema(example = "63.01")]
    pub code: String,
    #[schema(example = "Kabupaten Tanah Laut")]
    pub name: String,
    pub level: AreaLevel,
    /// Code of the area directly above; `null` for a province.
    #[schema(example = "63", required = true)]
    pub parent_code: Option<String>,
}

impl TryFrom<Area> for AreaResponse {
    type Error = AppError;

    fn try_from(a: Area) -> Result<AreaResponse, AppError> {
        Ok(AreaResponse {
            level: AreaLevel::from_db(&a.level)?,
            code: a.code,
            name: a.name,
            parent_code: a.parent_code,
        })
    }
}
