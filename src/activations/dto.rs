//! Bodies of the sync and activation routes. Items may carry a NIK: nothing here derives
//! `Debug`, and no answer carries the NIK or its hash.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::Activation;
use crate::domain::{AgeBand, FailureReason, Outcome, Sex};
use crate::error::{AppError, Problem};

/// Most items one sync request may carry.
pub const MAX_BATCH: usize = 500;

/// A batch of activation attempts recorded on a phone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncActivationsRequest {
    /// Up to 500 items. Each is checked on its own: one bad item never fails the batch.
    #[schema(value_type = Vec<SyncActivationItem>)]
    pub items: Vec<serde_json::Value>,
}

/// One activation attempt as the phone recorded it. Its schema is written by hand (below):
/// the server takes any JSON value as an item and judges it on its own, so the document
/// describes the fields without constraining them (a constrained schema would promise a
/// 4xx for a bad item, where the server answers 200 with that item `rejected`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncActivationItem {
    /// Client-generated UUID (v7 recommended), chosen once when the attempt is recorded and
    /// kept for every retry.
    pub id: Option<String>,
    pub event_id: Option<String>,
    /// Defaults to the caller; field staff record for themselves only.
    pub staff_id: Option<String>,
    /// When the attempt happened: RFC 3339 with an offset.
    pub recorded_at: Option<String>,
    pub outcome: Option<String>,
    /// Required when `outcome` is `failed`, absent otherwise.
    pub failure_reason: Option<String>,
    pub age_band: Option<String>,
    pub sex: Option<String>,
    /// Kemendagri code of the place, inside the event office's region.
    pub area_code: Option<String>,
    /// The citizen's 16-digit NIK. Only a keyed hash is kept, to spot a citizen counted
    /// twice; it is never stored, logged or answered in clear.
    pub nik: Option<String>,
}

impl utoipa::PartialSchema for SyncActivationItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType};
        let field = |description: String| {
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some(description))
                .build()
        };
        let names = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some(
                "One activation attempt as the phone recorded it: an object with the fields \
                 below. Any value is accepted here and checked on its own: an item that breaks a \
                 rule (a wrong type, an unknown field, a value outside the listed ones) gets \
                 the result `rejected` with a `validation_failed` problem naming its fields; \
                 the other items of the batch are stored.",
            ))
            .property(
                "id",
                field(
                    "Required. Client-generated UUID (v7 recommended), chosen once when the \
                     attempt is recorded and kept for every retry."
                        .into(),
                ),
            )
            .property("event_id", field("Required. The event's UUID.".into()))
            .property(
                "staff_id",
                field(
                    "UUID of the staff member; defaults to the caller. Field staff record for \
                     themselves only."
                        .into(),
                ),
            )
            .property(
                "recorded_at",
                field(
                    "Required. When the attempt happened: RFC 3339 with an offset, e.g. \
                     `2024-03-18T10:15:00+08:00`."
                        .into(),
                ),
            )
            .property(
                "outcome",
                field(format!("Required. One of {}.", names(Outcome::NAMES))),
            )
            .property(
                "failure_reason",
                field(format!(
                    "Required when `outcome` is `failed`, absent otherwise. One of {}.",
                    names(FailureReason::NAMES)
                )),
            )
            .property(
                "age_band",
                field(format!("Optional. One of {}.", names(AgeBand::NAMES))),
            )
            .property(
                "sex",
                field(format!("Optional. One of {}.", names(Sex::NAMES))),
            )
            .property(
                "area_code",
                field(
                    "Optional. Kemendagri code of the place, inside the event office's region."
                        .into(),
                ),
            )
            .property(
                "nik",
                field(
                    "Optional. The citizen's 16-digit NIK. Only a keyed hash is kept, to spot a \
                     citizen counted twice; it is never stored, logged or answered in clear."
                        .into(),
                ),
            )
            .build()
            .into()
    }
}

impl utoipa::ToSchema for SyncActivationItem {}

/// What became of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Stored now, durably.
    Created,
    /// That id is stored already with the same content; nothing changed.
    Duplicate,
    /// That id is stored with different content; nothing changed.
    Conflict,
    /// Invalid or out of scope; `error` says why. Nothing was stored.
    Rejected,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SyncResult {
    /// The item's id when it was a UUID.
    pub id: Option<String>,
    pub status: SyncStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// One result per item, in the order of the items.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SyncActivationsResponse {
    pub results: Vec<SyncResult>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidActivationRequest {
    /// Why the record no longer counts; required.
    pub reason: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListActivationsQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A stored activation attempt. The NIK and its hash are never answered.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivationResponse {
    pub id: String,
    pub event_id: String,
    pub office_id: String,
    pub channel_key: String,
    pub staff_id: String,
    pub recorded_at: DateTime<Utc>,
    /// Date of `recorded_at` in the event office's time zone.
    pub local_date: NaiveDate,
    pub outcome: Outcome,
    pub failure_reason: Option<FailureReason>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    /// Kemendagri code of the district or village where the attempt took place.
    pub area_code: Option<String>,
    /// The name of `area_code`; `null` without a code, or for a code the reference data no
    /// longer lists.
    pub area_name: Option<String>,
    /// Whether a NIK came with the record.
    pub has_nik: bool,
    /// The same citizen was already activated in this office: not counted again.
    pub repeat_citizen: bool,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<Activation> for ActivationResponse {
    type Error = AppError;

    fn try_from(a: Activation) -> Result<ActivationResponse, AppError> {
        Ok(ActivationResponse {
            outcome: a.outcome,
            failure_reason: a
                .failure_reason
                .as_deref()
                .map(FailureReason::from_db)
                .transpose()?,
            age_band: a.age_band.as_deref().map(AgeBand::from_db).transpose()?,
            sex: a.sex.as_deref().map(Sex::from_db).transpose()?,
            has_nik: a.nik_hash.is_some(),
            id: a.id,
            event_id: a.event_id,
            office_id: a.office_id,
            channel_key: a.channel_key,
            staff_id: a.staff_id,
            recorded_at: a.recorded_at.and_utc(),
            local_date: a.local_date,
            area_code: a.area_code,
            area_name: None,
            repeat_citizen: a.repeat_citizen,
            voided_at: a.voided_at.map(|t| t.and_utc()),
            voided_by: a.voided_by,
            void_reason: a.void_reason,
            created_by: a.created_by,
            created_at: a.created_at.and_utc(),
        })
    }
}

impl ActivationResponse {
    /// The answer for `a`, its area named from `names` (code to name, see
    /// [`crate::areas::service::names_of`]).
    pub fn named(
        a: Activation,
        names: &HashMap<String, String>,
    ) -> Result<ActivationResponse, AppError> {
        let mut r = ActivationResponse::try_from(a)?;
        r.area_name = r.area_code.as_ref().and_then(|c| names.get(c).cloned());
        Ok(r)
    }

    /// The area codes of `rows`, to look their names up in one query.
    pub fn area_codes<'a>(rows: impl IntoIterator<Item = &'a Activation>) -> Vec<String> {
        rows.into_iter()
            .filter_map(|a| a.area_code.clone())
            .collect()
    }
}
