//! The report pages (`/app/reports/{kind}`) and their downloads: each a chart and a table of
//! the same figures, from the same services as the API, with the API's query parameters.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate};

use super::chart::{self, Bar, Column};
use super::fmt;
use super::page::{self, get, Ctx};
use crate::auth::AuthUser;
use crate::error::{AppError, FieldError, Lang};
use crate::reports::dto::*;
use crate::reports::service;
use crate::reports::sheets::{Cell, Labels, Sheet, ToSheets};
use crate::state::AppState;

/// The report pages, in menu order: path segment, Indonesian and English titles.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("channels", "Perbandingan kanal", "Channels compared"),
    ("progress", "Capaian target", "Progress against the target"),
    ("daily", "Tren aktivasi", "Activation trend"),
    ("failures", "Alasan gagal", "Why attempts fail"),
    ("staff", "Kinerja petugas", "Staff activity"),
    ("offices", "Perbandingan kantor", "Offices compared"),
    ("coverage", "Cakupan wilayah", "Area coverage"),
];

/// A computed report of any kind.
pub enum Report {
    Channels(ChannelsReport),
    Progress(ProgressReport),
    Daily(DailyReport),
    Failures(FailuresReport),
    Staff(StaffReport),
    Offices(OfficesReport),
    Coverage(CoverageReport),
}

fn year(q: &HashMap<String, String>) -> Result<Option<i32>, AppError> {
    match get(q, "year") {
        None => Ok(None),
        Some(y) => y.parse::<i32>().map(Some).map_err(|_| {
            AppError::Validation(vec![FieldError::invalid(
                "year",
                "Must be a year such as 2024.",
                "Harus berupa tahun, misalnya 2024.",
            )])
        }),
    }
}

fn period(q: &HashMap<String, String>) -> PeriodQuery {
    PeriodQuery {
        office_id: get(q, "office_id"),
        from: get(q, "from"),
        to: get(q, "to"),
    }
}

/// Runs the report `kind` for the query, through the API's services.
pub async fn build(
    state: &AppState,
    user: &AuthUser,
    kind: &str,
    q: &HashMap<String, String>,
) -> Result<Report, AppError> {
    let u = user.clone();
    Ok(match kind {
        "channels" => Report::Channels(service::channels(state, u, period(q)).await?),
        "progress" => Report::Progress(
            service::progress(
                state,
                u,
                ProgressQuery {
                    office_id: get(q, "office_id"),
                    year: year(q)?,
                    as_of: get(q, "as_of"),
                },
            )
            .await?,
        ),
        "daily" => Report::Daily(
            service::daily(
                state,
                u,
                DailyQuery {
                    office_id: get(q, "office_id"),
                    from: get(q, "from"),
                    to: get(q, "to"),
                    bucket: get(q, "bucket"),
                },
            )
            .await?,
        ),
        "failures" => Report::Failures(service::failures(state, u, period(q)).await?),
        "staff" => Report::Staff(service::staff(state, u, period(q)).await?),
        "offices" => Report::Offices(
            service::offices(
                state,
                u,
                OfficesQuery {
                    office_id: get(q, "office_id"),
                    from: get(q, "from"),
                    to: get(q, "to"),
                    year: year(q)?,
                    as_of: get(q, "as_of"),
                },
            )
            .await?,
        ),
        "coverage" => Report::Coverage(service::coverage(state, u, period(q)).await?),
        _ => return Err(AppError::NotFound),
    })
}

impl Report {
    pub fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        match self {
            Report::Channels(r) => r.sheets(l),
            Report::Progress(r) => r.sheets(l),
            Report::Daily(r) => r.sheets(l),
            Report::Failures(r) => r.sheets(l),
            Report::Staff(r) => r.sheets(l),
            Report::Offices(r) => r.sheets(l),
            Report::Coverage(r) => r.sheets(l),
        }
    }

    fn csv(&self, name: &str) -> HttpResponse {
        use crate::reports::csv::respond;
        match self {
            Report::Channels(r) => respond(r, name),
            Report::Progress(r) => respond(r, name),
            Report::Daily(r) => respond(r, name),
            Report::Failures(r) => respond(r, name),
            Report::Staff(r) => respond(r, name),
            Report::Offices(r) => respond(r, name),
            Report::Coverage(r) => respond(r, name),
        }
    }

    /// The office and period the figures cover (for the picker's defaults).
    fn period(&self) -> (String, Option<(NaiveDate, NaiveDate)>) {
        match self {
            Report::Channels(r) => (r.office_id.clone(), Some((r.from, r.to))),
            Report::Progress(r) => (r.office_id.clone(), None),
            Report::Daily(r) => (r.office_id.clone(), Some((r.from, r.to))),
            Report::Failures(r) => (r.office_id.clone(), Some((r.from, r.to))),
            Report::Staff(r) => (r.office_id.clone(), Some((r.from, r.to))),
            Report::Offices(r) => (r.office_id.clone(), Some((r.from, r.to))),
            Report::Coverage(r) => (r.office_id.clone(), Some((r.from, r.to))),
        }
    }

    fn chart(&self, l: &Labels) -> String {
        let lang = l.lang;
        match self {
            Report::Channels(r) => channel_chart(r, l),
            Report::Progress(r) => r
                .achieved_percent
                .zip(r.target_percent)
                .map(|(a, t)| {
                    chart::progress(
                        l.pick("Capaian terhadap target", "Achieved against the target"),
                        a / t,
                    )
                })
                .unwrap_or_default(),
            Report::Daily(r) => trend_chart(r, l),
            Report::Failures(r) => chart::bars(
                l.pick("Percobaan gagal per alasan", "Failed attempts by reason"),
                &r.by_reason
                    .iter()
                    .map(|x| Bar {
                        label: l.reason(&x.reason),
                        value: x.failed as f64,
                        text: fmt::int(x.failed, lang),
                    })
                    .collect::<Vec<_>>(),
            ),
            Report::Staff(r) => chart::bars(
                l.pick("Aktivasi per petugas", "Activations per staff member"),
                &r.rows
                    .iter()
                    .take(15)
                    .map(|x| Bar {
                        label: x.full_name.clone().unwrap_or_else(|| x.user_id.clone()),
                        value: x.activated as f64,
                        text: fmt::int(x.activated, lang),
                    })
                    .collect::<Vec<_>>(),
            ),
            Report::Offices(r) => chart::bars(
                l.pick(
                    "Capaian target per kantor (%)",
                    "Target achieved per office (%)",
                ),
                &r.rows
                    .iter()
                    .take(40)
                    .map(|x| Bar {
                        label: x.name.clone(),
                        value: x.achieved_percent.unwrap_or(0.0),
                        text: x
                            .achieved_percent
                            .map(|p| fmt::percent(p, 2, lang))
                            .unwrap_or_else(|| "–".into()),
                    })
                    .collect::<Vec<_>>(),
            ),
            Report::Coverage(r) => chart::bars(
                l.pick("Kegiatan per kecamatan", "Events per district"),
                &r.districts
                    .iter()
                    .filter(|d| d.events > 0)
                    .take(40)
                    .map(|d| Bar {
                        label: d.name.clone(),
                        value: d.events as f64,
                        text: fmt::int(d.events, lang),
                    })
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

pub fn channel_chart(r: &ChannelsReport, l: &Labels) -> String {
    chart::bars(
        l.pick(
            "Aktivasi per jam petugas, per kanal",
            "Activations per staff-hour, by channel",
        ),
        &r.rows
            .iter()
            .map(|x| Bar {
                label: l.channel(&x.channel_key),
                value: x.activations_per_staff_hour.unwrap_or(0.0),
                text: x
                    .activations_per_staff_hour
                    .map(|v| fmt::dec(v, 2, l.lang))
                    .unwrap_or_else(|| "–".into()),
            })
            .collect::<Vec<_>>(),
    )
}

pub fn trend_chart(r: &DailyReport, l: &Labels) -> String {
    chart::columns(
        l.pick(
            "Aktivasi dan gagal per periode",
            "Activations and failures per period",
        ),
        (l.pick("Aktivasi", "Activations"), l.pick("Gagal", "Failed")),
        &r.days
            .iter()
            .map(|d| Column {
                label: fmt::short_date(d.date, l.lang),
                activated: d.activated,
                failed: d.failed,
            })
            .collect::<Vec<_>>(),
    )
}

/// A sheet as an HTML table inside its own scrolling box (a wide table never widens the page).
pub fn table(sheet: &Sheet, lang: Lang) -> String {
    let mut s = String::from("<div class=\"table-wrap\"><table>");
    s.push_str(&format!(
        "<caption>{}</caption><thead><tr>",
        fmt::esc(&sheet.name)
    ));
    let numeric: Vec<bool> = (0..sheet.columns.len())
        .map(|c| {
            sheet
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .any(|cell| cell.is_numeric() && *cell != Cell::Empty)
        })
        .collect();
    for (c, title) in sheet.columns.iter().enumerate() {
        let class = if numeric[c] { " class=\"num\"" } else { "" };
        s.push_str(&format!(
            "<th scope=\"col\"{class}>{}</th>",
            fmt::esc(title)
        ));
    }
    s.push_str("</tr></thead><tbody>");
    if sheet.rows.is_empty() {
        let msg = match lang {
            Lang::Id => "Tidak ada data pada periode ini.",
            Lang::En => "No data in this period.",
        };
        s.push_str(&format!(
            "<tr><td colspan=\"{}\">{msg}</td></tr>",
            sheet.columns.len().max(1)
        ));
    }
    for row in &sheet.rows {
        s.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            // An empty figure sits where its column's figures sit.
            let numeric = match cell {
                Cell::Empty => numeric.get(c).copied().unwrap_or(false),
                other => other.is_numeric(),
            };
            let class = if numeric { " class=\"num\"" } else { "" };
            s.push_str(&format!(
                "<td{class}>{}</td>",
                fmt::esc(&fmt::cell(cell, lang))
            ));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// Names of the caller's visible channels (the office's own ones; built-in names are known).
pub async fn labels(state: &AppState, user: &AuthUser, lang: Lang) -> Labels {
    let mut l = Labels::new(lang);
    if let Ok((rows, _)) = crate::channels::service::list(state, user, Some(500), None).await {
        for c in rows.into_iter().filter(|c| !c.builtin) {
            let name = match lang {
                Lang::Id => c.name_id,
                Lang::En => c.name,
            };
            l.channels.insert(c.key, name);
        }
    }
    l
}

/// The period picker: office, dates, presets, and the other parameters kept as they are.
pub struct Picker {
    pub action: String,
    pub offices: Vec<(String, String, bool)>,
    pub from: String,
    pub to: String,
    pub show_period: bool,
    pub show_bucket: bool,
    pub bucket: String,
    pub show_year: bool,
    pub year: String,
    pub as_of: String,
    pub presets: Vec<(String, String)>,
}

impl Picker {
    /// `period` is the one the report covered (None for progress, which takes a year).
    pub async fn new(
        state: &AppState,
        user: &AuthUser,
        lang: Lang,
        action: &str,
        q: &HashMap<String, String>,
        office_id: &str,
        period: Option<(NaiveDate, NaiveDate)>,
    ) -> Picker {
        let offices = super::admin::offices_in_scope(state, user)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|o| {
                let selected = o.id == office_id;
                (o.id, format!("{} · {}", o.code, o.name), selected)
            })
            .collect();
        let today = chrono::Utc::now()
            .with_timezone(&user.office.tz())
            .date_naive();
        let t = |id: &str, en: &str| match lang {
            Lang::Id => id.to_string(),
            Lang::En => en.to_string(),
        };
        let keep = |from: NaiveDate, to: NaiveDate| {
            let mut href = format!(
                "{action}?office_id={}&from={from}&to={to}",
                page::urlencode(office_id)
            );
            if let Some(b) = get(q, "bucket") {
                href.push_str(&format!("&bucket={}", page::urlencode(&b)));
            }
            href
        };
        let first_of_month = today.with_day(1).unwrap_or(today);
        let jan1 = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let last_jan1 = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
        let last_dec31 = NaiveDate::from_ymd_opt(today.year() - 1, 12, 31).unwrap_or(today);
        let mut presets = vec![
            (t("Bulan ini", "This month"), keep(first_of_month, today)),
            (
                t("30 hari terakhir", "Last 30 days"),
                keep(today - Duration::days(29), today),
            ),
            (t("Tahun ini", "This year"), keep(jan1, today)),
            (t("Tahun lalu", "Last year"), keep(last_jan1, last_dec31)),
        ];
        if period.is_none() {
            presets = (0..3)
                .map(|back| {
                    let y = today.year() - back;
                    (
                        y.to_string(),
                        format!("{action}?office_id={}&year={y}", page::urlencode(office_id)),
                    )
                })
                .collect();
        }
        Picker {
            action: action.to_string(),
            offices,
            from: period.map(|p| p.0.to_string()).unwrap_or_default(),
            to: period.map(|p| p.1.to_string()).unwrap_or_default(),
            show_period: period.is_some(),
            show_bucket: action.ends_with("/daily") || action == "/app/",
            bucket: get(q, "bucket").unwrap_or_else(|| "day".into()),
            show_year: period.is_none() || action.ends_with("/offices") || action == "/app/",
            year: get(q, "year").unwrap_or_default(),
            as_of: get(q, "as_of").unwrap_or_default(),
            presets,
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: Ctx,
    title: String,
    kinds: Vec<(String, String, bool)>,
    picker: Picker,
    chart: String,
    tables: Vec<String>,
    xlsx: String,
    csv: String,
}

fn title(kind: &str, lang: Lang) -> String {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, id, en)| match lang {
            Lang::Id => id.to_string(),
            Lang::En => en.to_string(),
        })
        .unwrap_or_default()
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<String>,
) -> HttpResponse {
    let session = match page::require_session(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "reports");
    let kind = kind.into_inner();
    let q = page::query(&req);
    let report = match build(&state, &session.user, &kind, &q).await {
        Ok(r) => r,
        Err(e) => return page::error(ctx, e),
    };
    let lang = ctx.lang;
    let labels = labels(&state, &session.user, lang).await;
    let (office_id, period) = report.period();
    let action = format!("/app/reports/{kind}");
    let picker = Picker::new(&state, &session.user, lang, &action, &q, &office_id, period).await;
    let query = req.query_string();
    let download = |format: &str| {
        if query.is_empty() {
            format!("{action}/download?format={format}")
        } else {
            format!("{action}/download?format={format}&{query}")
        }
    };
    let page_data = ReportPage {
        title: title(&kind, lang),
        kinds: KINDS
            .iter()
            .map(|(k, id, en)| {
                (
                    format!("/app/reports/{k}"),
                    match lang {
                        Lang::Id => id.to_string(),
                        Lang::En => en.to_string(),
                    },
                    *k == kind,
                )
            })
            .collect(),
        chart: report.chart(&labels),
        tables: report
            .sheets(&labels)
            .iter()
            .map(|s| table(s, lang))
            .collect(),
        xlsx: download("xlsx"),
        csv: download("csv"),
        picker,
        ctx,
    };
    page::ok(&page_data)
}

/// The report as a download: `format=xlsx` (default) or `csv`, with the page's parameters.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<String>,
) -> HttpResponse {
    let session = match page::require_session(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "reports");
    let kind = kind.into_inner();
    let mut q = page::query(&req);
    let format = q.remove("format").unwrap_or_else(|| "xlsx".into());
    let report = match build(&state, &session.user, &kind, &q).await {
        Ok(r) => r,
        Err(e) => return page::error(ctx, e),
    };
    let name = format!("jemput-{kind}");
    let mut res = match format.as_str() {
        "csv" => report.csv(&name),
        "xlsx" => {
            let labels = labels(&state, &session.user, ctx.lang).await;
            match crate::reports::xlsx::respond(&report.sheets(&labels), &name) {
                Ok(r) => r,
                Err(e) => return page::error(ctx, e),
            }
        }
        _ => {
            return page::error(
                ctx,
                AppError::Validation(vec![FieldError::one_of("format", &["xlsx", "csv"])]),
            )
        }
    };
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}
