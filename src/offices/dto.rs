//! Request and response bodies of the office routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::Office;
use crate::domain::OfficeLevel;

/// A new office. Every field is checked and every offending one named in the 422.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOfficeRequest {
    /// Optional client-chosen UUID; generated when absent.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub id: Option<String>,
    /// Kemendagri region code: `63` for a province, `63.01` for a regency (under its province).
    #[schema(value_type = String, example = "63.01")]
    pub code: Option<String>,
    #[schema(value_type = String, example = "Disdukcapil Kab. Tanah Laut")]
    pub name: Option<String>,
    /// Strictly below the parent's level.
    #[schema(value_type = OfficeLevel, example = "regency")]
    pub level: Option<String>,
    /// Defaults to the caller's office; must be in the caller's scope.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<String>,
    /// One of Indonesia's IANA zones: Asia/Jakarta (WIB), Asia/Pontianak (WIB),
    /// Asia/Makassar (WITA), Asia/Jayapura (WIT).
    #[schema(value_type = String, example = "Asia/Makassar")]
    pub timezone: Option<String>,
}

/// Changes to an office; absent fields stay as they are. The level and the parent cannot
/// change (scope and every report hang on them).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOfficeRequest {
    #[schema(example = "Disdukcapil Kab. Tanah Laut")]
    pub name: Option<String>,
    /// Changing it re-dates the office's events and activations in the new zone.
    #[schema(example = "Asia/Makassar")]
    pub timezone: Option<String>,
    /// Only while the office has no sub-offices (their codes extend it).
    #[schema(example = "63.01")]
    pub code: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListOfficesQuery {
    /// Only the direct children of this office.
    pub parent_id: Option<String>,
    /// Only offices of this level.
    #[param(value_type = Option<OfficeLevel>)]
    pub level: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct OfficeResponse {
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: OfficeLevel,
    pub parent_id: Option<String>,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Office> for OfficeResponse {
    fn from(o: Office) -> Self {
        OfficeResponse {
            // Written by this code, so always a known level; fall back rather than fail a read.
            level: OfficeLevel::from_db(&o.level).unwrap_or(OfficeLevel::Regency),
            id: o.id,
            code: o.code,
            name: o.name,
            parent_id: o.parent_id,
            timezone: o.timezone,
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}
