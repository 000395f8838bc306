//! Logs, metrics and the per-request middleware: a request id on every answer and in every
//! problem body, one log line per request, Prometheus counters and latency by route and
//! status, and error answers re-rendered in the caller's language.
//!
//! The request's span is `tracing-actix-web`'s root span, built by [`RequestSpan`] with our
//! fields: the request id, the method, the route pattern (never the raw path or the query
//! string, where a NIK could sit), the signed-in user once known, and at its end the status
//! and latency in the one log line. [`observe`], inside it, renders errors and echoes the id.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::error::{AppError, Lang};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Installs the global tracing subscriber once (tests call this for every app they spawn).
pub fn init_tracing(format: LogFormat) {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let filter = EnvFilter::try_from_env("JEMPUT_LOG")
            .or_else(|_| EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            // Colour codes only for a person at a terminal, never into journald or a file.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        let _ = match format {
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
            LogFormat::Text => builder.compact().try_init(),
        };
    });
}

/// The process-wide Prometheus recorder (several apps in one test process share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            // Histogram samples wait in a buffer until they are folded into the buckets,
            // which only a scrape or an upkeep does: without this thread a server nobody
            // scrapes grows by every request it serves.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                });
            handle
        })
        .clone()
}

/// What the middleware learned about a request, for handlers that need it.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub request_id: String,
    pub lang: Lang,
}

fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| value.to_string())
}

/// When the request arrived, for its latency.
#[derive(Clone, Copy)]
struct Started(Instant);

/// The root span of every request (the [`tracing_actix_web::TracingLogger`] around the app):
/// it decides the request id and language, and at the end logs the request's one line and
/// counts it in the metrics.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let request_id =
            incoming_request_id(req).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let lang = Lang::of(req);
        let route = req
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let span = tracing::info_span!(
            "request",
            request_id = %request_id,
            method = method_label(req.method()),
            route = %route,
            user_id = tracing::field::Empty,
        );
        let mut extensions = req.extensions_mut();
        extensions.insert(RequestMeta { request_id, lang });
        extensions.insert(Started(Instant::now()));
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        // `observe` answers every error itself, so an `Err` here never reaches a client.
        let Ok(res) = outcome else {
            return;
        };
        let req = res.request();
        let elapsed = req
            .extensions()
            .get::<Started>()
            .map(|s| s.0.elapsed())
            .unwrap_or_default();
        let status = res.status().as_u16();
        let method = method_label(req.method());
        let route = req
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let labels = [
            ("method", method.to_string()),
            ("route", route),
            ("status", status.to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
        span.in_scope(|| {
            tracing::info!(
                status,
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            )
        });
    }
}

/// The request middleware, inside [`RequestSpan`]'s: error answers re-rendered in the
/// caller's language with the request id, the id echoed as `x-request-id`, and a declared
/// body over the limit refused before any handler runs (on routes that never read one too).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let body_limit = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.settings.body_limit)
        .unwrap_or(4 * 1024 * 1024);
    let meta = req.extensions().get::<RequestMeta>().cloned();
    // Only without the root span (never in the server) is the meta made here.
    let RequestMeta { request_id, lang } = meta.unwrap_or_else(|| RequestMeta {
        request_id: uuid::Uuid::new_v4().simple().to_string(),
        lang: Lang::of(&req),
    });

    let declared_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut res = if declared_len.is_some_and(|n| n > body_limit) {
        req.into_response(AppError::PayloadTooLarge.to_response(lang, Some(&request_id)))
            .map_into_right_body()
    } else {
        let res = match next.call(req).await {
            Ok(res) => res,
            // Errors raised before a response exists (none of ours): actix renders them
            // through `LocalizedError`, still problem+json with the request id.
            Err(e) => {
                tracing::error!(error = %e, "service error");
                return Err(LocalizedError {
                    error: AppError::internal(anyhow::anyhow!("service error")),
                    lang,
                    request_id,
                }
                .into());
            }
        };
        let rendered = res
            .response()
            .error()
            .map(|err| match err.as_error::<AppError>() {
                Some(app) => {
                    if let AppError::Internal(cause) = app {
                        tracing::error!(error = %format!("{cause:#}"), "internal error");
                    }
                    app.to_response(lang, Some(&request_id))
                }
                None => generic_for_status(res.status()).to_response(lang, Some(&request_id)),
            });
        match rendered {
            Some(new) => res.into_response(new).map_into_right_body(),
            None => res.map_into_left_body(),
        }
    };

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

/// The method as a metrics label and in the log: the standard ones by name, anything else
/// `other` (a client may send any token as a method, and each new label value would be a
/// new time series kept for the life of the process).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// An [`AppError`] already bound to the caller's language and request id.
#[derive(Debug)]
pub struct LocalizedError {
    pub error: AppError,
    pub lang: Lang,
    pub request_id: String,
}

impl std::fmt::Display for LocalizedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl actix_web::ResponseError for LocalizedError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        self.error.to_response(self.lang, Some(&self.request_id))
    }
}

/// An error answer that did not come from our code (actix itself): same shape, by status.
fn generic_for_status(status: actix_web::http::StatusCode) -> AppError {
    use crate::error::Msg;
    match status.as_u16() {
        400 => AppError::Malformed(Msg::new(
            "The request could not be understood.",
            "Permintaan tidak dapat dipahami.",
        )),
        401 => AppError::Unauthorized,
        404 => AppError::NotFound,
        408 => AppError::RequestTimeout,
        413 => AppError::PayloadTooLarge,
        415 => AppError::UnsupportedMediaType,
        503 => AppError::Unavailable,
        _ => AppError::internal(anyhow::anyhow!("unexpected error status {status}")),
    }
}
