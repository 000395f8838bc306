//! Operations endpoints: liveness, readiness, metrics.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{responses as problem, AppResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "sqlite")]
    pub database: Option<&'static str>,
}

/// The process is alive.
#[utoipa::path(tag = "operations", operation_id = "healthz", security(()),
    responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        database: None,
    })
}

/// The database answers.
#[utoipa::path(tag = "operations", operation_id = "readyz", security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        problem::Unavailable,
    ))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<web::Json<Health>> {
    state.db.read(crate::db::ping).await?;
    Ok(web::Json(Health {
        status: "ok",
        database: Some(state.db.backend().name()),
    }))
}

/// Prometheus metrics: request counts and latency by route (its pattern) and status, pool
/// state.
///
/// With `JEMPUT_METRICS_TOKEN` set, only `Authorization: Bearer <that token>` reads them;
/// without it, only connections from the server's own machine (loopback), and nobody when
/// `JEMPUT_TRUST_PROXY` says a proxy is in front (its requests would all look local).
#[utoipa::path(tag = "operations", operation_id = "metrics", security(()),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        problem::Unauthorized,
    ))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if !metrics_allowed(&state, &req) {
        return Err(crate::error::AppError::Unauthorized);
    }
    let pool = state.db.pool().state();
    ::metrics::gauge!("db_pool_connections").set(pool.connections as f64);
    ::metrics::gauge!("db_pool_idle_connections").set(pool.idle_connections as f64);
    ::metrics::gauge!("db_pool_max_size").set(state.db.pool().max_size() as f64);
    if state.db.backend() == crate::db::Backend::Sqlite {
        // SQLite's own heap (page caches, statements) apart from ours: what the soft heap
        // limit in `db` bounds.
        // SAFETY: sqlite3_memory_used only reads SQLite's global counter, under its own mutex.
        let used = unsafe { libsqlite3_sys::sqlite3_memory_used() };
        ::metrics::gauge!("sqlite_heap_bytes").set(used as f64);
    }
    #[cfg(feature = "jemalloc")]
    allocator_gauges();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}

/// jemalloc's own account of the heap (SQLite's and libpq's included): `allocated` is what
/// is in use, `resident` what it holds in memory. Their gap growing is fragmentation or
/// memory not yet given back; `allocated` growing is the program keeping more.
#[cfg(feature = "jemalloc")]
fn allocator_gauges() {
    use std::ffi::{c_void, CStr};
    /// Reads one of jemalloc's numeric controls (`size_t` or `uint64_t`, both 8 bytes here),
    /// writing `new` to it first when given.
    fn ctl(name: &CStr, new: Option<u64>) -> Option<u64> {
        const LEN: usize = std::mem::size_of::<u64>();
        let (mut value, mut len) = (0u64, LEN);
        let mut new = new;
        let (new_ptr, new_len) = match new.as_mut() {
            Some(n) => ((n as *mut u64).cast::<c_void>(), LEN),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: `name` is a NUL-terminated control name; `value` and `len` describe an
        // 8-byte buffer, which jemalloc checks against the control's size before writing,
        // and `new_ptr` is null or an 8-byte value that outlives the call.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&mut value as *mut u64).cast::<c_void>(),
                &mut len,
                new_ptr,
                new_len,
            )
        };
        (rc == 0 && len == LEN).then_some(value)
    }
    // The statistics are a snapshot, refreshed by writing the epoch.
    if ctl(c"epoch", Some(1)).is_none() {
        return;
    }
    for (gauge, control) in [
        ("heap_allocated_bytes", c"stats.allocated"),
        ("heap_active_bytes", c"stats.active"),
        ("heap_resident_bytes", c"stats.resident"),
        ("heap_retained_bytes", c"stats.retained"),
    ] {
        if let Some(bytes) = ctl(control, None) {
            ::metrics::gauge!(gauge).set(bytes as f64);
        }
    }
}

/// See [`metrics`]: the token when one is set, else a loopback peer with no proxy in front.
fn metrics_allowed(state: &AppState, req: &HttpRequest) -> bool {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    match &state.settings.metrics_token {
        Some(token) => {
            let presented = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .unwrap_or("");
            // Digests compared, so the time taken says nothing about the token.
            Sha256::digest(presented.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
        }
        None => {
            !state.settings.trust_proxy && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
        }
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
