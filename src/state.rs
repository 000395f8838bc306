//! What every handler shares.

use std::sync::Arc;

use actix_web::HttpRequest;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::keys::KeyRing;
use crate::auth::password::Passwords;
use crate::config::Settings;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<KeyRing>,
    pub passwords: Passwords,
    /// HMAC key for NIKs; never logged.
    pub nik_key: Arc<secrecy::SecretSlice<u8>>,
    pub metrics: PrometheusHandle,
    /// Recently loaded users (see `auth::cache`).
    pub users: Arc<crate::auth::cache::UserCache>,
}

impl AppState {
    /// The client's address: the peer, or the first `X-Forwarded-For` hop when the operator
    /// said a proxy is in front (`JEMPUT_TRUST_PROXY`); never trusted otherwise.
    pub fn client_addr(&self, req: &HttpRequest) -> String {
        if self.settings.trust_proxy {
            if let Some(first) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
            {
                return first.to_string();
            }
        }
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string())
    }
}
