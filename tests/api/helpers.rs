//! `spawn_app()`: the real server on port 0 over a fresh database, and request helpers.

#![allow(dead_code)]

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use jemput::config::{InitArgs, Settings};
use jemput::db::{Backend, Db};
use jemput::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ROOT_USER: &str = "root";
pub const ROOT_PASSWORD: &str = "root-password-for-tests";

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The plain-HTTP port that redirects to HTTPS, when the settings asked for one.
    pub redirect_port: Option<u16>,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: String,
    pub root_token: String,
    pub root_office_id: String,
    _tempdir: Option<tempfile::TempDir>,
}

/// The answer of a request: status, headers and body (JSON when it parses).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// The problem `code` of an error answer.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The `field`s named in a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {}",
            self.content_type()
        );
        assert_eq!(self.code(), code, "problem code; body: {}", self.text);
        assert_eq!(self.json["status"], json!(status));
        assert!(
            self.json["request_id"].is_string(),
            "request_id missing: {}",
            self.text
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.json
    }
}

pub fn backend_under_test() -> Backend {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::from_url(&url),
        _ => Backend::Sqlite,
    }
}

fn init_test_tracing() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            jemput::telemetry::init_tracing(jemput::config::LogFormat::Text);
        }
    });
}

/// A fresh, empty database: an SQLite file in a temp dir, or a new PostgreSQL database
/// created next to the one `TEST_DATABASE_URL` names.
pub fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if Backend::from_url(&admin_url) == Backend::Postgres => {
            let name = format!("jemput_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("jemput.db");
            (path.to_string_lossy().into_owned(), Some(dir))
        }
    }
}

/// Starts the app on port 0 over a fresh, migrated database with a root office and admin.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    init_test_tracing();
    let (database_url, tempdir) = fresh_database();
    let mut settings = Settings::for_database(&database_url);
    tweak(&mut settings);
    let db = Db::connect(&database_url, settings.pool_size).expect("open database");
    let prep = db.clone();
    let init_db = db.clone();
    tokio::task::spawn_blocking(move || {
        jemput::bootstrap::prepare(&prep).expect("migrate");
        let args = InitArgs {
            admin_username: ROOT_USER.into(),
            office_code: "ID".into(),
            office_name: "Nasional".into(),
            office_level: "national".into(),
            timezone: "Asia/Jakarta".into(),
            admin_full_name: "Root Admin".into(),
        };
        jemput::bootstrap::init(&init_db, &args, ROOT_PASSWORD).expect("init");
    })
    .await
    .expect("bootstrap task");
    let tls_chain = settings.tls_cert.clone();
    let app = Application::build_with_db(settings, db.clone())
        .await
        .expect("build app");
    let port = app.port();
    let redirect_port = app.redirect_port();
    let scheme = if app.is_tls() { "https" } else { "http" };
    tokio::spawn(app.server());
    let client = test_client(tls_chain.as_deref());
    let mut test_app = TestApp {
        address: format!("{scheme}://127.0.0.1:{port}"),
        port,
        redirect_port,
        client,
        db,
        database_url,
        root_token: String::new(),
        root_office_id: String::new(),
        _tempdir: tempdir,
    };
    let login = test_app.login(ROOT_USER, ROOT_PASSWORD).await;
    let body = login.assert_status(200);
    test_app.root_token = body["access_token"].as_str().expect("token").to_string();
    test_app.root_office_id = body["user"]["office_id"]
        .as_str()
        .expect("office")
        .to_string();
    test_app
}

/// A client that follows no redirects; over HTTPS it trusts only the certificates of the
/// server's own chain file (a test's local authority is in it).
pub fn test_client(tls_chain: Option<&std::path::Path>) -> reqwest::Client {
    install_crypto_provider();
    // Idle connections are dropped well before the server's 5 s keep-alive ends them: a
    // test that works for seconds between requests (loading the areas) otherwise reuses a
    // connection the server is closing at that moment, and the request fails unsent.
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2));
    let builder = match tls_chain {
        Some(chain) => builder.use_preconfigured_tls(tls_client_config(chain)),
        None => builder,
    };
    builder.build().expect("client")
}

/// reqwest's rustls is built without a provider of its own (no ring): every client uses
/// aws-lc-rs, the server's, installed once per test process.
pub fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// A rustls client configuration (aws-lc-rs, TLS 1.2+) trusting the certificates in `chain`.
pub fn tls_client_config(chain: &std::path::Path) -> rustls::ClientConfig {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(chain).expect("read the chain") {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("add root");
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') && !path.starts_with("/api/") && !is_root_path(path) {
            format!("{}/api/v1{path}", self.address)
        } else {
            format!("{}{path}", self.address)
        }
    }

    /// Sends a request; `path` without `/api/v1` is taken as an API path.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        into_answer(req.send().await.expect("request sent")).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        into_answer(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::POST, path, Some(token), Some(&body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::PUT, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str, body: Option<Value>) -> Answer {
        self.request(Method::DELETE, path, Some(token), body.as_ref())
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.request(
            Method::POST,
            "/auth/login",
            None,
            Some(&json!({ "username": username, "password": password })),
        )
        .await
    }

    /// Logs in and returns the access token, failing the test otherwise.
    pub async fn token_for(&self, username: &str, password: &str) -> String {
        let a = self.login(username, password).await;
        a.assert_status(200)["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }
}

fn is_root_path(path: &str) -> bool {
    ["/healthz", "/readyz", "/metrics", "/docs", "/api-docs"]
        .iter()
        .any(|p| path.starts_with(p))
}

async fn into_answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

/// A user made for a test, logged in.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub password: String,
    pub office_id: String,
    pub token: String,
}

impl TestApp {
    /// Arranges an office under `parent_id` straight in the database (the offices API has
    /// its own tests); returns its id.
    pub async fn create_office(
        &self,
        parent_id: &str,
        code: &str,
        level: &str,
        timezone: &str,
    ) -> String {
        let db = self.db.clone();
        let (parent_id, code, level, timezone) = (
            parent_id.to_string(),
            code.to_string(),
            level.to_string(),
            timezone.to_string(),
        );
        tokio::task::spawn_blocking(move || {
            db.write_blocking(move |c| {
                let parent =
                    jemput::offices::repo::find(c, &parent_id)?.expect("parent office exists");
                let id = uuid::Uuid::new_v4().to_string();
                let now = jemput::db::now();
                let office = jemput::offices::repo::Office {
                    path: jemput::offices::repo::child_path(Some(&parent.path), &id),
                    id: id.clone(),
                    name: format!("Office {code}"),
                    code,
                    level,
                    parent_id: Some(parent.id),
                    timezone,
                    created_at: now,
                    updated_at: now,
                };
                jemput::offices::repo::insert(c, &office)?;
                Ok(id)
            })
            .expect("create office")
        })
        .await
        .expect("task")
    }

    /// Arranges a user in `office_id` with `role` straight in the database, then logs in
    /// over HTTP.
    pub async fn create_user(&self, office_id: &str, role: &str) -> TestUser {
        let username = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let password = "a-test-password-123".to_string();
        let db = self.db.clone();
        let (u, o, r) = (username.clone(), office_id.to_string(), role.to_string());
        let hash = jemput::auth::password::hash_blocking(&password).expect("hash");
        let id = tokio::task::spawn_blocking(move || {
            db.write_blocking(move |c| {
                let now = jemput::db::now();
                let user = jemput::users::repo::User {
                    id: uuid::Uuid::new_v4().to_string(),
                    username_key: u.to_ascii_lowercase(),
                    username: u,
                    full_name: "Test User".into(),
                    password_hash: hash,
                    role: r,
                    office_id: o,
                    active: true,
                    auth_epoch: 0,
                    created_at: now,
                    updated_at: now,
                };
                jemput::users::repo::insert(c, &user)?;
                Ok(user.id)
            })
            .expect("create user")
        })
        .await
        .expect("task");
        let token = self.token_for(&username, &password).await;
        TestUser {
            id,
            username,
            password,
            office_id: office_id.to_string(),
            token,
        }
    }
}

/// Two provinces with a regency each under the root office: the scope fixture.
#[derive(Clone, Debug)]
pub struct OfficeTree {
    /// 63 Kalimantan Selatan (WITA).
    pub province: String,
    /// 63.01 Kab. Tanah Laut, under `province`.
    pub regency: String,
    /// 33 Jawa Tengah (WIB): outside the scope of anyone in `province`.
    pub other_province: String,
    /// 33.28 Kab. Tegal, under `other_province`.
    pub other_regency: String,
}

impl TestApp {
    /// Arranges the [`OfficeTree`] below the root office.
    pub async fn office_tree(&self) -> OfficeTree {
        let province = self
            .create_office(&self.root_office_id, "63", "province", "Asia/Makassar")
            .await;
        let regency = self
            .create_office(&province, "63.01", "regency", "Asia/Makassar")
            .await;
        let other_province = self
            .create_office(&self.root_office_id, "33", "province", "Asia/Jakarta")
            .await;
        let other_regency = self
            .create_office(&other_province, "33.28", "regency", "Asia/Jakarta")
            .await;
        OfficeTree {
            province,
            regency,
            other_province,
            other_regency,
        }
    }

    /// Logs in and returns `(access_token, refresh_token)`.
    pub async fn login_tokens(&self, username: &str, password: &str) -> (String, String) {
        let a = self.login(username, password).await;
        let body = a.assert_status(200);
        (
            body["access_token"].as_str().expect("access").to_string(),
            body["refresh_token"].as_str().expect("refresh").to_string(),
        )
    }

    /// Exchanges a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Answer {
        self.request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(&json!({ "refresh_token": refresh_token })),
        )
        .await
    }

    /// A second server over this app's database (another process of one installation).
    pub async fn spawn_peer(&self) -> String {
        let settings = Settings::for_database(&self.database_url);
        let app = Application::build_with_db(settings, self.db.clone())
            .await
            .expect("build peer");
        let port = app.port();
        tokio::spawn(app.server());
        format!("http://127.0.0.1:{port}")
    }

    /// Runs a blocking database closure on this app's database (to check what the user
    /// cannot see, or to move time for the throttle).
    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut jemput::db::DbConn) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn().expect("conn");
            f(&mut conn)
        })
        .await
        .expect("task")
    }

    /// Audit entries the root admin sees with this action, newest first.
    pub async fn audit_entries(&self, action: &str) -> Vec<Value> {
        let a = self
            .get(
                &format!("/audit?action={action}&limit=500"),
                &self.root_token,
            )
            .await;
        a.assert_status(200)["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl TestApp {
    /// Loads the whole embedded data set of regions (about a second) and returns the report.
    pub async fn load_areas(&self) -> jemput::areas::seed::LoadReport {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || jemput::areas::seed::load(&db).expect("load areas"))
            .await
            .expect("task")
    }
}

/// A valid NIK (province 63, district 63.01.01, born 12 March 1990) with serial `n`.
pub fn test_nik(n: u32) -> String {
    format!("630101120390{:04}", n % 10_000)
}

#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl TestApp {
    /// Runs `SELECT COUNT(*) AS n ...` (give the whole statement) on the app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = self.db.clone();
        let sql = sql.to_string();
        tokio::task::spawn_blocking(move || {
            use diesel::RunQueryDsl;
            let mut conn = db.conn().expect("connection");
            let row: CountRow = diesel::sql_query(sql)
                .get_result(&mut **conn)
                .expect("count query");
            row.n
        })
        .await
        .expect("task")
    }

    /// `POST /sync/activations` with these items.
    pub async fn sync_items(&self, token: &str, items: &[Value]) -> Answer {
        self.post("/sync/activations", token, json!({ "items": items }))
            .await
    }
}

/// The embedded data set of regions, parsed once per test process.
fn all_areas() -> &'static [jemput::areas::repo::Area] {
    static AREAS: OnceLock<Vec<jemput::areas::repo::Area>> = OnceLock::new();
    AREAS.get_or_init(|| jemput::areas::seed::parse().expect("parse areas"))
}

impl TestApp {
    /// Loads only the regions inside these provinces (e.g. `["63", "32"]`): the real codes
    /// and names, without the cost of the whole country for tests that need one province.
    pub async fn load_areas_within(&self, provinces: &[&str]) -> usize {
        let prefixes: Vec<String> = provinces.iter().map(|p| format!("{p}.")).collect();
        let rows: Vec<jemput::areas::repo::Area> = all_areas()
            .iter()
            .filter(|a| {
                provinces.contains(&a.code.as_str())
                    || prefixes.iter().any(|p| a.code.starts_with(p.as_str()))
            })
            .cloned()
            .collect();
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            db.write_blocking(move |c| jemput::areas::repo::replace_all(c, &rows))
                .expect("load areas")
        })
        .await
        .expect("task")
    }
}

/// The demo accounts' shared password, as `jemput seed demo` prints it.
pub const DEMO_PASSWORD: &str = "jemput-demo-2024";

/// What `jemput seed demo` printed about what it stored.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub offices: i64,
    pub accounts: i64,
    pub attempts: i64,
    pub activated: i64,
    pub failed: i64,
    pub repeat_citizens: i64,
    pub voided: i64,
}

/// Runs `jemput seed demo` against `database_url`, as a newcomer does (the demo is the
/// binary's, not the library's): what it printed, or its standard error when it refused.
pub async fn seed_demo(database_url: &str) -> Result<DemoSummary, String> {
    let run =
        crate::ops_support::jemput(&["seed", "demo"], &[("DATABASE_URL", database_url)]).await;
    if !run.ok {
        return Err(run.stderr);
    }
    // "Loaded the demo data: 16 offices, 35 accounts, 1,234 events and 12,345 activation
    // attempts in 2024" then "(5,123 counted activations, 1,234 failed attempts, 3 repeat
    // citizens, 3 voided)."
    let numbers = |line: &str| -> Vec<i64> {
        line.split(|c: char| !(c.is_ascii_digit() || c == ','))
            .map(|w| w.replace(',', ""))
            .filter(|w| !w.is_empty())
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let mut lines = run.stdout.lines();
    let first = numbers(lines.next().unwrap_or_default());
    let second = numbers(lines.next().unwrap_or_default());
    match (first.as_slice(), second.as_slice()) {
        ([offices, accounts, _events, attempts, _year], [activated, failed, repeat, voided]) => {
            Ok(DemoSummary {
                offices: *offices,
                accounts: *accounts,
                attempts: *attempts,
                activated: *activated,
                failed: *failed,
                repeat_citizens: *repeat,
                voided: *voided,
            })
        }
        _ => panic!("unexpected `jemput seed demo` output:\n{}", run.stdout),
    }
}
