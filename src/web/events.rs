//! Events: the list with filters and paging, one event's review page (its yield, staff
//! hours and attempts), and the supervisor's approve ("Setujui") and return with a comment
//! ("Kembalikan").

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::fmt;
use super::page::{self, get, Ctx};
use super::reports::{labels, table};
use crate::domain::{EventStatus, Role};
use crate::error::AppError;
use crate::events::dto::ListEventsQuery;
use crate::events::service::{self, Review};
use crate::reports::sheets::{Cell, Labels, Sheet, ToSheets};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    ctx: Ctx,
    offices: Vec<(String, String, bool)>,
    statuses: Vec<(String, String, bool)>,
    channels: Vec<(String, String, bool)>,
    from: String,
    to: String,
    table: String,
    next: String,
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let session = match page::require_session(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "events");
    let lang = ctx.lang;
    let user = &session.user;
    let q = page::query(&req);
    let office_id = get(&q, "office_id");
    let status = get(&q, "status");
    let channel_key = get(&q, "channel_key");
    let listed = service::list(
        &state,
        user,
        ListEventsQuery {
            office_id: office_id.clone(),
            channel_key: channel_key.clone(),
            status: status.clone(),
            from: get(&q, "from"),
            to: get(&q, "to"),
            limit: Some(PAGE_SIZE),
            cursor: get(&q, "cursor"),
        },
    )
    .await;
    let (mut rows, limit) = match listed {
        Ok(x) => x,
        Err(e) => return page::error(ctx, e),
    };
    let labels = labels(&state, user, lang).await;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => {
            let key = crate::pagination::encode_instant_key(last.starts_at, &last.id);
            let cursor = crate::pagination::encode_cursor(
                &key.iter().map(String::as_str).collect::<Vec<_>>(),
            );
            let mut params: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| k.as_str() != "cursor")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.sort();
            params.push(("cursor".into(), cursor));
            format!(
                "/app/events?{}",
                serde_urlencoded::to_string(&params).unwrap_or_default()
            )
        }
        _ => String::new(),
    };
    let offices = office_names(&state, user).await;
    let mut sheet = Sheet {
        name: ctx.t("Kegiatan", "Events").to_string(),
        columns: vec![
            ctx.t("Tanggal", "Date").into(),
            ctx.t("Kegiatan", "Event").into(),
            ctx.t("Kanal", "Channel").into(),
            ctx.t("Kantor", "Office").into(),
            ctx.t("Status", "Status").into(),
        ],
        rows: Vec::new(),
    };
    let mut links = Vec::new();
    for e in &rows {
        sheet.rows.push(vec![
            Cell::Date(e.local_date),
            Cell::Text(e.title.clone()),
            Cell::Text(labels.channel(&e.channel_key)),
            Cell::Text(
                offices
                    .iter()
                    .find(|(id, _, _)| *id == e.office_id)
                    .map(|(_, n, _)| n.clone())
                    .unwrap_or_default(),
            ),
            Cell::Text(labels.status(e.status.as_str())),
        ]);
        links.push(format!("/app/events/{}", e.id));
    }
    // The title links to the event's page: the one cell rendered here rather than as text.
    let mut html = table(&sheet, lang);
    for (e, href) in rows.iter().zip(&links) {
        let cell = format!("<td>{}</td>", fmt::esc(&e.title));
        let linked = format!("<td><a href=\"{href}\">{}</a></td>", fmt::esc(&e.title));
        html = html.replacen(&cell, &linked, 1);
    }
    let statuses = ["submitted", "returned", "approved", "open"]
        .iter()
        .map(|s| {
            (
                s.to_string(),
                labels.status(s),
                status.as_deref() == Some(*s),
            )
        })
        .collect();
    let channels = crate::channels::BUILTIN
        .iter()
        .map(|(k, _, _)| k.to_string())
        .chain(labels.channels.keys().cloned())
        .map(|k| {
            let selected = channel_key.as_deref() == Some(k.as_str());
            let name = labels.channel(&k);
            (k, name, selected)
        })
        .collect();
    page::ok(&EventsPage {
        offices: offices
            .into_iter()
            .map(|(id, name, _)| {
                let selected = office_id.as_deref() == Some(id.as_str());
                (id, name, selected)
            })
            .collect(),
        statuses,
        channels,
        from: get(&q, "from").unwrap_or_default(),
        to: get(&q, "to").unwrap_or_default(),
        table: html,
        next,
        ctx,
    })
}

/// The offices in the caller's scope: id, "code · name".
async fn office_names(
    state: &AppState,
    user: &crate::auth::AuthUser,
) -> Vec<(String, String, bool)> {
    super::admin::offices_in_scope(state, user)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|o| (o.id, format!("{} · {}", o.code, o.name), false))
        .collect()
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    ctx: Ctx,
    id: String,
    title: String,
    facts: Vec<(String, String)>,
    status: String,
    comment: String,
    can_review: bool,
    notice: String,
    figures: Vec<(String, String)>,
    tables: Vec<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let session = match page::require_session(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "events");
    let q = page::query(&req);
    let notice = match q.get("done").map(String::as_str) {
        Some("approved") => ctx.t(
            "Laporan kegiatan disetujui.",
            "The event report was approved.",
        ),
        Some("returned") => ctx.t(
            "Laporan kegiatan dikembalikan dengan komentar.",
            "The event report was returned with a comment.",
        ),
        _ => "",
    }
    .to_string();
    match event_page(&state, &session.user, ctx.clone(), id.into_inner(), notice).await {
        Ok(p) => page::ok(&p),
        Err(e) => page::error(ctx, e),
    }
}

async fn event_page(
    state: &AppState,
    user: &crate::auth::AuthUser,
    ctx: Ctx,
    id: String,
    notice: String,
) -> Result<EventPage, AppError> {
    let lang = ctx.lang;
    let event = service::get(state, user, id.clone()).await?;
    let office = crate::offices::service::get(state, user, event.office_id.clone()).await?;
    let tz: chrono_tz::Tz = office.timezone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let yielded = crate::reports::service::event_yield(state, user.clone(), id.clone()).await?;
    let staff = service::list_staff(state, user, id.clone()).await?;
    let (attempts, _) =
        crate::activations::service::list_for_event(state, user, id.clone(), Some(500), None)
            .await?;
    let labels: Labels = labels(state, user, lang).await;
    let names: HashMap<String, String> = staff
        .iter()
        .map(|s| (s.user_id.clone(), s.full_name.clone()))
        .collect();
    let name_of = |uid: &str| {
        names
            .get(uid)
            .cloned()
            .unwrap_or_else(|| uid.chars().take(8).collect())
    };
    let local = |t: chrono::NaiveDateTime| t.and_utc().with_timezone(&tz);
    let starts = local(event.starts_at);
    let ends = local(event.ends_at);
    let mut facts = vec![
        (
            ctx.t("Kanal", "Channel").to_string(),
            labels.channel(&event.channel_key),
        ),
        (ctx.t("Kantor", "Office").to_string(), office.name.clone()),
        (
            ctx.t("Waktu", "When").to_string(),
            format!(
                "{}, {}–{}",
                fmt::date(starts.date_naive(), lang),
                starts.format("%H:%M"),
                ends.format("%H:%M")
            ),
        ),
    ];
    if let Some(v) = &event.venue {
        facts.push((ctx.t("Tempat", "Venue").into(), v.clone()));
    }
    if let Some(c) = event.cost_idr {
        facts.push((ctx.t("Biaya", "Cost").into(), fmt::money(c as f64, lang)));
    }
    if let Some(n) = &event.notes {
        facts.push((ctx.t("Catatan", "Notes").into(), n.clone()));
    }
    let na = || "–".to_string();
    let figures = vec![
        (
            ctx.t("Aktivasi", "Activations").to_string(),
            fmt::int(yielded.activated, lang),
        ),
        (
            ctx.t("Gagal", "Failed").to_string(),
            fmt::int(yielded.failed, lang),
        ),
        (
            ctx.t("Tingkat keberhasilan", "Success rate").to_string(),
            yielded
                .success_rate
                .map(|r| fmt::fraction(r, lang))
                .unwrap_or_else(na),
        ),
        (
            ctx.t("Jam petugas", "Staff hours").to_string(),
            yielded
                .staff_hours
                .map(|h| fmt::dec(h, 1, lang))
                .unwrap_or_else(na),
        ),
        (
            ctx.t("Aktivasi per jam petugas", "Activations per staff-hour")
                .to_string(),
            yielded
                .activations_per_staff_hour
                .map(|h| fmt::dec(h, 2, lang))
                .unwrap_or_else(na),
        ),
        (
            ctx.t("Biaya per aktivasi", "Cost per activation")
                .to_string(),
            yielded
                .cost_per_activation_idr
                .map(|c| fmt::money(c, lang))
                .unwrap_or_else(na),
        ),
    ];
    let mut sheets = yielded.sheets(&labels);
    // Staff by name rather than id, with the hours they logged.
    if let Some(staff_sheet) = sheets.get_mut(1) {
        for row in &mut staff_sheet.rows {
            if let Some(Cell::Text(uid)) = row.first() {
                let n = name_of(uid);
                row[0] = Cell::Text(n);
            }
        }
    }
    let mut tried = Sheet {
        name: ctx.t("Percobaan aktivasi", "Activation attempts").into(),
        columns: vec![
            ctx.t("Waktu", "Time").into(),
            ctx.t("Hasil", "Outcome").into(),
            ctx.t("Alasan gagal", "Failure reason").into(),
            ctx.t("Petugas", "Staff").into(),
            ctx.t("Kelompok umur", "Age band").into(),
            ctx.t("Keterangan", "Note").into(),
        ],
        rows: Vec::new(),
    };
    for a in &attempts {
        let t = local(a.recorded_at);
        let outcome = match a.outcome.as_str() {
            "activated" => ctx.t("Berhasil", "Activated"),
            _ => ctx.t("Gagal", "Failed"),
        };
        let note = if a.voided_at.is_some() {
            ctx.t("Dibatalkan", "Voided")
        } else if a.repeat_citizen {
            ctx.t(
                "Warga yang sama, tidak dihitung lagi",
                "Same citizen, not counted again",
            )
        } else {
            ""
        };
        tried.rows.push(vec![
            Cell::Text(format!(
                "{} {}",
                fmt::short_date(t.date_naive(), lang),
                t.format("%H:%M")
            )),
            Cell::Text(outcome.into()),
            a.failure_reason
                .as_deref()
                .map_or(Cell::Empty, |r| Cell::Text(labels.reason(r))),
            Cell::Text(name_of(&a.staff_id)),
            a.age_band
                .as_deref()
                .map_or(Cell::Empty, |b| Cell::Text(labels.age_band(b))),
            Cell::Text(note.into()),
        ]);
    }
    sheets.push(tried);
    Ok(EventPage {
        id,
        title: event.title.clone(),
        facts,
        status: labels.status(event.status.as_str()),
        comment: event.review_comment.clone().unwrap_or_default(),
        can_review: event.status == EventStatus::Submitted
            && user.role.rank() >= Role::Supervisor.rank(),
        notice,
        figures,
        tables: sheets.iter().map(|s| table(s, lang)).collect(),
        ctx,
    })
}

pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    review(req, state, id.into_inner(), body, Review::Approve).await
}

pub async fn give_back(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    review(req, state, id.into_inner(), body, Review::Return).await
}

async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    body: web::Bytes,
    step: Review,
) -> HttpResponse {
    let (session, form) = match page::require_post(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "events");
    let comment = form.get("comment").cloned();
    match service::review(&state, &session.user, id.clone(), step, comment).await {
        Ok(_) => {
            let done = match step {
                Review::Approve => "approved",
                _ => "returned",
            };
            page::see_other(&format!("/app/events/{}?done={done}", page::urlencode(&id)))
        }
        Err(e) => page::error(ctx, e),
    }
}
