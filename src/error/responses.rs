//! The problem answers as the OpenAPI document names them: one type per status, each a
//! problem+json body, listed in a route's `responses(...)` instead of writing the same
//! annotation on every handler. What a route's answer means for that route is said in the
//! route's own documentation.
//!
//! `crate::docs::add_common_responses` adds the answers every operation can give (a
//! malformed request, a missing token, a busy database) where a route does not list them.

use utoipa::IntoResponses;

use super::Problem;

/// 400: the path, query (an unknown parameter included) or body is malformed.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Malformed path, query (an unknown parameter included) or body",
    content_type = "application/problem+json"
)]
pub struct BadRequest(pub Problem);

/// 401: no valid bearer token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "No valid bearer token",
    content_type = "application/problem+json"
)]
pub struct Unauthorized(pub Problem);

/// 401 for what a body carries: a username and password, or a refresh token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "The credentials or the refresh token are not valid (unknown, wrong, expired, revoked or spent)",
    content_type = "application/problem+json"
)]
pub struct BadCredentials(pub Problem);

/// 403: the caller's role may not do this.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The caller's role may not do this",
    content_type = "application/problem+json"
)]
pub struct Forbidden(pub Problem);

/// 404: missing, or outside the caller's scope; the two answer alike on purpose.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "Missing, or outside the caller's scope (the two answer alike)",
    content_type = "application/problem+json"
)]
pub struct NotFound(pub Problem);

/// 409: conflicts with what is stored.
#[derive(IntoResponses)]
#[response(
    status = 409,
    description = "Conflicts with what is stored: a taken key or name, an id with other content, or a state that forbids the change",
    content_type = "application/problem+json"
)]
pub struct Conflict(pub Problem);

/// 413: the body is over the size limit.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "Body over the size limit",
    content_type = "application/problem+json"
)]
pub struct PayloadTooLarge(pub Problem);

/// 422: a value breaks a rule; `errors` names every offending field.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "A value breaks a rule; `errors` names each offending field",
    content_type = "application/problem+json"
)]
pub struct Unprocessable(pub Problem);

/// 429: too many attempts.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Too many attempts: retry after the seconds in `Retry-After`",
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))
)]
pub struct TooManyRequests(pub Problem);

/// 503: the database is busy or unreachable.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "The database is busy or unreachable: retry after the seconds in `Retry-After`",
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))
)]
pub struct Unavailable(pub Problem);
