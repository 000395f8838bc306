//! The OpenAPI document, generated from the handlers, and the route table behind 405s.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jemput API",
        description = "Track jemput-bola outreach for IKD (digital ID) activation: events, the offline sync of activation attempts, yields and channel reports. Conventions: see api-docs/API-DESIGN.md.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(crate::error::Problem, crate::error::ProblemFieldError)),
    security(("bearer" = [])),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, token refresh, logout, the caller"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "reports", description = "Yields, channel comparison, progress, series, staff, offices, failures; JSON or CSV"),
        (name = "offices", description = "The office tree (national > province > regency) that scopes everything"),
        (name = "targets", description = "Yearly activation targets per office"),
        (name = "users", description = "Staff accounts: admins, supervisors, field staff"),
        (name = "audit", description = "Who changed what, when: logins, users, offices, targets"),
        (name = "areas", description = "Indonesia's administrative areas under their Kemendagri codes (reference data: idn-area-data 4.0.1, Kepmendagri 2025, ODbL 1.0)"),
        (name = "channels", description = "Outreach channels: built-in and an office's own"),
        (name = "events", description = "Outreach events, their review and staff hours"),
        (name = "sync", description = "The phone's offline sync: upload activations, pull changes (api-docs/SYNC.md)"),
        (name = "activations", description = "Activation attempts of an event, voiding"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document as served at `/api-docs/openapi.json`, pretty-printed with a final
/// newline (the form checked in as `api-docs/openapi.json`).
pub fn openapi_json() -> String {
    let doc = crate::startup::openapi();
    let mut text = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

/// Path templates and their methods, to answer 405 (with `Allow`) instead of 404 when a
/// path exists but the method does not.
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_string)
                    .collect();
                let mut methods: Vec<String> = Vec::new();
                let pairs = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                for (m, present) in pairs {
                    if present {
                        methods.push(m.to_string());
                    }
                }
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods allowed on `path`, if it matches a documented template.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Vec<String> = Vec::new();
        for (template, methods) in &self.routes {
            let matches = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| {
                    (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                });
            if matches {
                found.extend(methods.iter().cloned());
            }
        }
        if found.is_empty() {
            None
        } else {
            found.sort();
            found.dedup();
            Some(found.join(", "))
        }
    }
}
