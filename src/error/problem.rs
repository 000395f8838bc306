//! The RFC 9457 problem+json body of an [`AppError`], in the caller's language, and the
//! complete HTTP answer with the headers each error carries.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppError, Lang};

/// RFC 9457 problem details.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code: `malformed_request`, `validation_failed`, `unauthorized`,
    /// `forbidden`, `not_found`, `conflict`, `rate_limited`, `payload_too_large`,
    /// `request_timeout`, `unsupported_media_type`, `unavailable`, `internal`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemFieldError>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemFieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl AppError {
    fn title(&self, lang: Lang) -> &'static str {
        let (en, id) = match self {
            AppError::Malformed(_) => ("Malformed request", "Permintaan tidak valid"),
            AppError::Validation(_) => ("Validation failed", "Validasi gagal"),
            AppError::Unauthorized | AppError::BadCredentials(_) => {
                ("Unauthorized", "Tidak terautentikasi")
            }
            AppError::Forbidden(_) => ("Forbidden", "Akses ditolak"),
            AppError::NotFound => ("Not found", "Tidak ditemukan"),
            AppError::MethodNotAllowed(_) => ("Method not allowed", "Metode tidak diizinkan"),
            AppError::Conflict(_) => ("Conflict", "Konflik"),
            AppError::RateLimited { .. } => ("Too many requests", "Terlalu banyak permintaan"),
            AppError::PayloadTooLarge => ("Payload too large", "Isi permintaan terlalu besar"),
            AppError::RequestTimeout => ("Request timeout", "Waktu permintaan habis"),
            AppError::UnsupportedMediaType => {
                ("Unsupported media type", "Jenis konten tidak didukung")
            }
            AppError::NotAcceptable => ("Not acceptable", "Format tidak tersedia"),
            AppError::Unavailable => ("Service unavailable", "Layanan tidak tersedia"),
            AppError::Internal(_) => ("Internal error", "Kesalahan internal"),
        };
        match lang {
            Lang::En => en,
            Lang::Id => id,
        }
    }

    fn detail(&self, lang: Lang) -> Cow<'static, str> {
        let pick = |en: &'static str, id: &'static str| -> Cow<'static, str> {
            Cow::Borrowed(match lang {
                Lang::En => en,
                Lang::Id => id,
            })
        };
        match self {
            AppError::Malformed(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::BadCredentials(m) => Cow::Owned(m.get(lang).to_string()),
            AppError::Validation(errors) => match lang {
                Lang::En => Cow::Owned(format!("{} field(s) broke a rule.", errors.len())),
                Lang::Id => Cow::Owned(format!("{} kolom melanggar aturan.", errors.len())),
            },
            AppError::Unauthorized => pick(
                "A valid bearer token is required.",
                "Diperlukan token bearer yang valid.",
            ),
            AppError::NotFound => pick(
                "The resource does not exist.",
                "Sumber daya tidak ditemukan.",
            ),
            AppError::MethodNotAllowed(allowed) => match lang {
                Lang::En => Cow::Owned(format!("Allowed methods: {allowed}.")),
                Lang::Id => Cow::Owned(format!("Metode yang diizinkan: {allowed}.")),
            },
            AppError::RateLimited { retry_after_secs } => match lang {
                Lang::En => Cow::Owned(format!("Try again in {retry_after_secs} seconds.")),
                Lang::Id => Cow::Owned(format!("Coba lagi dalam {retry_after_secs} detik.")),
            },
            AppError::PayloadTooLarge => pick(
                "The request body is larger than the server accepts.",
                "Isi permintaan melebihi batas yang diterima server.",
            ),
            AppError::RequestTimeout => pick(
                "The request body did not arrive in time; send it again.",
                "Isi permintaan tidak tiba tepat waktu; kirim ulang.",
            ),
            AppError::UnsupportedMediaType => pick(
                "Send the body as application/json.",
                "Kirim isi permintaan sebagai application/json.",
            ),
            AppError::NotAcceptable => pick(
                "This resource answers application/json or text/csv.",
                "Sumber daya ini tersedia sebagai application/json atau text/csv.",
            ),
            AppError::Unavailable => pick(
                "The service is busy or the database is unreachable; retry shortly.",
                "Layanan sedang sibuk atau basis data tidak terjangkau; coba lagi sebentar lagi.",
            ),
            AppError::Internal(_) => pick(
                "An unexpected error occurred; it has been logged.",
                "Terjadi kesalahan tak terduga; sudah dicatat.",
            ),
        }
    }

    /// The problem object, also used inside sync results.
    pub fn problem(&self, lang: Lang, request_id: Option<&str>) -> Problem {
        let status = self.status();
        Problem {
            type_: format!(
                "https://jemput.dev/problems/{}",
                self.code().replace('_', "-")
            ),
            title: self.title(lang).to_string(),
            status: status.as_u16(),
            detail: self.detail(lang).into_owned(),
            code: self.code().to_string(),
            request_id: request_id.map(str::to_string),
            errors: match self {
                AppError::Validation(errors) => Some(
                    errors
                        .iter()
                        .map(|e| ProblemFieldError {
                            field: e.field.clone(),
                            code: e.code.to_string(),
                            message: e.message.get(lang).to_string(),
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// The complete HTTP answer for this error.
    pub fn to_response(&self, lang: Lang, request_id: Option<&str>) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status());
        builder.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if lang == Lang::Id {
            builder.insert_header((header::CONTENT_LANGUAGE, "id"));
        } else {
            builder.insert_header((header::CONTENT_LANGUAGE, "en"));
        }
        match self {
            AppError::Unauthorized | AppError::BadCredentials(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"jemput\""));
            }
            AppError::RateLimited { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unavailable => {
                builder.insert_header((header::RETRY_AFTER, "5"));
            }
            AppError::MethodNotAllowed(allowed) => {
                builder.insert_header((header::ALLOW, allowed.clone()));
            }
            // The rest of a late body is never read: the connection cannot be reused.
            AppError::RequestTimeout => {
                builder.force_close();
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem(lang, request_id))
            .unwrap_or_else(|_| b"{\"status\":500,\"code\":\"internal\"}".to_vec());
        builder.body(body)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// English and without a request id; the request middleware re-renders every error
    /// answer with the caller's language and the request id.
    fn error_response(&self) -> HttpResponse {
        self.to_response(Lang::En, None)
    }
}
