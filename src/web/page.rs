//! What every page shares: the language, the signed-in user for the header, rendering a
//! template into an answer, error pages, and reading queries and forms without ever
//! answering with a problem+json or a 500.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::session::{self, WebSession};
use crate::domain::Role;
use crate::error::{AppError, Lang};
use crate::state::AppState;

pub const LANG_COOKIE: &str = "jemput_lang";

/// The page's language: the remembered choice, Indonesian by default.
pub fn lang(req: &HttpRequest) -> Lang {
    match req.cookie(LANG_COOKIE).as_ref().map(|c| c.value()) {
        Some("en") => Lang::En,
        _ => Lang::Id,
    }
}

/// Who is signed in, as the header shows it.
#[derive(Clone)]
pub struct NavUser {
    pub full_name: String,
    pub office_name: String,
    pub is_supervisor: bool,
    pub is_admin: bool,
}

/// What the layout needs on every page.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// This page's path and query, for the language switch to come back to.
    pub here: String,
    pub section: &'static str,
    pub css: String,
}

impl Ctx {
    pub fn new(req: &HttpRequest, session: Option<&WebSession>, section: &'static str) -> Ctx {
        let here = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        Ctx {
            lang: lang(req),
            user: session.map(|s| NavUser {
                full_name: s.user.full_name.clone(),
                office_name: s.user.office.name.clone(),
                is_supervisor: s.user.role.rank() >= Role::Supervisor.rank(),
                is_admin: s.user.role == Role::Admin,
            }),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            here,
            section,
            css: super::assets::css_url(),
        }
    }

    /// The Indonesian or the English text.
    pub fn t<'a>(&self, id: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The link that switches to the other language and back to this page.
    pub fn switch_href(&self) -> String {
        let to = match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        };
        format!("/app/lang?to={to}&next={}", urlencode(&self.here))
    }

    pub fn switch_label(&self) -> &'static str {
        match self.lang {
            Lang::Id => "English",
            Lang::En => "Bahasa Indonesia",
        }
    }

    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A rendered page; pages hold personal data, so nothing is cached.
pub fn render(status: StatusCode, t: &impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Terjadi kesalahan tak terduga. / An unexpected error occurred.")
        }
    }
}

pub fn ok(t: &impl Template) -> HttpResponse {
    render(StatusCode::OK, t)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub status: u16,
    pub heading: String,
    pub detail: String,
    pub fields: Vec<(String, String)>,
}

/// The page for an error of a service: 404 for missing and out of scope alike, 403 for a
/// role that may not, 422 naming each field, 429 and 503 with `Retry-After`, and a generic
/// 500 whose cause goes to the log only.
pub fn error(ctx: Ctx, err: AppError) -> HttpResponse {
    let lang = ctx.lang;
    let t = |id: &str, en: &str| -> String {
        match lang {
            Lang::Id => id.to_string(),
            Lang::En => en.to_string(),
        }
    };
    let (heading, detail) = match &err {
        AppError::NotFound => (
            t("Halaman tidak ditemukan", "Page not found"),
            t(
                "Data yang diminta tidak ada atau di luar wilayah kerja Anda.",
                "What you asked for does not exist or lies outside your offices.",
            ),
        ),
        AppError::Forbidden(_) => (
            t("Akses ditolak", "Access denied"),
            t(
                "Peran Anda tidak mengizinkan halaman ini.",
                "Your role does not allow this page.",
            ),
        ),
        AppError::Validation(_) | AppError::Malformed(_) => (
            t("Periksa isian", "Check the values"),
            t(
                "Ada isian yang tidak sesuai aturan; tidak ada yang diubah.",
                "Some values break a rule; nothing was changed.",
            ),
        ),
        AppError::Conflict(m) => (
            t("Tidak dapat diproses", "Cannot be done"),
            m.get(lang).to_string(),
        ),
        AppError::RateLimited { retry_after_secs } => (
            t("Terlalu banyak percobaan", "Too many attempts"),
            match lang {
                Lang::Id => format!("Coba lagi dalam {retry_after_secs} detik."),
                Lang::En => format!("Try again in {retry_after_secs} seconds."),
            },
        ),
        AppError::Unavailable => (
            t("Layanan sedang sibuk", "Service busy"),
            t(
                "Basis data sedang tidak terjangkau. Coba lagi sebentar lagi.",
                "The database cannot be reached. Try again shortly.",
            ),
        ),
        AppError::Internal(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "internal error on a page");
            (
                t("Terjadi kesalahan", "Something went wrong"),
                t(
                    "Kesalahan tak terduga; sudah dicatat.",
                    "An unexpected error; it has been logged.",
                ),
            )
        }
        _ => (
            t(
                "Permintaan tidak dapat diproses",
                "The request cannot be served",
            ),
            String::new(),
        ),
    };
    let fields = match &err {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| (e.field.clone(), e.message.get(lang).to_string()))
            .collect(),
        _ => Vec::new(),
    };
    let status = err.status();
    let mut res = render(
        status,
        &ErrorPage {
            ctx,
            status: status.as_u16(),
            heading,
            detail,
            fields,
        },
    );
    let retry = match err {
        AppError::RateLimited { retry_after_secs } => Some(retry_after_secs.to_string()),
        AppError::Unavailable => Some("5".to_string()),
        _ => None,
    };
    if let Some(v) = retry.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// To the sign-in page, coming back here afterwards.
pub fn to_login(req: &HttpRequest) -> HttpResponse {
    let here = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    see_other(&format!("/app/login?next={}", urlencode(&here)))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A path inside the app to return to; anything else (another site, `//host`) is ignored.
pub fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/app/")
                && !n.contains("//")
                && !n.contains('\\')
                && n.len() <= 2000 =>
        {
            n.to_string()
        }
        _ => "/app/".to_string(),
    }
}

/// The page's query as pairs, each value bounded (a page takes the API's parameters, which
/// the services validate).
pub fn query(req: &HttpRequest) -> HashMap<String, String> {
    pairs(req.query_string().as_bytes())
}

/// A url-encoded form body as pairs (the last value of a repeated name wins).
pub fn pairs(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k.len() <= 64)
        .map(|(k, v)| {
            let v: String = v.chars().take(4000).collect();
            (k, v)
        })
        .collect()
}

/// A non-empty value of the query or form.
pub fn get(map: &HashMap<String, String>, key: &str) -> Option<String> {
    map.get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The signed-in session, or the answer to give instead (to the sign-in page, or an error
/// page when the database cannot be reached).
pub async fn require_session(
    req: &HttpRequest,
    state: &AppState,
) -> Result<WebSession, HttpResponse> {
    match session::current(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(to_login(req)),
        Err(e) => Err(error(Ctx::new(req, None, ""), e)),
    }
}

/// For state-changing requests: the session, the form, and the CSRF check (403, nothing done).
pub async fn require_post(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<(WebSession, HashMap<String, String>), HttpResponse> {
    let form = pairs(body);
    if !super::csrf::same_origin(req) {
        return Err(forbidden_csrf(req));
    }
    let session = require_session(req, state).await?;
    if !super::csrf::valid(
        req,
        &session,
        form.get(super::csrf::FIELD).map(String::as_str),
    ) {
        return Err(forbidden_csrf(req));
    }
    Ok((session, form))
}

pub fn forbidden_csrf(req: &HttpRequest) -> HttpResponse {
    let ctx = Ctx::new(req, None, "");
    let lang = ctx.lang;
    render(
        StatusCode::FORBIDDEN,
        &ErrorPage {
            ctx,
            status: 403,
            heading: match lang {
                Lang::Id => "Permintaan ditolak".to_string(),
                Lang::En => "Request refused".to_string(),
            },
            detail: match lang {
                Lang::Id => "Formulir ini kedaluwarsa atau tidak berasal dari aplikasi ini; tidak ada yang diubah. Muat ulang halaman lalu coba lagi.".to_string(),
                Lang::En => "This form expired or did not come from this application; nothing was changed. Reload the page and try again.".to_string(),
            },
            fields: Vec::new(),
        },
    )
}
