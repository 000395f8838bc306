//! The sync of activation attempts (the hot path), an event's activations, and voiding.
//!
//! A sync batch is validated item by item without the database, then classified and stored
//! in ONE write transaction with a fixed number of statements whatever its size: one query
//! for the batch's events, one for its ids already stored, one for its staff, a chunked
//! insert-or-ignore of citizens and one of activations, one audit entry per event. Ids are
//! primary keys and every insert ignores a clash, so two servers syncing the same items at
//! once store each exactly once; the loser classifies its items by re-reading them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use secrecy::ExposeSecret;

use super::dto::{SyncActivationItem, MAX_BATCH};
use super::repo::{self, Activation, Citizen};
use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::domain::path_id;
use crate::domain::{
    parse_instant, AgeBand, AreaCode, EventStatus, FailureReason, Nik, Outcome, Role, Sex,
};
use crate::error::{json_shape_error, AppError, FieldError, Msg, Validator};
use crate::events::service::in_scope_locked;
use crate::pagination;
use crate::pagination::decode_instant_key;
use crate::state::AppState;
use crate::tallies::Sink;

/// A sync item is not accepted more than this far ahead of the server's clock (phones
/// keep poor time; a day ahead is a wrong date, not skew).
const MAX_CLOCK_AHEAD_HOURS: i64 = 24;

/// What became of one item, before it is rendered.
pub enum Verdict {
    Created,
    Duplicate,
    Conflict,
    Rejected(AppError),
}

/// One item after the checks that need no database.
struct Prepared {
    id: String,
    event_id: String,
    staff_id: String,
    recorded_at: NaiveDateTime,
    outcome: Outcome,
    failure_reason: Option<FailureReason>,
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    area_code: Option<AreaCode>,
    nik_hash: Option<String>,
    home_district: Option<String>,
    content_hash: String,
}

impl Prepared {
    /// The canonical content of an item without its NIK, hashed: equal hashes mean a
    /// re-sent item (see [`repo::content_hash`]).
    fn hash(&mut self) {
        self.content_hash = repo::content_hash(&repo::Visible {
            id: &self.id,
            event_id: &self.event_id,
            staff_id: &self.staff_id,
            recorded_at: self.recorded_at,
            outcome: self.outcome.as_str(),
            failure_reason: self.failure_reason.map(FailureReason::as_str),
            age_band: self.age_band.map(AgeBand::as_str),
            sex: self.sex.map(Sex::as_str),
            area_code: self.area_code.as_ref().map(AreaCode::as_str),
        });
    }
}

fn id_field(v: &mut Validator, field: &str, value: Option<&str>) -> Option<String> {
    match value {
        None => {
            v.push(FieldError::required(field));
            None
        }
        Some(s) => v.check(crate::domain::parse_id(field, s)),
    }
}

/// The checks of one item that need no database.
fn prepare(
    value: serde_json::Value,
    user: &AuthUser,
    nik_key: &[u8],
    now: NaiveDateTime,
) -> Result<Prepared, AppError> {
    // Read from the borrowed value, so that a refused item can be read again to name its field.
    let item: SyncActivationItem = serde::Deserialize::deserialize(&value)
        .map_err(|e| json_shape_error::<SyncActivationItem, _>(&e, &value))?;
    let mut v = Validator::new();
    let id = id_field(&mut v, "id", item.id.as_deref());
    let event_id = id_field(&mut v, "event_id", item.event_id.as_deref());
    let staff_id = match item.staff_id.as_deref() {
        None => Some(user.id.clone()),
        Some(s) => v.check(crate::domain::parse_id("staff_id", s)),
    };
    let recorded_at = match item.recorded_at.as_deref() {
        None => {
            v.push(FieldError::required("recorded_at"));
            None
        }
        Some(s) => match v.check(parse_instant("recorded_at", s)) {
            Some(t) if t > now + chrono::Duration::hours(MAX_CLOCK_AHEAD_HOURS) => {
                v.push(FieldError::new(
                    "recorded_at",
                    "in_future",
                    Msg::new(
                        "Lies more than a day in the future; check the phone's date.",
                        "Lebih dari sehari di masa depan; periksa tanggal di ponsel.",
                    ),
                ));
                None
            }
            t => t,
        },
    };
    let outcome = match item.outcome.as_deref() {
        None => {
            v.push(FieldError::required("outcome"));
            None
        }
        Some(s) => v.check(Outcome::parse("outcome", s)),
    };
    let failure_reason = item
        .failure_reason
        .as_deref()
        .and_then(|s| v.check(FailureReason::parse("failure_reason", s)));
    match (outcome, item.failure_reason.is_some()) {
        (Some(Outcome::Failed), false) => v.push(FieldError::required("failure_reason")),
        (Some(Outcome::Activated), true) => v.push(FieldError::new(
            "failure_reason",
            "not_allowed",
            Msg::new(
                "Only a failed attempt has a failure reason.",
                "Hanya percobaan yang gagal yang memiliki alasan kegagalan.",
            ),
        )),
        _ => {}
    }
    let age_band = item
        .age_band
        .as_deref()
        .and_then(|s| v.check(AgeBand::parse("age_band", s)));
    let sex = item
        .sex
        .as_deref()
        .and_then(|s| v.check(Sex::parse("sex", s)));
    let area_code = item
        .area_code
        .as_deref()
        .and_then(|s| v.check(AreaCode::parse("area_code", s)));
    let nik = item
        .nik
        .as_deref()
        .and_then(|s| v.check(Nik::parse("nik", s)));
    v.finish()?;
    let (Some(id), Some(event_id), Some(staff_id), Some(recorded_at), Some(outcome)) =
        (id, event_id, staff_id, recorded_at, outcome)
    else {
        return Err(AppError::internal(anyhow::anyhow!(
            "validated sync item lost a field"
        )));
    };
    if user.role == Role::FieldStaff && staff_id != user.id {
        return Err(AppError::Forbidden(Msg::new(
            "Field staff record activations for themselves only.",
            "Petugas lapangan hanya mencatat aktivasi untuk dirinya sendiri.",
        )));
    }
    let mut p = Prepared {
        id,
        event_id,
        staff_id,
        recorded_at,
        outcome,
        failure_reason,
        age_band,
        sex,
        area_code,
        nik_hash: nik.as_ref().map(|n| n.keyed_hash(nik_key)),
        home_district: nik.as_ref().map(Nik::home_district),
        content_hash: String::new(),
    };
    p.hash();
    Ok(p)
}

/// The item's id as the results show it: only when it is a UUID (a client could put
/// anything there, even a NIK).
pub fn result_id(value: &serde_json::Value) -> Option<String> {
    value
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .map(|u| u.to_string())
}

fn approved_event() -> AppError {
    AppError::Conflict(Msg::new(
        "The event is approved; it takes no new activations.",
        "Kegiatan sudah disetujui; tidak menerima aktivasi baru.",
    ))
}

fn not_office_staff() -> AppError {
    AppError::validation(
        "staff_id",
        "not_office_staff",
        Msg::new(
            "The staff member must belong to the event's office.",
            "Petugas harus berasal dari kantor penyelenggara kegiatan.",
        ),
    )
}

/// Stores a batch; one verdict per item, in order. `created` and `duplicate` are given
/// only once the transaction has committed.
pub async fn sync(
    state: &AppState,
    user: &AuthUser,
    items: Vec<serde_json::Value>,
) -> Result<Vec<Verdict>, AppError> {
    if items.len() > MAX_BATCH {
        return Err(AppError::validation(
            "items",
            "too_many",
            Msg::new(
                format!("At most {MAX_BATCH} items a request; split the batch."),
                format!("Paling banyak {MAX_BATCH} item per permintaan; pecah kirimannya."),
            ),
        ));
    }
    let started = std::time::Instant::now();
    let now = crate::db::now();
    let key = state.nik_key.expose_secret();
    let prepared: Vec<Result<Prepared, AppError>> = items
        .into_iter()
        .map(|v| prepare(v, user, key, now))
        .collect();
    if prepared.iter().all(Result::is_err) {
        // Nothing to store: no transaction (and no write lock) needed.
        return Ok(prepared
            .into_iter()
            .filter_map(Result::err)
            .map(Verdict::Rejected)
            .collect());
    }
    let user = user.clone();
    let prepared_in = started.elapsed();
    // Grouped: concurrent batches share one transaction and one commit (one fsync); each
    // batch still runs alone in its own savepoint and is answered only after the commit.
    let (verdicts, locked_at, work) = state
        .db
        .write_grouped(move |c, tail| {
            let locked_at = started.elapsed();
            let t = std::time::Instant::now();
            store(c, &user, prepared, tail).map(|v| (v, locked_at, t.elapsed()))
        })
        .await?;
    tracing::debug!(
        items = verdicts.len(),
        prepare_us = prepared_in.as_micros() as u64,
        wait_us = (locked_at - prepared_in).as_micros() as u64,
        work_us = work.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "sync batch stored"
    );
    Ok(verdicts)
}

/// The transaction of a sync batch; its roll-up changes go to the group's `tail`.
fn store(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    prepared: Vec<Result<Prepared, AppError>>,
    tail: &mut crate::db::Tail,
) -> Result<Vec<Verdict>, AppError> {
    let scope = user.scope();
    let ok = || prepared.iter().filter_map(|p| p.as_ref().ok());
    let mut event_ids: Vec<String> = ok().map(|p| p.event_id.clone()).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let ids: Vec<String> = ok().map(|p| p.id.clone()).collect();
    let mut staff_ids: Vec<String> = ok().map(|p| p.staff_id.clone()).collect();
    staff_ids.sort_unstable();
    staff_ids.dedup();

    let area_codes: Vec<String> = ok()
        .filter_map(|p| p.area_code.as_ref().map(|a| a.as_str().to_string()))
        .collect();

    let events = repo::events_for_sync(c, &event_ids, &user.office)?;
    let existing = repo::existing_hashes(c, &ids)?;
    // The caller's own office is known; only other staff members are looked up.
    staff_ids.retain(|id| *id != user.id);
    let mut staff = repo::staff_offices(c, &staff_ids)?;
    staff.insert(user.id.clone(), user.office.id.clone());
    // One lookup for the whole batch's area codes (none when no item has one).
    let known_areas = if area_codes.is_empty() {
        HashSet::new()
    } else {
        crate::areas::repo::known_localities(c, &area_codes)?
    };

    let now = crate::db::now();
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(prepared.len());
    let mut rows: Vec<(usize, Activation)> = Vec::new();
    let mut accepted: HashMap<String, String> = HashMap::new();
    // (event, office, id) of each item answered `conflict`, for the audit trail.
    let mut conflicts: Vec<(String, String, String)> = Vec::new();
    for (i, p) in prepared.into_iter().enumerate() {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                verdicts.push(Verdict::Rejected(e));
                continue;
            }
        };
        let Some((event, office)) = events.get(&p.event_id).filter(|(_, o)| scope.contains(o))
        else {
            verdicts.push(Verdict::Rejected(AppError::NotFound));
            continue;
        };
        if let Some(stored) = existing.get(&p.id).or_else(|| accepted.get(&p.id)) {
            verdicts.push(if *stored == p.content_hash {
                Verdict::Duplicate
            } else {
                conflicts.push((event.id.clone(), event.office_id.clone(), p.id.clone()));
                Verdict::Conflict
            });
            continue;
        }
        if staff.get(&p.staff_id) != Some(&event.office_id) {
            verdicts.push(Verdict::Rejected(not_office_staff()));
            continue;
        }
        if let Some(a) = &p.area_code {
            let problem = if !a.is_within(&office.code) {
                Some(AreaCode::outside_error("area_code"))
            } else if !known_areas.contains(a.as_str()) {
                Some(AreaCode::unknown_error("area_code"))
            } else {
                None
            };
            if let Some(e) = problem {
                verdicts.push(Verdict::Rejected(AppError::Validation(vec![e])));
                continue;
            }
        }
        if event.status == EventStatus::Approved {
            verdicts.push(Verdict::Rejected(approved_event()));
            continue;
        }
        accepted.insert(p.id.clone(), p.content_hash.clone());
        verdicts.push(Verdict::Created);
        rows.push((
            i,
            Activation {
                local_date: crate::domain::TimeZone(office.tz()).local_date(p.recorded_at),
                id: p.id,
                event_id: event.id.clone(),
                office_id: event.office_id.clone(),
                channel_key: event.channel_key.clone(),
                staff_id: p.staff_id,
                recorded_at: p.recorded_at,
                outcome: p.outcome,
                failure_reason: p.failure_reason.map(|r| r.as_str().to_string()),
                age_band: p.age_band.map(|a| a.as_str().to_string()),
                sex: p.sex.map(|s| s.as_str().to_string()),
                area_code: p.area_code.map(AreaCode::into_string),
                nik_hash: p.nik_hash,
                home_district: p.home_district,
                repeat_citizen: false,
                content_hash: p.content_hash,
                voided_at: None,
                voided_by: None,
                void_reason: None,
                created_by: user.id.clone(),
                created_at: now,
            },
        ));
    }
    if rows.is_empty() {
        audit_conflicts(c, user, &conflicts)?;
        return Ok(verdicts);
    }

    // Repeat citizens: the first activated item claims the (office, NIK hash) key; whoever
    // holds the claim afterwards is the citizen's first activation, everyone else a repeat.
    let mut claims: Vec<Citizen> = Vec::new();
    let mut claimed_keys: HashSet<(String, String)> = HashSet::new();
    for (_, r) in &rows {
        if let (Some(h), Outcome::Activated) = (&r.nik_hash, r.outcome) {
            if claimed_keys.insert((r.office_id.clone(), h.clone())) {
                claims.push(Citizen {
                    office_id: r.office_id.clone(),
                    nik_hash: h.clone(),
                    first_activation_id: r.id.clone(),
                });
            }
        }
    }
    claims.sort_unstable_by(|a, b| (&a.office_id, &a.nik_hash).cmp(&(&b.office_id, &b.nik_hash)));
    let mut ours: HashSet<(String, String)> = HashSet::new();
    if !claims.is_empty() {
        ours = repo::claim_citizens(c, &claims)?.into_iter().collect();
        // A claim that went in names this batch's item; only the others are read back.
        let mut firsts: HashMap<(String, String), String> = claims
            .iter()
            .filter(|k| ours.contains(&(k.office_id.clone(), k.nik_hash.clone())))
            .map(|k| {
                (
                    (k.office_id.clone(), k.nik_hash.clone()),
                    k.first_activation_id.clone(),
                )
            })
            .collect();
        let others: Vec<(String, String)> = claimed_keys
            .into_iter()
            .filter(|k| !ours.contains(k))
            .collect();
        firsts.extend(repo::first_activations(c, &others)?);
        for (_, r) in rows.iter_mut() {
            if let (Some(h), Outcome::Activated) = (&r.nik_hash, r.outcome) {
                let key = (r.office_id.clone(), h.clone());
                r.repeat_citizen = firsts.get(&key).is_some_and(|first| *first != r.id);
            }
        }
    }

    // Rows go in id order (and claims in key order): two transactions inserting
    // overlapping batches then wait on each other in one direction only, never deadlock.
    let mut to_insert: Vec<Activation> = rows.iter().map(|(_, r)| r.clone()).collect();
    to_insert.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let expected = to_insert.len();
    // What goes in enters the report tallies in this same transaction (at its end, merged
    // with the rest of the group), so reports never disagree with the stored rows.
    let inserted: HashSet<String> = repo::insert_new(c, to_insert, Sink::AtGroupEnd(tail))?
        .into_iter()
        .collect();
    if inserted.len() != expected {
        // PostgreSQL only: another transaction stored some ids since our read. Classify
        // them as a retry would, and give back citizen claims made for them.
        let lost: Vec<String> = rows
            .iter()
            .filter(|(_, r)| !inserted.contains(&r.id))
            .map(|(_, r)| r.id.clone())
            .collect();
        let stored = repo::existing_hashes(c, &lost)?;
        for (i, r) in &rows {
            if inserted.contains(&r.id) {
                continue;
            }
            verdicts[*i] = match stored.get(&r.id) {
                Some(h) if *h == r.content_hash => Verdict::Duplicate,
                _ => {
                    conflicts.push((r.event_id.clone(), r.office_id.clone(), r.id.clone()));
                    Verdict::Conflict
                }
            };
            if let Some(h) = &r.nik_hash {
                if ours.contains(&(r.office_id.clone(), h.clone())) {
                    repo::release_citizen(c, &r.office_id, h, &r.id)?;
                }
            }
        }
    }

    // One audit entry per event of the batch, listing what it stored.
    let mut per_event: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (_, r) in rows.iter().filter(|(_, r)| inserted.contains(&r.id)) {
        match per_event.iter_mut().find(|(e, _, _)| *e == r.event_id) {
            Some((_, _, ids)) => ids.push(&r.id),
            None => per_event.push((&r.event_id, &r.office_id, vec![&r.id])),
        }
    }
    for (event_id, office_id, ids) in per_event {
        audit::record(
            c,
            AuditEvent {
                actor_id: Some(&user.id),
                office_id: Some(office_id),
                action: "activations_synced",
                subject_type: "event",
                subject_id: Some(event_id),
                detail: Some(serde_json::json!({ "count": ids.len(), "activation_ids": ids })),
                client_addr: None,
            },
        )?;
    }
    audit_conflicts(c, user, &conflicts)?;
    Ok(verdicts)
}

/// One audit entry per event for the items of a batch answered `conflict`: an id re-sent
/// with other content is a phone bug, or someone probing stored records; either way the
/// office should be able to see who did it and how often.
fn audit_conflicts(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    conflicts: &[(String, String, String)],
) -> Result<(), AppError> {
    let mut per_event: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (event_id, office_id, id) in conflicts {
        match per_event.iter_mut().find(|(e, _, _)| e == event_id) {
            Some((_, _, ids)) => ids.push(id),
            None => per_event.push((event_id, office_id, vec![id])),
        }
    }
    for (event_id, office_id, ids) in per_event {
        audit::record(
            c,
            AuditEvent {
                actor_id: Some(&user.id),
                office_id: Some(office_id),
                action: "sync_conflict",
                subject_type: "event",
                subject_id: Some(event_id),
                detail: Some(serde_json::json!({ "count": ids.len(), "activation_ids": ids })),
                client_addr: None,
            },
        )?;
    }
    Ok(())
}

/// One page of an event's activations (field staff: only their own) and the page size.
pub async fn list_for_event(
    state: &AppState,
    user: &AuthUser,
    event_id: String,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<(Vec<Activation>, i64), AppError> {
    let event_id = path_id(&event_id)?;
    let mut v = Validator::new();
    let limit = v.check(pagination::limit(limit)).unwrap_or_default();
    let after = v
        .check(pagination::decode_cursor(cursor.as_deref(), 2))
        .flatten()
        .and_then(|k| v.check(decode_instant_key(&k)));
    v.finish()?;
    let scope = user.scope();
    let own = (!user.role.is_supervisor()).then(|| user.id.clone());
    let rows = state
        .db
        .read(move |c| {
            match crate::events::repo::find_with_office(c, &event_id)? {
                Some((_, office)) if scope.contains(&office) => {}
                _ => return Err(AppError::NotFound),
            }
            repo::of_event(c, &event_id, own.as_deref(), after, limit + 1)
        })
        .await?;
    Ok((rows, limit))
}

pub async fn void(
    state: &AppState,
    user: &AuthUser,
    id: String,
    reason: Option<String>,
) -> Result<Activation, AppError> {
    let id = path_id(&id)?;
    let mut v = Validator::new();
    let reason = v.check(crate::domain::required_text(
        "reason",
        reason.as_deref().unwrap_or(""),
        500,
    ));
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let user = user.clone();
    state
        .db
        .write(move |c| {
            let activation = repo::find(c, &id)?.ok_or(AppError::NotFound)?;
            let (event, _) = in_scope_locked(c, &user.scope(), &activation.event_id)?;
            if !user.role.is_supervisor() && activation.staff_id != user.id {
                return Err(AppError::Forbidden(Msg::new(
                    "Only the staff member who recorded it, a supervisor or an admin may void an activation.",
                    "Hanya petugas yang mencatatnya, supervisor atau admin yang boleh membatalkan aktivasi.",
                )));
            }
            if activation.voided_at.is_some() {
                return Ok(activation);
            }
            if event.status == EventStatus::Approved {
                return Err(AppError::Conflict(Msg::new(
                    "The event is approved; its activations can no longer be voided.",
                    "Kegiatan sudah disetujui; aktivasinya tidak dapat dibatalkan lagi.",
                )));
            }
            let now = crate::db::now();
            let Some(voided) = repo::void(c, &activation, &user.id, &reason, now)? else {
                return repo::find(c, &id)?.ok_or(AppError::NotFound);
            };
            let promoted = voided.promoted;
            audit::record(
                c,
                AuditEvent {
                    actor_id: Some(&user.id),
                    office_id: Some(&event.office_id),
                    action: "activation_voided",
                    subject_type: "activation",
                    subject_id: Some(&activation.id),
                    detail: Some(serde_json::json!({
                        "event_id": event.id,
                        "reason": reason,
                        "promoted_first_activation": promoted,
                    })),
                    client_addr: None,
                },
            )?;
            repo::find(c, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

#[cfg(test)]
mod tests {
    //! A sync item is whatever JSON a phone sends: `prepare` never panics, and refuses with
    //! a clear answer (field errors naming the item's fields, a malformed item, or field
    //! staff recording for someone else), never an internal error.
    use super::*;
    use crate::offices::repo::Office;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const FIELDS: &[&str] = &[
        "id",
        "event_id",
        "staff_id",
        "recorded_at",
        "outcome",
        "failure_reason",
        "age_band",
        "sex",
        "area_code",
        "nik",
    ];

    fn user() -> AuthUser {
        AuthUser {
            id: "0190c1a2-0000-7000-8000-000000000001".into(),
            username: "petugas".into(),
            full_name: "Petugas".into(),
            role: Role::FieldStaff,
            office: Office {
                id: "00000000-0000-4000-8000-000000000001".into(),
                code: "63.01".into(),
                name: "Tanah Laut".into(),
                level: "regency".into(),
                parent_id: None,
                timezone: "Asia/Makassar".into(),
                path: "/00000000-0000-4000-8000-000000000001/".into(),
                created_at: NaiveDateTime::default(),
                updated_at: NaiveDateTime::default(),
            },
        }
    }

    /// Values a field might hold: plausible ones, near misses and junk of every JSON type.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,24}".prop_map(Value::from),
            prop_oneof![
                Just("0190c1a2-0000-7000-8000-000000000001"),
                Just("0190c1a2-0000-7000-8000-0000000000ff"),
                Just("2024-03-18T10:15:00+08:00"),
                Just("9999-12-31T23:59:59-23:59"),
                Just("activated"),
                Just("failed"),
                Just("no_smartphone"),
                Just("25-39"),
                Just("female"),
                Just("63.01.01.2001"),
                Just("6301015203900001"),
                Just("6301019903900001"),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                proptest::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn item() -> impl Strategy<Value = Value> {
        let known = proptest::collection::btree_map(
            proptest::sample::select(FIELDS.to_vec()).prop_map(str::to_string),
            value(),
            0..FIELDS.len(),
        );
        prop_oneof![
            8 => known.prop_map(|m| Value::Object(m.into_iter().collect())),
            1 => value(),
            1 => ("[a-z_]{1,12}", value()).prop_map(|(k, v)| json!({ k: v })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_json_as_a_sync_item(item in item()) {
            let now = crate::db::now();
            match prepare(item, &user(), b"key", now) {
                Ok(p) => prop_assert_eq!(p.content_hash.len(), 64),
                Err(AppError::Validation(errors)) => {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert!(FIELDS.contains(&e.field.as_str()), "{}", e.field);
                        prop_assert!(!e.code.is_empty());
                        prop_assert!(!e.message.en.is_empty() && !e.message.id.is_empty());
                    }
                }
                Err(AppError::Malformed(_)) | Err(AppError::Forbidden(_)) => {}
                Err(other) => prop_assert!(false, "unexpected: {other:?}"),
            }
        }
    }
}
