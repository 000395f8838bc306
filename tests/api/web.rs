//! The web app under `/app/`: sign-in, sessions, CSRF, the pages a supervisor reads (figures
//! formatted the Indonesian way), role and scope rules, downloads, and the security headers
//! on every answer of the server.

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::fixtures::World;
use crate::helpers::*;

const PASSWORD: &str = DEMO_PASSWORD;

const SESSION: &str = "jemput_session";

/// A browser of one user: its session cookie and the last page's CSRF token.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token in the page's forms.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a csrf token") + marker.len();
        let end = self.body[start..].find('"').expect("end of token") + start;
        self.body[start..end].to_string()
    }

    /// The page's text without tags (what a reader sees), whitespace collapsed.
    fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for ch in self.body.chars() {
            match ch {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&#38;", "&")
            .replace("&amp;", "&")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn session_cookie(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == SESSION)
            .map(|(_, v)| v.clone())
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header(COOKIE, self.cookie_header())
        };
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for set in headers.get_all(SET_COOKIE) {
            let set = set.to_str().expect("ascii cookie");
            let pair = set.split(';').next().unwrap_or("");
            let (k, v) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(name, _)| name != k);
            let removed = set.contains("Max-Age=0") || v.is_empty();
            if !removed {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let bytes = res.bytes().await.expect("body").to_vec();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.app.client.get(format!("{}{path}", self.app.address));
        self.send(req).await
    }

    /// A form post from a page of this origin (what a browser sends).
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header("origin", self.app.address.clone())
            .header("sec-fetch-site", "same-origin")
            .form(form);
        self.send(req).await
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        self.post(
            "/app/login",
            &[
                ("username", username),
                ("password", password),
                ("next", "/app/"),
            ],
        )
        .await
    }
}

async fn exec(app: &TestApp, sql: &'static str) {
    use diesel::RunQueryDsl;
    app.with_db(move |c| diesel::sql_query(sql).execute(c).expect("sql"))
        .await;
}

async fn load_demo(app: &TestApp) {
    seed_demo(&app.database_url).await.expect("demo loads");
}

async fn office_id(app: &TestApp, code: &str) -> String {
    let a = app.get("/offices?limit=500", &app.root_token).await;
    a.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["code"] == code)
        .and_then(|o| o["id"].as_str())
        .expect("office")
        .to_string()
}

/// `n` with Indonesian thousands separators.
fn id_int(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn a_supervisor_signs_in_and_reads_the_demo_figures_the_indonesian_way() {
    let app = spawn_app().await;
    load_demo(&app).await;
    let mut b = Browser::new(&app);

    // Not signed in: every page leads to the sign-in form, and back afterwards.
    let p = b.get("/").await;
    assert_eq!((p.status, p.location()), (303, "/app/"));
    let p = b
        .get("/app/reports/channels?from=2024-03-11&to=2024-04-09")
        .await;
    assert_eq!(p.status, 303);
    assert!(
        p.location().starts_with("/app/login?next="),
        "{}",
        p.location()
    );
    let p = b.get("/app/login").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("name=\"username\"") && p.body.contains("name=\"password\""));
    assert!(p.text().contains("Masuk"));

    let logins = app.audit_entries("login").await.len();
    let p = b.sign_in("tanahlaut.supervisor", PASSWORD).await;
    assert_eq!((p.status, p.location()), (303, "/app/"));
    assert_eq!(
        app.audit_entries("login").await.len(),
        logins + 1,
        "audited like the API"
    );
    let set = p.header("set-cookie");
    assert!(set.starts_with("jemput_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http: no Secure flag: {set}");

    // The Ramadhan Expo stand: 21 events, 54 activations, Rp 58.333 per activation.
    let p = b
        .get("/app/reports/channels?from=2024-03-11&to=2024-04-09")
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let text = p.text();
    let expo = text
        .split("Stan pameran (expo)")
        .nth(2)
        .expect("the expo row after the chart's label");
    assert!(expo.trim_start().starts_with("21 54 "), "{expo}");
    assert!(expo.contains("Rp 58.333"), "{expo}");
    assert!(expo.contains("Tidak punya ponsel Android"), "{expo}");
    assert!(p.body.contains("<svg class=\"chart\""), "a chart");
    assert!(
        p.body.contains("role=\"img\"") && p.body.contains("<title"),
        "an accessible chart"
    );
    assert!(p.body.contains("<table>"), "the figures in a table");
    assert!(!text.contains("expo_stand"), "channel names in words");

    // The overview: the two numbers behind the percentage, from the progress report.
    let tala = office_id(&app, "63.01").await;
    let token = app.token_for("tanahlaut.supervisor", PASSWORD).await;
    let progress = app
        .get("/reports/progress?year=2024&as_of=2024-12-31", &token)
        .await;
    let progress = progress.assert_status(200).clone();
    let p = b
        .get("/app/?from=2024-01-01&to=2024-12-31&year=2024&as_of=2024-12-31")
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let total = progress["total_activations"].as_i64().expect("total");
    let target = progress["target_activations"].as_i64().expect("target");
    let text = p.text();
    assert!(
        text.contains(&format!("{} dari {}", id_int(total), id_int(target))),
        "{text}"
    );
    assert!(text.contains("Target tahun 2024"), "{text}");
    assert!(
        text.contains("Laporan kegiatan menunggu tinjauan"),
        "{text}"
    );

    // Every report page renders for the known data, with its figures in a table.
    let ramadan = "from=2024-03-11&to=2024-04-09";
    for (kind, q) in [
        ("progress", "year=2024&as_of=2024-12-31"),
        ("daily", ramadan),
        ("failures", ramadan),
        ("staff", ramadan),
        ("offices", ramadan),
        ("coverage", ramadan),
    ] {
        let p = b
            .get(&format!("/app/reports/{kind}?office_id={tala}&{q}"))
            .await;
        assert_eq!(p.status, 200, "{kind}: {}", p.body);
        assert!(p.body.contains("<table>"), "{kind}");
    }
    let p = b
        .get("/app/reports/progress?year=2024&as_of=2024-12-31")
        .await;
    assert!(p.text().contains(&id_int(target)), "{}", p.text());
    let p = b
        .get("/app/reports/daily?from=2024-03-11&to=2024-04-09")
        .await;
    assert!(p.text().contains("11 Maret 2024"), "dates in Indonesian");

    // Downloads: a real XLSX (a zip) and CSV, for the same figures.
    let p = b
        .get("/app/reports/channels/download?format=xlsx&from=2024-03-11&to=2024-04-09")
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        p.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(p.bytes.starts_with(b"PK"), "an XLSX is a zip");
    let p = b
        .get("/app/reports/channels/download?format=csv&from=2024-03-11&to=2024-04-09")
        .await;
    assert_eq!(p.status, 200);
    assert!(p.header("content-type").starts_with("text/csv"));
    assert!(p.body.contains("expo_stand,21,54,"), "{}", p.body);

    // The API answers XLSX on request.
    let a = app
        .client
        .get(app.url("/reports/channels?from=2024-03-11&to=2024-04-09"))
        .bearer_auth(&token)
        .header(
            "accept",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(a.status(), 200);
    assert_eq!(
        a.headers()[CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(a.bytes().await.expect("body").starts_with(b"PK"));

    // English, remembered.
    let p = b
        .get("/app/lang?to=en&next=/app/reports/channels?from=2024-03-11%26to=2024-04-09")
        .await;
    assert_eq!(p.status, 303);
    let p = b
        .get("/app/reports/channels?from=2024-03-11&to=2024-04-09")
        .await;
    let text = p.text();
    assert!(
        text.contains("Channels compared") && text.contains("IDR 58,333"),
        "{text}"
    );
    let p = b.get("/app/lang?to=id&next=https://evil.example/").await;
    assert_eq!(p.location(), "/app/", "no open redirect");
}

async fn submitted_event(w: &World) -> String {
    let id = w.event(&w.staff.token).await;
    w.app
        .post(&format!("/events/{id}/submit"), &w.staff.token, json!({}))
        .await
        .assert_status(200);
    id
}

async fn event_status(w: &World, id: &str) -> String {
    let a = w.app.get(&format!("/events/{id}"), &w.tala_sup.token).await;
    a.assert_status(200)["status"]
        .as_str()
        .expect("status")
        .to_string()
}

#[tokio::test]
async fn a_supervisor_approves_and_returns_reports_and_forged_posts_change_nothing() {
    let w = World::new().await;
    let id = submitted_event(&w).await;
    let mut b = Browser::new(&w.app);
    assert_eq!(
        b.sign_in(&w.tala_sup.username, &w.tala_sup.password)
            .await
            .status,
        303
    );
    let page = b.get(&format!("/app/events/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text().contains("Menunggu tinjauan"));
    assert!(page.text().contains("Setujui") && page.text().contains("Kembalikan"));
    let csrf = page.csrf();
    let approve = format!("/app/events/{id}/approve");

    // Without the token, with a wrong one, or from another site: 403, nothing changes.
    let p = b.post(&approve, &[]).await;
    assert_eq!(p.status, 403);
    let p = b.post(&approve, &[("csrf", "not-the-token")]).await;
    assert_eq!(p.status, 403);
    let cross = w
        .app
        .client
        .post(format!("{}{approve}", w.app.address))
        .header(COOKIE, b.cookie_header())
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())]);
    assert_eq!(b.send(cross).await.status, 403);
    let cross = w
        .app
        .client
        .post(format!("{}{approve}", w.app.address))
        .header(COOKIE, b.cookie_header())
        .header("sec-fetch-site", "cross-site")
        .header("origin", w.app.address.clone())
        .form(&[("csrf", csrf.as_str())]);
    assert_eq!(b.send(cross).await.status, 403);
    let bare = w
        .app
        .client
        .post(format!("{}{approve}", w.app.address))
        .header(COOKIE, b.cookie_header())
        .form(&[("csrf", csrf.as_str())]);
    assert_eq!(
        b.send(bare).await.status,
        403,
        "no Origin, no fetch metadata"
    );
    assert_eq!(event_status(&w, &id).await, "submitted");

    // "Setujui".
    let p = b.post(&approve, &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), format!("/app/events/{id}?done=approved"));
    assert_eq!(event_status(&w, &id).await, "approved");
    let page = b.get(p.location()).await;
    assert!(page.text().contains("Laporan kegiatan disetujui"));
    assert!(!page.text().contains("Setujui Kembalikan"));

    // "Kembalikan" needs a comment; then the comment reaches the event.
    let other = submitted_event(&w).await;
    let back = format!("/app/events/{other}/return");
    let p = b.post(&back, &[("csrf", &csrf), ("comment", "  ")]).await;
    assert_eq!(p.status, 422);
    assert!(p.text().contains("comment"), "{}", p.text());
    assert_eq!(event_status(&w, &other).await, "submitted");
    let p = b
        .post(
            &back,
            &[("csrf", &csrf), ("comment", "Jam petugas belum diisi")],
        )
        .await;
    assert_eq!(p.status, 303);
    let a = w
        .app
        .get(&format!("/events/{other}"), &w.tala_sup.token)
        .await;
    assert_eq!(a.assert_status(200)["status"], "returned");
    assert_eq!(a.json["review_comment"], "Jam petugas belum diisi");

    // Field staff cannot review, even with a valid session and token: 403, unchanged.
    let third = submitted_event(&w).await;
    let mut staff = Browser::new(&w.app);
    staff.sign_in(&w.staff.username, &w.staff.password).await;
    let page = staff.get(&format!("/app/events/{third}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("Setujui"));
    let token = page.csrf();
    let p = staff
        .post(&format!("/app/events/{third}/approve"), &[("csrf", &token)])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(event_status(&w, &third).await, "submitted");
}

#[tokio::test]
async fn pages_keep_the_api_scope_and_roles() {
    let w = World::new().await;
    let id = submitted_event(&w).await;
    let mut jabar = Browser::new(&w.app);
    jabar
        .sign_in(&w.jabar_sup.username, &w.jabar_sup.password)
        .await;

    // Another office's event and office answer 404 pages, like missing ones.
    let p = jabar.get(&format!("/app/events/{id}")).await;
    assert_eq!(p.status, 404);
    assert!(p.header("content-type").starts_with("text/html"));
    assert!(p.text().contains("Halaman tidak ditemukan"));
    let p = jabar
        .get(&format!("/app/reports/channels?office_id={}", w.tala))
        .await;
    assert_eq!(p.status, 404);
    let p = jabar
        .get(&format!("/app/events?office_id={}", w.tala))
        .await;
    assert_eq!(p.status, 404);
    let csrf = jabar.get("/app/events").await.csrf();
    let p = jabar
        .post(&format!("/app/events/{id}/approve"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(event_status(&w, &id).await, "submitted");

    // A field officer on an admin page: 403.
    let mut staff = Browser::new(&w.app);
    staff.sign_in(&w.staff.username, &w.staff.password).await;
    for path in ["/app/users", "/app/offices", "/app/targets"] {
        let p = staff.get(path).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.text().contains("Akses ditolak"), "{path}");
    }
    // Bad input is a clear page, never a 500.
    let p = staff.get("/app/reports/channels?from=2024-02-30").await;
    assert_eq!(p.status, 422);
    assert!(p.text().contains("from"));
    let p = staff.get("/app/events?cursor=%%%").await;
    assert_eq!(p.status, 422);
    let p = staff.get("/app/no/such/page").await;
    assert_eq!(p.status, 404);
}

#[tokio::test]
async fn sessions_expire_end_at_sign_out_and_follow_the_account() {
    let w = World::new().await;
    let mut b = Browser::new(&w.app);
    assert_eq!(
        b.sign_in(&w.tala_sup.username, &w.tala_sup.password)
            .await
            .status,
        303
    );
    assert_eq!(b.get("/app/events").await.status, 200);
    let sessions = "SELECT COUNT(*) AS n FROM web_sessions";
    assert_eq!(w.app.count(sessions).await, 1);

    // Idle for 31 minutes: back to the sign-in page, and the session is gone.
    let sql = match backend_under_test() {
        jemput::db::Backend::Sqlite => {
            "UPDATE web_sessions SET last_seen_at = datetime(last_seen_at, '-31 minutes')"
        }
        jemput::db::Backend::Postgres => {
            "UPDATE web_sessions SET last_seen_at = last_seen_at - interval '31 minutes'"
        }
    };
    exec(&w.app, sql).await;
    let p = b.get("/app/events").await;
    assert_eq!(p.status, 303);
    assert!(p.location().starts_with("/app/login"));
    assert_eq!(w.app.count(sessions).await, 0);

    // Twelve hours after sign-in, however busy.
    b.sign_in(&w.tala_sup.username, &w.tala_sup.password).await;
    assert_eq!(b.get("/app/events").await.status, 200);
    let sql = match backend_under_test() {
        jemput::db::Backend::Sqlite => {
            "UPDATE web_sessions SET created_at = datetime(created_at, '-721 minutes')"
        }
        jemput::db::Backend::Postgres => {
            "UPDATE web_sessions SET created_at = created_at - interval '721 minutes'"
        }
    };
    exec(&w.app, sql).await;
    assert_eq!(b.get("/app/events").await.status, 303);

    // Signing in again replaces the session the browser had.
    b.sign_in(&w.tala_sup.username, &w.tala_sup.password).await;
    b.sign_in(&w.tala_sup.username, &w.tala_sup.password).await;
    assert_eq!(w.app.count(sessions).await, 1);

    // Sign-out: the cookie is cleared and the old token is dead.
    let old = b.session_cookie().expect("session cookie");
    let csrf = b.get("/app/events").await.csrf();
    let p = b.post("/app/logout", &[]).await;
    assert_eq!(p.status, 403, "sign-out needs the token too");
    let p = b.post("/app/logout", &[("csrf", &csrf)]).await;
    assert_eq!((p.status, p.location()), (303, "/app/login"));
    assert!(
        p.header("set-cookie").contains("Max-Age=0"),
        "{}",
        p.header("set-cookie")
    );
    assert!(b.session_cookie().is_none());
    let replay = w
        .app
        .client
        .get(format!("{}/app/events", w.app.address))
        .header(COOKIE, format!("{SESSION}={old}"));
    assert_eq!(b.send(replay).await.status, 303);
    assert_eq!(w.app.count(sessions).await, 0);

    // A new password or a deactivation ends every session of the account.
    let mut b = Browser::new(&w.app);
    b.sign_in(&w.staff.username, &w.staff.password).await;
    assert_eq!(b.get("/app/events").await.status, 200);
    w.app
        .patch(
            &format!("/users/{}", w.staff.id),
            &w.app.root_token,
            json!({ "password": "a-brand-new-password-42" }),
        )
        .await
        .assert_status(200);
    assert_eq!(b.get("/app/events").await.status, 303);
    b.sign_in(&w.staff.username, "a-brand-new-password-42")
        .await;
    assert_eq!(b.get("/app/events").await.status, 200);
    w.app
        .patch(
            &format!("/users/{}", w.staff.id),
            &w.app.root_token,
            json!({ "active": false }),
        )
        .await
        .assert_status(200);
    assert_eq!(b.get("/app/events").await.status, 303);
}

#[tokio::test]
async fn sign_in_shares_the_api_accounts_throttle_and_audit_but_not_its_credentials() {
    let w = World::new().await;
    let mut b = Browser::new(&w.app);

    // A post without Origin or fetch metadata is refused before anything is checked.
    let bare = w
        .app
        .client
        .post(format!("{}/app/login", w.app.address))
        .form(&[
            ("username", w.tala_sup.username.as_str()),
            ("password", w.tala_sup.password.as_str()),
        ]);
    assert_eq!(b.send(bare).await.status, 403);
    assert!(b.session_cookie().is_none());

    let p = b.sign_in(&w.tala_sup.username, "wrong-password").await;
    assert_eq!(p.status, 401);
    assert!(p.text().contains("Nama pengguna atau kata sandi salah"));
    assert!(b.session_cookie().is_none());
    let failed = w.app.audit_entries("login_failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let p = b.sign_in("", "").await;
    assert_eq!(p.status, 422);

    // The API's per-username throttle covers the form too.
    for _ in 0..9 {
        b.sign_in(&w.tala_sup.username, "wrong-password").await;
    }
    let p = b.sign_in(&w.tala_sup.username, &w.tala_sup.password).await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(p.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0));
    assert!(b.session_cookie().is_none());

    // A session cookie is no API credential, and a bearer token opens no page.
    let mut b = Browser::new(&w.app);
    assert_eq!(
        b.sign_in(&w.kalsel_sup.username, &w.kalsel_sup.password)
            .await
            .status,
        303
    );
    let cookie = b.cookie_header();
    let a = w
        .app
        .client
        .get(w.app.url("/me"))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(a.status(), 401);
    let a = w
        .app
        .client
        .get(format!("{}/app/", w.app.address))
        .bearer_auth(&w.kalsel_sup.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(a.status(), 303);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let css = {
        let mut b = Browser::new(&app);
        let page = b.get("/app/login").await;
        let start = page.body.find("/app/static/").expect("stylesheet");
        let end = page.body[start..].find('"').expect("end") + start;
        page.body[start..end].to_string()
    };
    for path in [
        "/app/login",
        "/app/",
        css.as_str(),
        "/api/v1/me",
        "/healthz",
        "/docs/",
        "/api-docs/openapi.json",
        "/nowhere",
    ] {
        let a = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        let h = a.headers();
        let get = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert!(
            get("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(get("referrer-policy"), "same-origin", "{path}");
        if path.starts_with("/app") {
            let csp = get("content-security-policy");
            assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        }
    }
    // Swagger UI's online validator is off: /docs fetches nothing from another origin.
    let a = app
        .client
        .get(format!("{}/docs/swagger-initializer.js", app.address))
        .send()
        .await
        .expect("sent");
    let js = a.text().await.expect("text");
    assert!(js.contains("\"validatorUrl\": \"none\""), "{js}");
    // The login page loads nothing from another origin and runs no inline script.
    let mut b = Browser::new(&app);
    let page = b.get("/app/login").await;
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
    assert!(!page.body.contains("<script"));
}

#[tokio::test]
async fn an_admin_manages_staff_offices_and_targets_from_the_pages() {
    let w = World::new().await;
    let admin = w.app.create_user(&w.kalsel, "admin").await;
    let mut b = Browser::new(&w.app);
    assert_eq!(
        b.sign_in(&admin.username, &admin.password).await.status,
        303
    );
    let page = b.get("/app/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text().contains(&w.tala_sup.username));
    assert!(!page.text().contains(&w.jabar_sup.username), "out of scope");
    let csrf = page.csrf();

    // A new field officer; a weak password is refused and creates nobody.
    let users = "SELECT COUNT(*) AS n FROM users";
    let before = w.app.count(users).await;
    let p = b
        .post(
            "/app/users",
            &[
                ("csrf", &csrf),
                ("full_name", "Rahmat Hidayat"),
                ("username", "rahmat.h"),
                ("password", "short"),
                ("role", "field_staff"),
                ("office_id", &w.tala),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.text().contains("password"), "{}", p.text());
    assert_eq!(w.app.count(users).await, before);
    let p = b
        .post(
            "/app/users",
            &[
                ("csrf", &csrf),
                ("full_name", "Rahmat Hidayat"),
                ("username", "rahmat.h"),
                ("password", "kalimantan-selatan-2024"),
                ("role", "field_staff"),
                ("office_id", &w.tala),
            ],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/app/users?done=created"));
    let token = w.app.token_for("rahmat.h", "kalimantan-selatan-2024").await;
    let me = w.app.get("/me", &token).await;
    assert_eq!(me.assert_status(200)["role"], "field_staff");
    assert_eq!(me.json["office_id"], w.tala.as_str());

    // Deactivating ends the officer's web session and API tokens at once.
    let mut staff = Browser::new(&w.app);
    staff.sign_in(&w.staff.username, &w.staff.password).await;
    assert_eq!(staff.get("/app/events").await.status, 200);
    let p = b
        .post(
            &format!("/app/users/{}", w.staff.id),
            &[("csrf", &csrf), ("action", "deactivate")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(staff.get("/app/events").await.status, 303);
    w.app
        .get("/me", &w.staff.token)
        .await
        .assert_problem(401, "unauthorized");

    // A new password for another officer.
    let p = b
        .post(
            &format!("/app/users/{}", w.staff2.id),
            &[
                ("csrf", &csrf),
                ("action", "password"),
                ("password", "pelaihari-baru-2024"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        w.app
            .login(&w.staff2.username, &w.staff2.password)
            .await
            .status,
        401
    );
    w.app
        .token_for(&w.staff2.username, "pelaihari-baru-2024")
        .await;

    // Another province's officer is out of reach: 404, unchanged.
    let p = b
        .post(
            &format!("/app/users/{}", w.jabar_staff.id),
            &[("csrf", &csrf), ("action", "deactivate")],
        )
        .await;
    assert_eq!(p.status, 404);
    w.app
        .get("/me", &w.jabar_staff.token)
        .await
        .assert_status(200);

    // Offices: create a regency below the province, then rename it.
    let p = b
        .post(
            "/app/offices",
            &[
                ("csrf", &csrf),
                ("parent_id", &w.kalsel),
                ("code", "63.02"),
                ("name", "Disdukcapil Kab. Kotabaru"),
                ("level", "regency"),
                ("timezone", "Asia/Makassar"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = b.get("/app/offices").await;
    assert!(page.text().contains("Disdukcapil Kab. Kotabaru"));
    let kotabaru = {
        let a = w.app.get("/offices?limit=500", &admin.token).await;
        a.assert_status(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|o| o["code"] == "63.02")
            .and_then(|o| o["id"].as_str())
            .expect("created office")
            .to_string()
    };
    let p = b
        .post(
            &format!("/app/offices/{kotabaru}"),
            &[
                ("csrf", &csrf),
                ("name", "Disdukcapil Kabupaten Kotabaru"),
                ("timezone", "Asia/Makassar"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    // A NUL typed into a form (PostgreSQL cannot store one) is a 422 page naming the field,
    // on both backends, and changes nothing.
    let p = b
        .post(
            &format!("/app/offices/{kotabaru}"),
            &[
                ("csrf", &csrf),
                ("name", "Kotabaru\u{0}x"),
                ("timezone", "Asia/Makassar"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.text().contains("name"), "{}", p.body);
    let a = w
        .app
        .get(&format!("/offices/{kotabaru}"), &admin.token)
        .await;
    assert_eq!(
        a.assert_status(200)["name"],
        "Disdukcapil Kabupaten Kotabaru"
    );

    // A target typed the Indonesian way: 100.000 wajib KTP, 30 % gives 30.000.
    let p = b
        .post(
            "/app/targets",
            &[
                ("csrf", &csrf),
                ("office_id", &w.tala),
                ("year", "2024"),
                ("eligible_population", "100.000"),
                ("target_percent", "30"),
                ("baseline_activations", "1.250"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = b.get(&format!("/app/targets?office_id={}", w.tala)).await;
    assert!(
        page.text().contains("2024 100.000 30,00 % 30.000 1.250"),
        "{}",
        page.text()
    );
    let a = w
        .app
        .get(&format!("/offices/{}/targets/2024", w.tala), &admin.token)
        .await;
    assert_eq!(a.assert_status(200)["target_activations"], 30000);
    let p = b
        .post(
            "/app/targets",
            &[
                ("csrf", &csrf),
                ("office_id", &w.tala),
                ("year", "20x4"),
                ("eligible_population", "banyak"),
                ("target_percent", "30"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.text().contains("year") && p.text().contains("eligible_population"));

    // A supervisor is not an admin.
    let mut sup = Browser::new(&w.app);
    sup.sign_in(&w.tala_sup.username, &w.tala_sup.password)
        .await;
    assert_eq!(sup.get("/app/users").await.status, 403);
    let token = sup.get("/app/events").await.csrf();
    let p = sup
        .post(
            &format!("/app/users/{}", w.staff2.id),
            &[("csrf", &token), ("action", "deactivate")],
        )
        .await;
    assert_eq!(p.status, 403);
}

#[tokio::test]
async fn over_tls_the_cookie_is_secure_and_host_prefixed() {
    // A TLS proxy in front that the operator trusts says the browser used https.
    let app = spawn_app_with(|s| s.trust_proxy = true).await;
    let sign_in = |proto: &'static str| {
        app.client
            .post(format!("{}/app/login", app.address))
            .header("origin", app.address.replace("http://", "https://"))
            .header("x-forwarded-proto", proto)
            .form(&[("username", ROOT_USER), ("password", ROOT_PASSWORD)])
            .send()
    };
    let res = sign_in("https").await.expect("sent");
    assert_eq!(res.status(), 303);
    let set = res.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(set.starts_with("__Host-jemput_session="), "{set}");
    assert!(
        set.contains("Secure") && set.contains("Path=/") && set.contains("HttpOnly"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "{set}");
    let pair = set.split(';').next().expect("pair").to_string();
    let page = app
        .client
        .get(format!("{}/app/events", app.address))
        .header(COOKIE, pair)
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);

    // Plain http through the same proxy: no prefix, no Secure (browsers would drop it).
    let res = sign_in("http").await.expect("sent");
    let set = res.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        set.starts_with("jemput_session=") && !set.contains("Secure"),
        "{set}"
    );

    // Without a trusted proxy the header means nothing.
    let plain = spawn_app().await;
    let res = plain
        .client
        .post(format!("{}/app/login", plain.address))
        .header("origin", plain.address.clone())
        .header("x-forwarded-proto", "https")
        .form(&[("username", ROOT_USER), ("password", ROOT_PASSWORD)])
        .send()
        .await
        .expect("sent");
    let set = res.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        set.starts_with("jemput_session=") && !set.contains("Secure"),
        "{set}"
    );
}
