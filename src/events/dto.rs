//! Request and response bodies of the event routes, and their conversion into validated
//! commands (every offending field named at once).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::{Event, StaffRow};
use crate::domain::{optional_text, parse_id, parse_instant, required_text, AreaCode, EventStatus};
use crate::error::{AppError, FieldError, Msg, Validator};

/// Longest event accepted: a month-long expo stand is the longest the offices report.
pub const MAX_EVENT_DAYS: i64 = 31;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEventRequest {
    /// Client-chosen UUID (events created offline); generated when absent. Posting the same
    /// id again with the same content answers 200 with the stored event.
    pub id: Option<String>,
    /// Defaults to the caller's office; field staff create in their own office only.
    pub office_id: Option<String>,
    /// A channel the office may use (`GET /channels`).
    #[schema(example = "village_visit")]
    pub channel_key: Option<String>,
    #[schema(example = "Tilik Desa Pelaihari")]
    pub title: Option<String>,
    /// RFC 3339 with an offset.
    #[schema(example = "2024-03-18T09:00:00+08:00")]
    pub starts_at: Option<String>,
    /// After `starts_at`, at most 31 days later.
    #[schema(example = "2024-03-18T15:00:00+08:00")]
    pub ends_at: Option<String>,
    /// Kemendagri region code inside the office's region, e.g. `63.01.01.2001`.
    pub area_code: Option<String>,
    pub venue: Option<String>,
    /// -90 to 90; give both coordinates or neither.
    pub latitude: Option<f64>,
    /// -180 to 180.
    pub longitude: Option<f64>,
    /// Rupiah spent on the event, >= 0.
    pub cost_idr: Option<i64>,
    pub notes: Option<String>,
}

/// Absent leaves a field as it is; `null` clears an optional field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEventRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub channel_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub ends_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub area_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub venue: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub cost_idr: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnEventRequest {
    /// Why the report goes back to its author; required.
    pub comment: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffHoursRequest {
    /// Hours worked at the event: > 0, at most 24 for each local day the event spans.
    #[schema(example = 6.5)]
    pub hours: Option<f64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEventsQuery {
    /// Only events of this office and the offices below it (404 outside the caller's scope).
    pub office_id: Option<String>,
    pub channel_key: Option<String>,
    /// `open`, `submitted`, `approved` or `returned`.
    pub status: Option<String>,
    /// Local date (office time zone) of `starts_at` on or after this `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Local date of `starts_at` on or before this `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An event as answered by every event route.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventResponse {
    pub id: String,
    pub office_id: String,
    pub channel_key: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Date of `starts_at` in the office's time zone: the day reports count the event on.
    pub local_date: NaiveDate,
    /// Kemendagri code of the district or village where the event takes place.
    pub area_code: Option<String>,
    /// The name of `area_code` (e.g. `Benua Lawas`); `null` without a code, or for a code
    /// the reference data no longer lists.
    pub area_name: Option<String>,
    pub venue: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub cost_idr: Option<i64>,
    pub notes: Option<String>,
    pub status: EventStatus,
    /// The last review comment (set when a report is returned).
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<Event> for EventResponse {
    type Error = AppError;

    fn try_from(e: Event) -> Result<EventResponse, AppError> {
        Ok(EventResponse {
            status: e.status,
            id: e.id,
            office_id: e.office_id,
            channel_key: e.channel_key,
            title: e.title,
            starts_at: e.starts_at.and_utc(),
            ends_at: e.ends_at.and_utc(),
            local_date: e.local_date,
            area_code: e.area_code,
            area_name: None,
            venue: e.venue,
            latitude: e.latitude,
            longitude: e.longitude,
            cost_idr: e.cost_idr,
            notes: e.notes,
            review_comment: e.review_comment,
            reviewed_by: e.reviewed_by,
            reviewed_at: e.reviewed_at.map(|t| t.and_utc()),
            created_by: e.created_by,
            created_at: e.created_at.and_utc(),
            updated_at: e.updated_at.and_utc(),
        })
    }
}

impl EventResponse {
    /// The answer for `e`, its area named from `names` (code to name, see
    /// [`crate::areas::service::names_of`]).
    pub fn named(e: Event, names: &HashMap<String, String>) -> Result<EventResponse, AppError> {
        let mut r = EventResponse::try_from(e)?;
        r.area_name = r.area_code.as_ref().and_then(|c| names.get(c).cloned());
        Ok(r)
    }

    /// The area codes of `events`, to look their names up in one query.
    pub fn area_codes<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<String> {
        events
            .into_iter()
            .filter_map(|e| e.area_code.clone())
            .collect()
    }
}

/// A staff member's hours at an event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffResponse {
    pub event_id: String,
    pub user_id: String,
    pub username: String,
    pub full_name: String,
    pub hours: f64,
    pub updated_at: DateTime<Utc>,
}

impl From<StaffRow> for StaffResponse {
    fn from(r: StaffRow) -> StaffResponse {
        StaffResponse {
            event_id: r.event_id,
            user_id: r.user_id,
            username: r.username,
            full_name: r.full_name,
            hours: r.hours,
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// The validated content of an event (office-dependent rules are checked by the service).
#[derive(Clone, Debug)]
pub struct EventDraft {
    pub channel_key: String,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub area_code: Option<AreaCode>,
    pub venue: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub cost_idr: Option<i64>,
    pub notes: Option<String>,
}

impl EventDraft {
    pub fn from_event(e: &Event) -> EventDraft {
        EventDraft {
            channel_key: e.channel_key.clone(),
            title: e.title.clone(),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            // Written by this code after validation, so it parses.
            area_code: e
                .area_code
                .as_deref()
                .and_then(|a| AreaCode::parse("area_code", a).ok()),
            venue: e.venue.clone(),
            latitude: e.latitude,
            longitude: e.longitude,
            cost_idr: e.cost_idr,
            notes: e.notes.clone(),
        }
    }

    /// The rules between fields: the end after the start, a sane length, both coordinates.
    /// The canonical text of an event's content, hashed to tell a retried create from a
    /// different event under the same id.
    pub fn content_hash(&self, office_id: &str) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::json!([
            office_id,
            self.channel_key,
            self.title,
            self.starts_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            self.ends_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            self.area_code.as_ref().map(AreaCode::as_str),
            self.venue,
            self.latitude,
            self.longitude,
            self.cost_idr,
            self.notes,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

fn latitude(v: Option<f64>) -> Result<Option<f64>, FieldError> {
    match v {
        Some(x) if !(-90.0..=90.0).contains(&x) => Err(FieldError::new(
            "latitude",
            "out_of_range",
            Msg::new("Must be between -90 and 90.", "Harus antara -90 dan 90."),
        )),
        other => Ok(other),
    }
}

fn longitude(v: Option<f64>) -> Result<Option<f64>, FieldError> {
    match v {
        Some(x) if !(-180.0..=180.0).contains(&x) => Err(FieldError::new(
            "longitude",
            "out_of_range",
            Msg::new(
                "Must be between -180 and 180.",
                "Harus antara -180 dan 180.",
            ),
        )),
        other => Ok(other),
    }
}

/// The most an event may cost: a trillion rupiah, far above any outreach event, and low
/// enough that the costs of millions of events still add up without overflowing.
pub const MAX_COST_IDR: i64 = 1_000_000_000_000;

fn cost(v: Option<i64>) -> Result<Option<i64>, FieldError> {
    match v {
        Some(x) if x < 0 => Err(FieldError::new(
            "cost_idr",
            "negative",
            Msg::new("Must be 0 or more.", "Harus 0 atau lebih."),
        )),
        Some(x) if x > MAX_COST_IDR => Err(FieldError::new(
            "cost_idr",
            "out_of_range",
            Msg::new(
                "At most 1000000000000 (a trillion rupiah).",
                "Paling banyak 1000000000000 (satu triliun rupiah).",
            ),
        )),
        other => Ok(other),
    }
}

fn area(v: Option<&str>) -> Result<Option<AreaCode>, FieldError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => AreaCode::parse("area_code", a).map(Some),
        None => Ok(None),
    }
}

fn channel(v: &str) -> Result<String, FieldError> {
    required_text("channel_key", v, 48)
}

fn instant(field: &str, v: Option<&str>) -> Result<NaiveDateTime, FieldError> {
    match v {
        Some(s) if !s.trim().is_empty() => parse_instant(field, s),
        _ => Err(FieldError::required(field)),
    }
}

/// A create request, validated.
pub struct NewEvent {
    pub id: Option<String>,
    pub office_id: Option<String>,
    pub draft: EventDraft,
}

/// `ends_at` after `starts_at`, and the event at most [`MAX_EVENT_DAYS`] long.
fn check_times(v: &mut Validator, starts_at: NaiveDateTime, ends_at: NaiveDateTime) {
    if ends_at <= starts_at {
        v.push(FieldError::new(
            "ends_at",
            "before_start",
            Msg::new("Must be after starts_at.", "Harus setelah starts_at."),
        ));
    } else if ends_at - starts_at > chrono::Duration::days(MAX_EVENT_DAYS) {
        v.push(FieldError::new(
            "ends_at",
            "too_long",
            Msg::new(
                format!("An event lasts at most {MAX_EVENT_DAYS} days."),
                format!("Sebuah kegiatan paling lama {MAX_EVENT_DAYS} hari."),
            ),
        ));
    }
}

/// Both coordinates or neither.
fn check_position(v: &mut Validator, latitude: Option<f64>, longitude: Option<f64>) {
    if latitude.is_some() != longitude.is_some() {
        let missing = if latitude.is_none() {
            "latitude"
        } else {
            "longitude"
        };
        v.push(FieldError::new(
            missing,
            "required",
            Msg::new(
                "Give both latitude and longitude, or neither.",
                "Isi latitude dan longitude sekaligus, atau tidak keduanya.",
            ),
        ));
    }
}

impl TryFrom<CreateEventRequest> for NewEvent {
    type Error = AppError;

    fn try_from(r: CreateEventRequest) -> Result<NewEvent, AppError> {
        let mut v = Validator::new();
        let id = r.id.as_deref().and_then(|s| v.check(parse_id("id", s)));
        let office_id = r
            .office_id
            .as_deref()
            .and_then(|s| v.check(parse_id("office_id", s)));
        let channel_key = v.check(channel(r.channel_key.as_deref().unwrap_or("")));
        let title = v.check(required_text(
            "title",
            r.title.as_deref().unwrap_or(""),
            200,
        ));
        let starts_at = v.check(instant("starts_at", r.starts_at.as_deref()));
        let ends_at = v.check(instant("ends_at", r.ends_at.as_deref()));
        let area_code = v.check(area(r.area_code.as_deref()));
        let venue = v.check(optional_text("venue", r.venue.as_deref(), 200));
        let notes = v.check(optional_text("notes", r.notes.as_deref(), 2000));
        let lat = v.check(latitude(r.latitude));
        let lon = v.check(longitude(r.longitude));
        let cost_idr = v.check(cost(r.cost_idr));
        // The cross-field rules run whenever their own fields are valid, whatever else is not.
        if let (Some(s), Some(e)) = (starts_at, ends_at) {
            check_times(&mut v, s, e);
        }
        if let (Some(lat), Some(lon)) = (lat, lon) {
            check_position(&mut v, lat, lon);
        }
        let draft = match (
            channel_key,
            title,
            starts_at,
            ends_at,
            area_code,
            venue,
            notes,
            lat,
            lon,
            cost_idr,
        ) {
            (
                Some(channel_key),
                Some(title),
                Some(starts_at),
                Some(ends_at),
                Some(area_code),
                Some(venue),
                Some(notes),
                Some(latitude),
                Some(longitude),
                Some(cost_idr),
            ) => {
                let d = EventDraft {
                    channel_key,
                    title,
                    starts_at,
                    ends_at,
                    area_code,
                    venue,
                    latitude,
                    longitude,
                    cost_idr,
                    notes,
                };
                Some(d)
            }
            _ => None,
        };
        v.finish()?;
        let draft = draft.ok_or_else(|| AppError::internal(anyhow::anyhow!("draft missing")))?;
        Ok(NewEvent {
            id,
            office_id,
            draft,
        })
    }
}

impl UpdateEventRequest {
    /// Applies the changes to `draft`, validating each given field and the result.
    pub fn apply(self, draft: &mut EventDraft) -> (Vec<&'static str>, Vec<FieldError>) {
        let mut v = Validator::new();
        let mut changed = Vec::new();
        let required = |v: &mut Validator, field: &'static str| v.push(FieldError::required(field));
        match self.channel_key {
            Some(Some(k)) => {
                if let Some(k) = v.check(channel(&k)) {
                    draft.channel_key = k;
                    changed.push("channel_key");
                }
            }
            Some(None) => required(&mut v, "channel_key"),
            None => {}
        }
        match self.title {
            Some(Some(t)) => {
                if let Some(t) = v.check(required_text("title", &t, 200)) {
                    draft.title = t;
                    changed.push("title");
                }
            }
            Some(None) => required(&mut v, "title"),
            None => {}
        }
        if let Some(s) = self.starts_at {
            if let Some(t) = v.check(instant("starts_at", s.as_deref())) {
                draft.starts_at = t;
                changed.push("starts_at");
            }
        }
        if let Some(s) = self.ends_at {
            if let Some(t) = v.check(instant("ends_at", s.as_deref())) {
                draft.ends_at = t;
                changed.push("ends_at");
            }
        }
        if let Some(a) = self.area_code {
            if let Some(a) = v.check(area(a.as_deref())) {
                draft.area_code = a;
                changed.push("area_code");
            }
        }
        if let Some(x) = self.venue {
            if let Some(x) = v.check(optional_text("venue", x.as_deref(), 200)) {
                draft.venue = x;
                changed.push("venue");
            }
        }
        if let Some(x) = self.notes {
            if let Some(x) = v.check(optional_text("notes", x.as_deref(), 2000)) {
                draft.notes = x;
                changed.push("notes");
            }
        }
        if let Some(x) = self.latitude {
            if let Some(x) = v.check(latitude(x)) {
                draft.latitude = x;
                changed.push("latitude");
            }
        }
        if let Some(x) = self.longitude {
            if let Some(x) = v.check(longitude(x)) {
                draft.longitude = x;
                changed.push("longitude");
            }
        }
        if let Some(x) = self.cost_idr {
            if let Some(x) = v.check(cost(x)) {
                draft.cost_idr = x;
                changed.push("cost_idr");
            }
        }
        // The cross-field rules over the edited draft, unless one of their own fields was
        // refused (its error is already there).
        if !v.refused("starts_at") && !v.refused("ends_at") {
            check_times(&mut v, draft.starts_at, draft.ends_at);
        }
        if !v.refused("latitude") && !v.refused("longitude") {
            check_position(&mut v, draft.latitude, draft.longitude);
        }
        (changed, v.into_errors())
    }
}
