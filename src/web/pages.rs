//! Sign-in, sign-out, the language switch and the overview.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::page::{self, get, Ctx};
use super::reports::{self, Picker};
use super::session;
use super::{chart, fmt};
use crate::error::{AppError, Lang};
use crate::reports::dto::*;
use crate::reports::service;
use crate::reports::sheets::ToSheets;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    username: String,
    message: String,
}

pub async fn login_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = page::query(&req);
    let next = page::local_next(q.get("next").map(String::as_str));
    // Already signed in: straight on.
    if let Ok(Some(_)) = session::current(&req, &state).await {
        return page::see_other(&next);
    }
    page::ok(&LoginPage {
        ctx: Ctx::new(&req, None, "login"),
        next,
        username: String::new(),
        message: String::new(),
    })
}

/// Signs in with the API's accounts, throttle and audit (see `auth::service::authenticate`),
/// then opens a new session: a token chosen before sign-in is never kept.
pub async fn login(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    if !super::csrf::same_origin(&req) {
        return page::forbidden_csrf(&req);
    }
    let form = page::pairs(&body);
    let username: String = form
        .get("username")
        .map(|u| u.trim().chars().take(100).collect())
        .unwrap_or_default();
    let password: String = form
        .get("password")
        .map(|p| p.chars().take(1024).collect())
        .unwrap_or_default();
    let next = page::local_next(form.get("next").map(String::as_str));
    let ctx = Ctx::new(&req, None, "login");
    let again = |ctx: Ctx, status: StatusCode, message: String, username: String| {
        page::render(
            status,
            &LoginPage {
                ctx,
                next: next.clone(),
                username,
                message,
            },
        )
    };
    if username.is_empty() || password.is_empty() {
        let m = ctx.t(
            "Isi nama pengguna dan kata sandi.",
            "Enter a username and a password.",
        );
        return again(
            ctx.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            m.into(),
            username,
        );
    }
    let addr = state.client_addr(&req);
    let previous = session::presented(&req);
    let outcome = crate::auth::service::authenticate(
        &state,
        username.clone(),
        password,
        addr,
        move |c, user| session::open(c, user, previous.as_deref()),
    )
    .await;
    match outcome {
        Ok(token) => {
            let mut res = page::see_other(&next);
            if let Err(e) = res.add_cookie(&session::cookie(&req, token)) {
                tracing::error!(error = %e, "session cookie");
            }
            res
        }
        Err(AppError::Unauthorized | AppError::BadCredentials(_)) => {
            let m = ctx.t(
                "Nama pengguna atau kata sandi salah.",
                "Wrong username or password.",
            );
            again(ctx.clone(), StatusCode::UNAUTHORIZED, m.into(), username)
        }
        Err(AppError::RateLimited { retry_after_secs }) => {
            let m = match ctx.lang {
                Lang::Id => format!(
                    "Terlalu banyak percobaan gagal. Coba lagi dalam {retry_after_secs} detik."
                ),
                Lang::En => {
                    format!("Too many failed attempts. Try again in {retry_after_secs} seconds.")
                }
            };
            let mut res = again(ctx, StatusCode::TOO_MANY_REQUESTS, m, username);
            if let Ok(v) =
                actix_web::http::header::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => page::error(ctx, e),
    }
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let (session, _) = match page::require_post(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if let Err(e) = session::close(&state, &session).await {
        return page::error(Ctx::new(&req, None, ""), e);
    }
    let mut res = HttpResponse::SeeOther();
    res.insert_header((actix_web::http::header::LOCATION, "/app/login"))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    session::clear_cookie(&req, &mut res);
    res.finish()
}

/// Remembers the language in a cookie (a year) and goes back to the page.
pub async fn switch_lang(req: HttpRequest) -> HttpResponse {
    let q = page::query(&req);
    let to = match q.get("to").map(String::as_str) {
        Some("en") => "en",
        _ => "id",
    };
    let next = match q.get("next").map(String::as_str) {
        Some("/app/login") => "/app/login".to_string(),
        n => page::local_next(n),
    };
    let mut res = page::see_other(&next);
    let cookie = Cookie::build(page::LANG_COOKIE, to)
        .path("/app")
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(session::is_tls(&req))
        .max_age(time::Duration::days(365))
        .finish();
    let _ = res.add_cookie(&cookie);
    res
}

pub async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let session = session::current(&req, &state).await.ok().flatten();
    page::error(Ctx::new(&req, session.as_ref(), ""), AppError::NotFound)
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    ctx: Ctx,
    picker: Picker,
    year: i32,
    /// "1.234 dari 77.078" and the percentage, or nothing without a target.
    achieved: String,
    achieved_percent: String,
    total: String,
    remaining: String,
    rate: String,
    projected: String,
    progress_chart: String,
    trend_chart: String,
    channel_chart: String,
    channel_table: String,
    waiting: String,
    waiting_href: String,
    period: String,
}

pub async fn overview(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let session = match page::require_session(&req, &state).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let ctx = Ctx::new(&req, Some(&session), "overview");
    let lang = ctx.lang;
    let user = &session.user;
    let q = page::query(&req);
    let year = match get(&q, "year").map(|y| y.parse::<i32>()) {
        Some(Ok(y)) => Some(y),
        Some(Err(_)) => {
            return page::error(
                ctx,
                AppError::Validation(vec![crate::error::FieldError::invalid(
                    "year",
                    "Must be a year such as 2024.",
                    "Harus berupa tahun, misalnya 2024.",
                )]),
            )
        }
        None => None,
    };
    let office_id = get(&q, "office_id");
    let progress = service::progress(
        &state,
        user.clone(),
        ProgressQuery {
            office_id: office_id.clone(),
            year,
            as_of: get(&q, "as_of"),
        },
    );
    let daily = service::daily(
        &state,
        user.clone(),
        DailyQuery {
            office_id: office_id.clone(),
            from: get(&q, "from"),
            to: get(&q, "to"),
            bucket: Some(get(&q, "bucket").unwrap_or_else(|| "week".into())),
        },
    );
    let channels = service::channels(
        &state,
        user.clone(),
        PeriodQuery {
            office_id: office_id.clone(),
            from: get(&q, "from"),
            to: get(&q, "to"),
        },
    );
    let waiting = crate::events::service::list(
        &state,
        user,
        crate::events::dto::ListEventsQuery {
            office_id: office_id.clone(),
            channel_key: None,
            status: Some("submitted".into()),
            from: None,
            to: None,
            limit: Some(500),
            cursor: None,
        },
    );
    let (progress, daily, channels, waiting) =
        match futures_util::future::try_join4(progress, daily, channels, waiting).await {
            Ok(x) => x,
            Err(e) => return page::error(ctx, e),
        };
    let labels = reports::labels(&state, user, lang).await;
    let mut q_for_picker = q.clone();
    q_for_picker
        .entry("bucket".into())
        .or_insert_with(|| "week".into());
    let picker = Picker::new(
        &state,
        user,
        lang,
        "/app/",
        &q_for_picker,
        &progress.office_id,
        Some((daily.from, daily.to)),
    )
    .await;
    let (rows, _) = waiting;
    let waiting_n = rows.len().min(500);
    let waiting = if rows.len() > 500 {
        "500+".to_string()
    } else {
        fmt::int(waiting_n as i64, lang)
    };
    let achieved = match (progress.target_activations, progress.achieved_percent) {
        (Some(target), Some(_)) => match lang {
            Lang::Id => format!(
                "{} dari {}",
                fmt::int(progress.total_activations, lang),
                fmt::int(target, lang)
            ),
            Lang::En => format!(
                "{} of {}",
                fmt::int(progress.total_activations, lang),
                fmt::int(target, lang)
            ),
        },
        _ => String::new(),
    };
    let dash = || "–".to_string();
    let page_data = Overview {
        year: progress.year,
        achieved,
        achieved_percent: progress
            .achieved_percent
            .map(|p| fmt::percent(p, 2, lang))
            .unwrap_or_else(dash),
        total: fmt::int(progress.total_activations, lang),
        remaining: progress
            .remaining
            .map(|t| fmt::int(t, lang))
            .unwrap_or_else(dash),
        rate: fmt::dec(progress.daily_rate_28d, 1, lang),
        projected: progress
            .projected_target_date
            .map(|d| fmt::date(d, lang))
            .unwrap_or_else(dash),
        progress_chart: progress
            .achieved_percent
            .zip(progress.target_percent)
            .map(|(a, t)| {
                chart::progress(
                    ctx.t("Capaian terhadap target", "Achieved against the target"),
                    a / t,
                )
            })
            .unwrap_or_default(),
        trend_chart: reports::trend_chart(&daily, &labels),
        channel_chart: reports::channel_chart(&channels, &labels),
        channel_table: channels
            .sheets(&labels)
            .first()
            .map(|s| reports::table(s, lang))
            .unwrap_or_default(),
        waiting,
        waiting_href: format!(
            "/app/events?status=submitted&office_id={}",
            page::urlencode(&progress.office_id)
        ),
        period: format!(
            "{} – {}",
            fmt::date(channels.from, lang),
            fmt::date(channels.to, lang)
        ),
        picker,
        ctx,
    };
    page::ok(&page_data)
}
