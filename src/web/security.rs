//! Security headers on every answer of the server, API and docs included: a
//! Content-Security-Policy (strict on the web app: same-origin only, no inline script or
//! style), `nosniff`, no framing, and a referrer policy.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The web app's pages: nothing from another origin, no inline script or style, forms post
/// only here. SVG charts are inline markup, which needs no exception.
pub const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The field app (`/field/`) is a script: its own files only, its worker and manifest from
/// here, and fetches only to this server's API. `/app/` stays without any script of its own.
pub const FIELD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Swagger UI sets inline styles from its script, and draws icons from data: URIs; it
/// still loads nothing from another origin.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// JSON, CSV and the rest are never rendered as documents.
const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_string();
    let mut res = next.call(req).await?;
    let csp = if path == "/app" || path.starts_with("/app/") {
        APP_CSP
    } else if path == "/field" || path.starts_with("/field/") {
        FIELD_CSP
    } else if path == "/docs" || path.starts_with("/docs/") {
        DOCS_CSP
    } else {
        DATA_CSP
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not `no-referrer`: with it browsers send `Origin: null` on form posts, which the CSRF
    // check needs.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    Ok(res)
}
