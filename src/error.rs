//! One error type for the whole API, rendered as RFC 9457 problem+json. Nothing's `Display`
//! text reaches a client: every body is built here from a fixed, localised vocabulary.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// The language of the texts in an answer: `Accept-Language: id` gives Indonesian.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    /// The highest-weighted language the client accepts, if it is Indonesian.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(value) = value else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = if primary == "id" || primary == "in" {
                Lang::Id
            } else {
                Lang::En
            };
            if tag.is_empty() || q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    pub fn from_request(req: &HttpRequest) -> Lang {
        Lang::from_accept_language(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// A message in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub en: Cow<'static, str>,
    pub id: Cow<'static, str>,
}

impl Msg {
    pub fn new(en: impl Into<Cow<'static, str>>, id: impl Into<Cow<'static, str>>) -> Msg {
        Msg {
            en: en.into(),
            id: id.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Id => &self.id,
        }
    }
}

/// One offending field of a request that broke a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Msg) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message,
        }
    }

    pub fn required(field: impl Into<String>) -> FieldError {
        FieldError::new(
            field,
            "required",
            Msg::new("This field is required.", "Kolom ini wajib diisi."),
        )
    }

    pub fn invalid(
        field: impl Into<String>,
        en: impl Into<String>,
        id: impl Into<String>,
    ) -> FieldError {
        FieldError::new(field, "invalid", Msg::new(en.into(), id.into()))
    }

    pub fn one_of(field: impl Into<String>, allowed: &[&str]) -> FieldError {
        let list = allowed.join(", ");
        FieldError::new(
            field,
            "unknown_value",
            Msg::new(
                format!("Must be one of: {list}."),
                format!("Harus salah satu dari: {list}."),
            ),
        )
    }
}

/// Collects every field error of a request before answering, so a client fixes all at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Validator {
        Validator::default()
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Keeps the value when it parsed, records the error otherwise.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether `field` already has an error (a rule over it can then wait).
    pub fn refused(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// The errors collected, to merge with those of rules checked later.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body, query or path is not of the expected shape (400).
    #[error("malformed request")]
    Malformed(Msg),
    /// Well-formed values that break a rule (422), every offending field named.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    /// 401 for credentials in a body (a login, a refresh token), with what was wrong.
    #[error("bad credentials")]
    BadCredentials(Msg),
    #[error("forbidden")]
    Forbidden(Msg),
    /// Missing, or outside the caller's scope: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed(String),
    #[error("conflict")]
    Conflict(Msg),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    /// The request body did not arrive within the body timeout (408; the connection closes).
    #[error("request timeout")]
    RequestTimeout,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("not acceptable")]
    NotAcceptable,
    #[error("unavailable")]
    Unavailable,
    /// Anything unexpected: the cause goes to the log, never to the client.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(e.into())
    }

    pub fn validation(field: impl Into<String>, code: &'static str, message: Msg) -> AppError {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Malformed(_) => "malformed_request",
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthorized | AppError::BadCredentials(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::RequestTimeout => "request_timeout",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::NotAcceptable => "not_acceptable",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::BadCredentials(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

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

/// A JSON body error, described without echoing any value the client sent (a NIK could sit in
/// a mistyped field): serde's messages for unknown or missing fields name only the field.
pub fn json_error(err: &actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => AppError::PayloadTooLarge,
        E::ContentType => AppError::UnsupportedMediaType,
        E::Deserialize(e) => serde_error(e),
        E::Payload(e) => payload_error(e),
        _ => unreadable_body(),
    }
}

/// A body that could not be read: too large (413), too slow (408), or broken (400).
pub fn payload_error(err: &actix_web::error::PayloadError) -> AppError {
    use actix_web::error::PayloadError as P;
    match err {
        P::Overflow => AppError::PayloadTooLarge,
        P::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => AppError::RequestTimeout,
        _ => unreadable_body(),
    }
}

fn unreadable_body() -> AppError {
    AppError::Malformed(Msg::new(
        "The request body could not be read.",
        "Isi permintaan tidak dapat dibaca.",
    ))
}

pub fn serde_error(e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let (line, col) = (e.line(), e.column());
    let msg = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => Msg::new(
            format!("The body is not valid JSON (line {line}, column {col})."),
            format!("Isi permintaan bukan JSON yang valid (baris {line}, kolom {col})."),
        ),
        Category::Data => {
            let text = e.to_string();
            if let Some(field) = backticked_after(&text, "unknown field `") {
                Msg::new(
                    format!("Unknown field `{field}`."),
                    format!("Kolom `{field}` tidak dikenal."),
                )
            } else if let Some(field) = backticked_after(&text, "missing field `") {
                Msg::new(
                    format!("Missing field `{field}`."),
                    format!("Kolom `{field}` tidak ada."),
                )
            } else {
                Msg::new(
                    format!("A value has the wrong type or shape (line {line}, column {col})."),
                    format!(
                        "Ada nilai dengan tipe atau bentuk yang salah (baris {line}, kolom {col})."
                    ),
                )
            }
        }
    };
    AppError::Malformed(msg)
}

fn backticked_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// Extractor configs: malformed bodies, queries and paths answer problem+json.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(|err, _req| json_error(&err).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        let text = err.to_string();
        let detail = text
            .strip_prefix("Query deserialize error: ")
            .unwrap_or(&text)
            .to_string();
        AppError::Malformed(Msg::new(
            format!("The query string is not valid: {detail}"),
            format!("Parameter kueri tidak valid: {detail}"),
        ))
        .into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|_err, _req| {
        AppError::Malformed(Msg::new(
            "A path parameter is not valid (ids are UUIDs).",
            "Parameter path tidak valid (id berupa UUID).",
        ))
        .into()
    })
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A failed login: the same answer for an unknown user and a wrong password.
    pub fn bad_login() -> AppError {
        AppError::BadCredentials(Msg::new(
            "The username or password is not correct.",
            "Nama pengguna atau kata sandi salah.",
        ))
    }

    /// A refresh token that cannot be exchanged.
    pub fn bad_refresh_token() -> AppError {
        AppError::BadCredentials(Msg::new(
            "The refresh token is unknown, expired or revoked; log in again.",
            "Token penyegaran tidak dikenal, kedaluwarsa atau dicabut; masuk lagi.",
        ))
    }
}
