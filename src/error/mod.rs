//! One error type for the whole API, rendered as RFC 9457 problem+json. Nothing's `Display`
//! text reaches a client: every body is built from a fixed, localised vocabulary.
//!
//! - [`lang`]: the language of an answer (`Accept-Language`) and two-language messages;
//! - [`validation`]: field errors and the validator that collects them for one 422;
//! - [`problem`]: the problem+json body and the HTTP answer of an [`AppError`];
//! - [`responses`]: the problem answers by status, for the routes' OpenAPI annotations;
//! - [`extract`]: how malformed bodies, queries and paths become problems (the extractor
//!   configurations).

pub mod extract;
pub mod lang;
pub mod problem;
pub mod responses;
pub mod validation;

use actix_web::http::StatusCode;

pub use extract::{
    json_config, json_error, json_shape_error, path_config, payload_error, query_config,
    query_shape_error, serde_error,
};
pub use lang::{Lang, Msg};
pub use problem::{Problem, ProblemFieldError};
pub use validation::{FieldError, Validator};

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
