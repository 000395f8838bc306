//! Builds the application: state, routes, middleware, the server (port 0 works for tests).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpRequest, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::keys::{self, KeyRing};
use crate::auth::password::Passwords;
use crate::config::Settings;
use crate::db::Db;
use crate::docs::{ApiDoc, RouteTable};
use crate::error::{self, AppError};
use crate::state::AppState;
use crate::{bootstrap, secrets, telemetry};

/// Every `/api/v1` route, by feature.
pub fn configure_api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    crate::auth::routes::configure(cfg);
    crate::reports::routes::configure(cfg);
    crate::offices::routes::configure(cfg);
    crate::targets::routes::configure(cfg);
    crate::users::routes::configure(cfg);
    crate::audit::routes::configure(cfg);
    crate::areas::routes::configure(cfg);
    crate::channels::routes::configure(cfg);
    crate::events::routes::configure(cfg);
    crate::activations::routes::configure(cfg);
    crate::sync::routes::configure(cfg);
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_app, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::ops::configure)
        .service(utoipa_actix_web::scope("/api/v1").configure(configure_api))
        .split_for_parts();
    crate::docs::add_common_responses(&mut api);
    api
}

pub struct Application {
    port: u16,
    /// The plain-HTTP port that redirects to HTTPS, when TLS is on and one was asked for.
    redirect_port: Option<u16>,
    tls: bool,
    server: Server,
    state: AppState,
}

impl Application {
    /// Opens the database the settings name, migrates it and prepares the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = settings.resolved_database_url()?;
        let db = Db::connect(&url, settings.pool_size)?;
        let prep = db.clone();
        let applied = web::block(move || bootstrap::prepare(&prep))
            .await
            .map_err(|e| anyhow::anyhow!("bootstrap task failed: {e}"))??;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, backend = db.backend().name(), "applied migrations");
        }
        Self::build_with_db(settings, db).await
    }

    /// Prepares the server on an already migrated database.
    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let state = app_state(settings.clone(), db).await?;
        let api = openapi();
        let routes = web::Data::new(RouteTable::from_openapi(&api));
        let tls = match settings.tls_files()? {
            Some((cert, key)) => Some(crate::tls::server_config(&cert, &key)?),
            None => None,
        };
        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let redirect = match settings.http_redirect_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?,
            ),
            None => None,
        };
        let redirect_port = match &redirect {
            Some(l) => Some(l.local_addr()?.port()),
            None => None,
        };
        // Present only with TLS on: plain requests are then redirected.
        let https_port = tls.is_some().then_some(crate::tls::HttpsPort(port));
        let limit = settings.body_limit as usize;
        let head = std::time::Duration::from_secs(settings.head_timeout);
        let data = web::Data::new(state.clone());
        let workers = settings.workers.map(usize::from).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .configure(crate::ops::configure)
                .service(utoipa_actix_web::scope("/api/v1").configure(configure_api))
                .split_for_parts();
            let app = match https_port {
                Some(p) => app.app_data(web::Data::new(p)),
                None => app,
            };
            app.app_data(data.clone())
                .app_data(routes.clone())
                .app_data(error::json_config(limit))
                .app_data(error::query_config())
                .app_data(error::path_config())
                .app_data(web::PayloadConfig::new(limit))
                .service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/api-docs/openapi.json", api.clone())
                        .config(swagger_config()),
                )
                .service(web::redirect("/", "/app/").see_other())
                .configure(crate::web::configure)
                .default_service(web::to(fallback))
                .wrap(from_fn(crate::limits::bound_body))
                .wrap(from_fn(crate::extract::refuse_control_characters))
                .wrap(Compress::default())
                .wrap(from_fn(crate::tls::redirect_plain))
                .wrap(from_fn(telemetry::observe))
                .wrap(tracing_actix_web::TracingLogger::<telemetry::RequestSpan>::new())
                .wrap(from_fn(crate::web::security::headers))
                .wrap(from_fn(crate::connections::track))
        })
        .workers(workers)
        // A request head must arrive within the head timeout (actix times only a
        // connection's first; `connections` bounds the later ones); bodies are bounded by
        // `limits::bound_body`.
        // Blocking work is bounded elsewhere (a permit per pooled connection over all the
        // workers, a few password hashes at once), so a worker needs few threads: its share
        // of the pool and two more. Left at actix's default (512 over the workers), idle
        // threads came and went, each with its own allocator heap, and memory grew with them.
        .worker_max_blocking_threads((settings.pool_size as usize).div_ceil(workers) + 2)
        .client_request_timeout(head)
        .keep_alive(head)
        .on_connect(move |io, data| crate::connections::on_connect(io, data, head * 2))
        .client_disconnect_timeout(std::time::Duration::from_secs(5))
        .shutdown_timeout(settings.shutdown_timeout);
        let is_tls = tls.is_some();
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config)?,
            None => server.listen(listener)?,
        };
        let server = match redirect {
            Some(l) => server.listen(l)?,
            None => server,
        };
        let server = server.run();
        Ok(Application {
            port,
            redirect_port,
            tls: is_tls,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The plain-HTTP port that redirects to HTTPS (`JEMPUT_HTTP_REDIRECT_BIND`).
    pub fn redirect_port(&self) -> Option<u16> {
        self.redirect_port
    }

    /// Whether the main port answers HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn server(self) -> Server {
        self.server
    }
}

/// Loads the per-installation secrets into the shared state.
pub async fn app_state(settings: Settings, db: Db) -> anyhow::Result<AppState> {
    let loader = db.clone();
    let (stored_keys, nik_key) = web::block(move || -> Result<_, AppError> {
        let mut conn = loader.conn()?;
        Ok((
            keys::load_or_create(&mut conn)?,
            secrets::nik_key(&mut conn)?,
        ))
    })
    .await
    .map_err(|e| anyhow::anyhow!("secret loading failed: {e}"))??;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    Ok(AppState {
        db,
        settings: Arc::new(settings),
        keys: Arc::new(KeyRing::new(&stored_keys)?),
        passwords: Passwords::new(cores)?,
        nik_key: Arc::new(secrecy::SecretSlice::from(nik_key)),
        metrics: telemetry::metrics_handle(),
        users: Arc::default(),
    })
}

/// Swagger UI without its online validator badge: `/docs` fetches nothing from another
/// origin, so it works on an intranet.
fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::from("/api-docs/openapi.json").validator_url("none")
}

/// Unknown routes: 405 with `Allow` when the path exists for other methods, else 404.
async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, AppError> {
    match routes.allowed(req.path()) {
        Some(allowed) => Err(AppError::MethodNotAllowed(allowed)),
        None => Err(AppError::NotFound),
    }
}
