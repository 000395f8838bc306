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

/// The answers every operation can give because of how the server is built, not because of
/// what its handler does: the extractor configs (400 for a malformed path, query or body,
/// an unknown query parameter included; 413; 415), the edge's refusal of control characters
/// (422, see `extract.rs`), the bearer-token extractor (401) and the
/// database pool (503 with `Retry-After`). Added to each operation's own list where it
/// applies and is missing, so the document says exactly what the server answers without
/// repeating one annotation on every handler.
pub fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Ref, RefOr};
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, description, retry_after) in COMMON {
        components.responses.insert(
            (*name).to_string(),
            RefOr::T(problem_response(description, *retry_after)),
        );
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let uses_database = !matches!(path.as_str(), "/healthz" | "/metrics");
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = op.request_body.is_some();
            // `security(())` (an empty requirement) marks the public operations.
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| r == &Default::default()));
            let mut wanted = Vec::new();
            if has_params || has_body {
                wanted.push(("400", "Malformed"));
                wanted.push(("422", "ValidationFailed"));
            }
            if !public {
                wanted.push(("401", "Unauthorized"));
            }
            if has_body {
                wanted.push(("413", "PayloadTooLarge"));
                wanted.push(("415", "UnsupportedMediaType"));
            }
            if uses_database {
                wanted.push(("503", "Unavailable"));
            }
            for (status, name) in wanted {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
    }
}

/// The shared responses: name, description, and whether `Retry-After` comes with it.
const COMMON: &[(&str, &str, bool)] = &[
    (
        "Malformed",
        "Malformed path, query (an unknown parameter included) or body",
        false,
    ),
    (
        "ValidationFailed",
        "A value breaks a rule (a control character in any text, for one); `errors` names each field",
        false,
    ),
    ("Unauthorized", "No valid access token", false),
    ("PayloadTooLarge", "Body over the size limit", false),
    (
        "UnsupportedMediaType",
        "The body is missing or not sent as application/json",
        false,
    ),
    (
        "Unavailable",
        "The database is busy or unreachable: retry after the seconds in `Retry-After`",
        true,
    ),
];

fn problem_response(description: &str, retry_after: bool) -> utoipa::openapi::Response {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::schema::{Object, Type};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if retry_after {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Object::with_type(Type::Integer))
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    builder.build()
}
