//! Office use cases: authorize (scope, then role), validate, one transaction, audit.

use serde_json::json;

use super::dto::{CreateOfficeRequest, ListOfficesQuery, UpdateOfficeRequest};
use super::repo::{self, Office, OfficeFilter};
use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::domain::{required_text, OfficeCode, OfficeLevel, Role, TimeZone};
use crate::error::{AppError, AppResult, FieldError, Msg, Validator};
use crate::pagination::{self, Page};
use crate::state::AppState;

use super::dto::OfficeResponse;

/// The IANA zones of Indonesia (zone.tab): WIB is Asia/Jakarta and Asia/Pontianak, WITA
/// Asia/Makassar, WIT Asia/Jayapura. An office elsewhere is a typo, not a use case.
pub const INDONESIAN_ZONES: &[&str] = &[
    "Asia/Jakarta",
    "Asia/Pontianak",
    "Asia/Makassar",
    "Asia/Jayapura",
];

const NAME_MAX: usize = 200;

/// A UUID in canonical form (lower-case, hyphenated), or a 422 naming `field`.
pub fn parse_id(field: &str, value: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.to_string())
        .map_err(|_| FieldError::invalid(field, "Must be a UUID.", "Harus berupa UUID."))
}

/// An IANA zone name that is one of Indonesia's.
pub fn parse_zone(field: &str, value: &str) -> Result<TimeZone, FieldError> {
    let tz = TimeZone::parse(field, value.trim())?;
    if INDONESIAN_ZONES.contains(&tz.name()) {
        Ok(tz)
    } else {
        let list = INDONESIAN_ZONES.join(", ");
        Err(FieldError::new(
            field,
            "unsupported_timezone",
            Msg::new(
                format!("Must be one of Indonesia's time zones: {list}."),
                format!("Harus salah satu zona waktu Indonesia: {list}."),
            ),
        ))
    }
}

/// A Kemendagri code has the shape of its level (`ID`; `63`; `63.01`), and a regency's code
/// extends its province's.
fn check_code(code: &OfficeCode, level: OfficeLevel, parent: Option<&Office>) -> Vec<FieldError> {
    let groups: Vec<&str> = code.as_str().split('.').collect();
    let shape_ok = match level {
        OfficeLevel::National => code.as_str() == "ID",
        OfficeLevel::Province => groups.len() == 1 && groups[0].len() == 2,
        OfficeLevel::Regency => groups.len() == 2 && groups.iter().all(|g| g.len() == 2),
    };
    let mut errors = Vec::new();
    if !shape_ok {
        let (en, id) = match level {
            OfficeLevel::National => ("ID", "ID"),
            OfficeLevel::Province => ("two digits, e.g. 63", "dua angka, mis. 63"),
            OfficeLevel::Regency => (
                "two groups of two digits, e.g. 63.01",
                "dua kelompok dua angka, mis. 63.01",
            ),
        };
        errors.push(FieldError::new(
            "code",
            "code_does_not_match_level",
            Msg::new(
                format!("A {level} office's code is {en}."),
                format!("Kode kantor tingkat {level} adalah {id}."),
            ),
        ));
        return errors;
    }
    if let Some(parent) = parent.filter(|p| p.level == OfficeLevel::Province.as_str()) {
        if !code.as_str().starts_with(&format!("{}.", parent.code)) {
            errors.push(FieldError::new(
                "code",
                "code_not_under_parent",
                Msg::new(
                    format!(
                        "A regency's code extends its province's: {}.NN.",
                        parent.code
                    ),
                    format!(
                        "Kode kabupaten/kota diawali kode provinsinya: {}.NN.",
                        parent.code
                    ),
                ),
            ));
        }
    }
    errors
}

/// The rules of a new office that depend on its parent: a level below the parent's, and a
/// code of that level under the parent's.
fn placement_errors(code: &OfficeCode, level: OfficeLevel, parent: &Office) -> Vec<FieldError> {
    let parent_level = match OfficeLevel::from_db(&parent.level) {
        Ok(l) => l,
        Err(_) => return Vec::new(),
    };
    if level.depth() <= parent_level.depth() {
        return vec![FieldError::new(
            "level",
            "level_not_below_parent",
            Msg::new(
                format!("Must be below the parent office's level ({parent_level})."),
                format!("Harus di bawah tingkat kantor induk ({parent_level})."),
            ),
        )];
    }
    check_code(code, level, Some(parent))
}

fn code_taken() -> AppError {
    AppError::Conflict(Msg::new(
        "An office with this code already exists.",
        "Kantor dengan kode ini sudah ada.",
    ))
}

/// A required field: missing or blank is `required`, otherwise `parse` decides.
fn required<T>(
    v: &mut Validator,
    field: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
) -> Option<T> {
    match value.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            v.push(FieldError::required(field));
            None
        }
        Some(s) => v.check(parse(field, s)),
    }
}

fn missing() -> AppError {
    AppError::internal(anyhow::anyhow!("validated field missing"))
}

pub async fn create(
    state: &AppState,
    user: &AuthUser,
    req: CreateOfficeRequest,
    addr: String,
) -> AppResult<Office> {
    user.require(Role::Admin)?;
    let mut v = Validator::new();
    let id = match req.id.as_deref() {
        Some(s) => v.check(parse_id("id", s)),
        None => Some(uuid::Uuid::new_v4().to_string()),
    };
    let code = required(&mut v, "code", req.code.as_deref(), OfficeCode::parse);
    let name = required(&mut v, "name", req.name.as_deref(), |f, s| {
        required_text(f, s, NAME_MAX)
    });
    let level = required(&mut v, "level", req.level.as_deref(), OfficeLevel::parse);
    let tz = required(&mut v, "timezone", req.timezone.as_deref(), parse_zone);
    let parent_id = match req.parent_id.as_deref() {
        Some(s) => v.check(parse_id("parent_id", s)),
        None => Some(user.office_id().to_string()),
    };
    if !v.is_empty() {
        // One answer names every problem: the rules that need the parent office too, when
        // what they check parsed (a bad code and a bad time zone are both reported).
        if let (Some(code), Some(level), Some(parent_id)) = (&code, level, &parent_id) {
            let (scope, parent_id) = (user.scope(), parent_id.clone());
            if let Ok(parent) = state.db.read(move |c| scope.office(c, &parent_id)).await {
                for e in placement_errors(code, level, &parent) {
                    v.push(e);
                }
            }
        }
    }
    v.finish()?;
    let (Some(id), Some(code), Some(name), Some(level), Some(tz), Some(parent_id)) =
        (id, code, name, level, tz, parent_id)
    else {
        return Err(missing());
    };
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let parent = user.scope().office(c, &parent_id)?;
            let mut v = Validator::new();
            for e in placement_errors(&code, level, &parent) {
                v.push(e);
            }
            v.finish()?;
            if repo::find_by_code(c, code.as_str())?.is_some() {
                return Err(code_taken());
            }
            if repo::find(c, &id)?.is_some() {
                return Err(AppError::Conflict(Msg::new(
                    "An office with this id already exists.",
                    "Kantor dengan id ini sudah ada.",
                )));
            }
            let now = crate::db::now();
            let office = Office {
                path: repo::child_path(Some(&parent.path), &id),
                id,
                code: code.as_str().to_string(),
                name,
                level: level.as_str().to_string(),
                parent_id: Some(parent.id.clone()),
                timezone: tz.name().to_string(),
                created_at: now,
                updated_at: now,
            };
            repo::insert(c, &office)?;
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&user.id),
                    office_id: Some(&office.id),
                    action: "office_created",
                    subject_type: "office",
                    subject_id: Some(&office.id),
                    detail: Some(json!({
                        "code": office.code,
                        "name": office.name,
                        "level": office.level,
                        "parent_id": office.parent_id,
                        "timezone": office.timezone,
                    })),
                    client_addr: Some(&addr),
                },
            )?;
            Ok(office)
        })
        .await
}

pub async fn get(state: &AppState, user: &AuthUser, id: String) -> AppResult<Office> {
    let scope = user.scope();
    state.db.read(move |c| scope.office(c, &id)).await
}

pub async fn list(
    state: &AppState,
    user: &AuthUser,
    q: ListOfficesQuery,
) -> AppResult<Page<OfficeResponse>> {
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(q.limit));
    let cursor = v.check(pagination::decode_cursor(q.cursor.as_deref(), 1));
    let level = match q.level.as_deref() {
        Some(l) => v.check(OfficeLevel::parse("level", l)).map(Some),
        None => Some(None),
    };
    let parent_id = match q.parent_id.as_deref() {
        Some(p) => v.check(parse_id("parent_id", p)).map(Some),
        None => Some(None),
    };
    v.finish()?;
    let (Some(limit), Some(cursor), Some(level), Some(parent_id)) =
        (limit, cursor, level, parent_id)
    else {
        return Err(missing());
    };
    let scope = user.scope();
    let rows = state
        .db
        .read(move |c| {
            if let Some(p) = &parent_id {
                scope.office(c, p)?;
            }
            repo::list(
                c,
                OfficeFilter {
                    scope_pattern: scope.path_pattern(),
                    parent_id,
                    level: level.map(|l| l.as_str().to_string()),
                    after_code: cursor.and_then(|k| k.into_iter().next()),
                    limit,
                },
            )
        })
        .await?;
    let items = rows.into_iter().map(OfficeResponse::from).collect();
    Ok(Page::from_rows(items, limit, |o: &OfficeResponse| {
        vec![o.code.clone()]
    }))
}

pub async fn update(
    state: &AppState,
    user: &AuthUser,
    id: String,
    req: UpdateOfficeRequest,
    addr: String,
) -> AppResult<Office> {
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let mut office = user.scope().office(c, &id)?;
            user.require(Role::Admin)?;
            let mut v = Validator::new();
            let name = req
                .name
                .as_deref()
                .and_then(|s| v.check(required_text("name", s, NAME_MAX)));
            let tz = req
                .timezone
                .as_deref()
                .and_then(|s| v.check(parse_zone("timezone", s)));
            let code = req
                .code
                .as_deref()
                .and_then(|s| v.check(OfficeCode::parse("code", s)));
            if let Some(code) = code.as_ref().filter(|c| c.as_str() != office.code) {
                let parent = match &office.parent_id {
                    Some(p) => repo::find(c, p)?,
                    None => None,
                };
                let level = OfficeLevel::from_db(&office.level)?;
                for e in check_code(code, level, parent.as_ref()) {
                    v.push(e);
                }
            }
            v.finish()?;

            let mut changes = serde_json::Map::new();
            let mut change = |field: &str, from: &str, to: &str| {
                changes.insert(field.to_string(), json!({ "from": from, "to": to }));
            };
            if let Some(name) = name.filter(|n| *n != office.name) {
                change("name", &office.name, &name);
                office.name = name;
            }
            if let Some(code) = code.filter(|n| n.as_str() != office.code) {
                if repo::has_children(c, &office.id)? {
                    return Err(AppError::Conflict(Msg::new(
                        "The code of an office with sub-offices cannot change: their codes extend it.",
                        "Kode kantor yang memiliki kantor bawahan tidak dapat diubah: kode mereka diawali kode ini.",
                    )));
                }
                if repo::find_by_code(c, code.as_str())?.is_some() {
                    return Err(code_taken());
                }
                change("code", &office.code, code.as_str());
                office.code = code.as_str().to_string();
            }
            let mut redated = None;
            if let Some(tz) = tz.filter(|t| t.name() != office.timezone) {
                change("timezone", &office.timezone, tz.name());
                office.timezone = tz.name().to_string();
                redated = Some(repo::redate_in_zone(c, &office.id, tz.0)?);
            }
            if changes.is_empty() {
                return Ok(office);
            }
            office.updated_at = crate::db::now();
            repo::update(c, &office)?;
            let mut detail = json!({ "changes": changes });
            if let Some(n) = redated {
                detail["redated_rows"] = json!(n);
            }
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&user.id),
                    office_id: Some(&office.id),
                    action: "office_updated",
                    subject_type: "office",
                    subject_id: Some(&office.id),
                    detail: Some(detail),
                    client_addr: Some(&addr),
                },
            )?;
            Ok(office)
        })
        .await
}
