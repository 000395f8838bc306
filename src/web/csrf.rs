//! CSRF protection for every state-changing request of the web app: the request must come
//! from a page of this origin (`Sec-Fetch-Site: same-origin`, or an `Origin` naming this
//! host when the browser sends no fetch metadata), and carry the session's token in the
//! form field `csrf` or the header `X-CSRF-Token`. The session cookie is also
//! `SameSite=Strict`; these checks do not rely on it.

use actix_web::http::header;
use actix_web::HttpRequest;

use super::session::WebSession;

pub const FIELD: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";

/// Does the request come from a page of this origin?
pub fn same_origin(req: &HttpRequest) -> bool {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

/// Compares in constant time, so the token cannot be guessed byte by byte.
fn equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The whole check for a request made with a session: origin and token.
pub fn valid(req: &HttpRequest, session: &WebSession, form_token: Option<&str>) -> bool {
    let header_token = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
    let Some(token) = form_token.or(header_token) else {
        return false;
    };
    same_origin(req) && equal(token.as_bytes(), session.csrf.as_bytes())
}
