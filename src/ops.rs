//! Operations endpoints: liveness, readiness, metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppResult, Problem};
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
        (status = 503, description = "Database unreachable", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<web::Json<Health>> {
    state.db.read(crate::db::ping).await?;
    Ok(web::Json(Health {
        status: "ok",
        database: Some(state.db.backend().name()),
    }))
}

/// Prometheus metrics: request counts and latency by route and status, pool state.
#[utoipa::path(tag = "operations", operation_id = "metrics", security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.pool().state();
    ::metrics::gauge!("db_pool_connections").set(pool.connections as f64);
    ::metrics::gauge!("db_pool_idle_connections").set(pool.idle_connections as f64);
    ::metrics::gauge!("db_pool_max_size").set(state.db.pool().max_size() as f64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
