//! Report routes. Each answers JSON, CSV on `Accept: text/csv`, or an XLSX workbook on
//! `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use bytes::Bytes;

use super::csv::{respond, wants_csv, CsvRows};
use super::dto::*;
use super::service;
use super::sheets::{Labels, ToSheets};
use super::xlsx;
use crate::auth::AuthUser;
use crate::error::{responses as problem, AppResult, Lang};
use crate::state::AppState;

fn answer<T: serde::Serialize + CsvRows + ToSheets>(
    req: &HttpRequest,
    report: T,
    name: &str,
) -> AppResult<HttpResponse> {
    if xlsx::wants_xlsx(req) {
        // Spreadsheets are read by people: Indonesian headers and words for the codes.
        xlsx::respond(&report.sheets(&Labels::new(Lang::Id)), name)
    } else if wants_csv(req) {
        Ok(respond(&report, name))
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}

/// One event's yield: counted activations, failures by reason, hours, rates and cost.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_event_yield",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The yield", content((YieldResponse = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::Unauthorized,
        problem::NotFound,
    )
)]
#[get("/events/{id}/yield")]
pub async fn get_event_yield(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::event_yield(&state, user, path.into_inner()).await?;
    answer(&req, report, "yield")
}

/// Compare channels over a period: one row per channel with events, best
/// activations per staff-hour first. Covers the office and every office below it.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_channels_report",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Channel rows", content((ChannelsReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/channels")]
pub async fn get_channels_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<PeriodQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::channels(&state, user, q.into_inner()).await?;
    answer(&req, report, "channels")
}

/// Progress against the year's target, with the 28-day rate and the projected date.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_progress_report",
    params(ProgressQuery),
    responses(
        (status = 200, description = "Progress", content((ProgressReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/progress")]
pub async fn get_progress_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<ProgressQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::progress(&state, user, q.into_inner()).await?;
    answer(&req, report, "progress")
}

/// Activations and failures per local day, week (from Monday) or month, in the office's
/// time zone.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_daily_report",
    params(DailyQuery),
    responses(
        (status = 200, description = "Series", content((DailyReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/daily")]
pub async fn get_daily_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<DailyQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::daily(&state, user, q.into_inner()).await?;
    answer(&req, report, "daily")
}

/// Per staff member: events, hours, activations, failures, rates, top failure reason.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_staff_report",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Staff rows", content((StaffReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/staff")]
pub async fn get_staff_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<PeriodQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::staff(&state, user, q.into_inner()).await?;
    answer(&req, report, "staff")
}

/// Compare the offices directly below one (a province's regencies, the nation's
/// provinces): activity in the period and achievement of the year's target, ranked.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_offices_report",
    params(OfficesQuery),
    responses(
        (status = 200, description = "Office rows", content((OfficesReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/offices")]
pub async fn get_offices_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<OfficesQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::offices(&state, user, q.into_inner()).await?;
    answer(&req, report, "offices")
}

/// Why attempts fail: by reason, by channel and by age band.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_failures_report",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Breakdown", content((FailuresReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/failures")]
pub async fn get_failures_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<PeriodQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::failures(&state, user, q.into_inner()).await?;
    answer(&req, report, "failures")
}

/// Which districts and villages of the office's region its events reached in the period,
/// and which villages none did (to plan the next Tilik Desa).
///
/// Every district and village of the office's region (its code: a regency's, a province's
/// regencies', or for the national office the whole country's), each with the period's
/// events of the office and the offices below it (by the event's local date and its
/// `area_code`; a district counts its own events and its villages'), their counted
/// activations and failures, and the date of the latest visit; a summary, and the villages
/// never visited. CSV: one row per district and village, in code order.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_coverage_report",
    params(PeriodQuery),
    responses(
        (status = 200, description = "Coverage", content((CoverageReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        problem::Unauthorized,
        problem::NotFound,
        problem::Unprocessable,
    )
)]
#[get("/reports/coverage")]
pub async fn get_coverage_report(
    state: web::Data<AppState>,
    user: AuthUser,
    q: crate::extract::Query<PeriodQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let report = service::coverage(&state, user, q.into_inner()).await?;
    if wants_csv(&req) || xlsx::wants_xlsx(&req) {
        return answer(&req, report, "coverage");
    }
    // The nation's report lists some 84,000 villages (about 20 MB of JSON): it is written
    // out as it is sent, never held whole as text.
    Ok(stream_json(report))
}

/// A JSON answer serialized while it is sent, a few buffers at a time, on a blocking
/// thread; a client that goes away stops the serialization.
fn stream_json<T: serde::Serialize + Send + 'static>(value: T) -> HttpResponse {
    use std::io::Write;

    struct Sender(tokio::sync::mpsc::Sender<Bytes>);
    impl Write for Sender {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0
                .blocking_send(Bytes::copy_from_slice(data))
                .map_err(|_| std::io::Error::other("client went away"))?;
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const BUFFER: usize = 64 * 1024;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    actix_web::rt::task::spawn_blocking(move || {
        let mut w = std::io::BufWriter::with_capacity(BUFFER, Sender(tx));
        let written = serde_json::to_writer(&mut w, &value).map_err(std::io::Error::from);
        if let Err(e) = written.and_then(|()| w.flush()) {
            // The answer is cut short; the client sees invalid JSON, never a wrong value.
            tracing::debug!(error = %e, "streamed answer not finished");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<Bytes, actix_web::Error>(chunk), rx))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_event_yield)
        .service(get_channels_report)
        .service(get_progress_report)
        .service(get_daily_report)
        .service(get_staff_report)
        .service(get_offices_report)
        .service(get_failures_report)
        .service(get_coverage_report);
}
