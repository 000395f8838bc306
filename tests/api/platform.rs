//! The platform: operations endpoints, problem+json for every kind of bad request, the
//! OpenAPI document, and the two backends' schemas.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_ready_metrics_and_docs_answer_without_auth() {
    let app = spawn_app().await;
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.assert_status(200)["status"], "ok");

    let ready = app.request(Method::GET, "/readyz", None, None).await;
    let body = ready.assert_status(200);
    assert_eq!(body["database"], backend_under_test().name());

    let metrics = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .text
            .contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"),
        "{}",
        metrics.text
    );
    assert!(metrics
        .text
        .contains("http_request_duration_seconds_bucket"));
    assert!(metrics.text.contains("db_pool_connections"));
    // The allocator's live and resident bytes, which tell a leak from a cache.
    #[cfg(feature = "jemalloc")]
    for gauge in ["heap_allocated_bytes", "heap_resident_bytes"] {
        let bytes: f64 = metrics
            .text
            .lines()
            .find_map(|l| l.strip_prefix(gauge)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{gauge} in {}", metrics.text));
        assert!(bytes > 1_000_000.0, "{gauge} = {bytes}");
    }

    let docs = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.content_type().starts_with("text/html"));
    // Offices run on intranets: the page must not load anything from elsewhere.
    assert!(
        !docs.text.contains("https://"),
        "docs page references an external URL"
    );
    let redirect = app.request(Method::GET, "/docs", None, None).await;
    assert!(redirect.status.is_redirection());

    let spec = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    let spec = spec.assert_status(200);
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/auth/login"]["post"].is_object());
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_honours_a_given_one() {
    let app = spawn_app().await;
    let a = app.request(Method::GET, "/healthz", None, None).await;
    assert!(a.header("x-request-id").is_some_and(|v| v.len() >= 16));
    let given = app
        .send(
            app.client
                .get(app.url("/nope"))
                .header("x-request-id", "phone-123"),
        )
        .await;
    assert_eq!(given.header("x-request-id"), Some("phone-123"));
    assert_eq!(given.json["request_id"], "phone-123");
}

#[tokio::test]
async fn malformed_json_answers_400_problem() {
    let app = spawn_app().await;
    let a = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("content-type", "application/json")
                .body("{\"username\": \"root\","),
        )
        .await;
    a.assert_problem(400, "malformed_request");
    assert_eq!(a.json["title"], "Malformed request");
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_answer_400_without_echoing_values() {
    let app = spawn_app().await;
    let a = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(&json!({"username": "root", "password": "x", "nik": "3201011501900001"})),
        )
        .await;
    a.assert_problem(400, "malformed_request");
    assert!(a.json["detail"].as_str().unwrap_or("").contains("nik"));

    // A value of the wrong type: `a_value_of_the_wrong_shape_is_named_by_its_field_never_by_its_value`.
}

#[tokio::test]
async fn unknown_route_answers_404_problem_and_wrong_method_405() {
    let app = spawn_app().await;
    app.request(Method::GET, "/api/v1/no-such-thing", None, None)
        .await
        .assert_problem(404, "not_found");
    let a = app.request(Method::DELETE, "/healthz", None, None).await;
    a.assert_problem(405, "method_not_allowed");
    assert_eq!(a.header("allow"), Some("GET"));
}

#[tokio::test]
async fn a_body_over_4_mib_answers_413_problem() {
    let app = spawn_app().await;
    let big = "a".repeat(5 * 1024 * 1024);
    let a = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
    a.assert_problem(413, "payload_too_large");

    // Without a declared length (chunked), the JSON extractor's limit catches it.
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let b = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await;
    b.assert_problem(413, "payload_too_large");
}

#[tokio::test]
async fn a_wrong_content_type_answers_415_problem() {
    let app = spawn_app().await;
    let a = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    a.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn accept_language_id_gives_indonesian_problem_text() {
    let app = spawn_app().await;
    let a = app
        .send(
            app.client
                .get(app.url("/api/v1/nope"))
                .header("accept-language", "id-ID,id;q=0.9,en;q=0.5"),
        )
        .await;
    a.assert_problem(404, "not_found");
    assert_eq!(a.json["title"], "Tidak ditemukan");
    assert_eq!(a.header("content-language"), Some("id"));
    let en = app
        .send(
            app.client
                .get(app.url("/api/v1/nope"))
                .header("accept-language", "en-US,id;q=0.1"),
        )
        .await;
    assert_eq!(en.json["title"], "Not found");
}

#[tokio::test]
async fn the_checked_in_openapi_document_matches_the_code() {
    let generated = jemput::docs::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-docs/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &generated).expect("write api-docs/openapi.json");
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "api-docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
    // And the server serves the same document.
    let app = spawn_app().await;
    let served = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    let from_file: serde_json::Value = serde_json::from_str(&checked_in).expect("valid JSON");
    assert_eq!(served.json, from_file);
}

#[tokio::test]
async fn a_second_init_refuses() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let err = tokio::task::spawn_blocking(move || {
        let args = jemput::config::InitArgs {
            admin_username: "another".into(),
            office_code: "99".into(),
            office_name: "Other".into(),
            office_level: "national".into(),
            timezone: "Asia/Jakarta".into(),
            admin_full_name: "Other".into(),
        };
        jemput::bootstrap::init(&db, &args, "a-long-enough-password")
    })
    .await
    .expect("task");
    let msg = format!("{:#}", err.expect_err("second init must refuse"));
    assert!(msg.contains("admin already exists"), "{msg}");
}

#[tokio::test]
async fn a_write_is_readable_through_a_new_connection_once_acknowledged() {
    // The pool's connections are separate from this one: what the API acknowledged must
    // already be committed and visible to any new connection.
    let app = spawn_app().await;
    let a = app.login(ROOT_USER, ROOT_PASSWORD).await;
    a.assert_status(200);
    let db = jemput::db::Db::connect(&app.database_url, 1).expect("new pool");
    let n = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        let mut conn = db.conn().expect("conn");
        jemput::schema::audit_log::table
            .filter(jemput::schema::audit_log::action.eq("login"))
            .count()
            .get_result::<i64>(&mut **conn)
            .expect("count")
    })
    .await
    .expect("task");
    assert!(n >= 2, "both logins are audited, saw {n}");
}

#[tokio::test]
async fn a_value_of_the_wrong_shape_is_named_by_its_field_never_by_its_value() {
    let app = spawn_app().await;
    let nik = "3201011501900001";
    let wrong_type = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(&json!({"username": 3201011501900001u64, "password": "x"})),
        )
        .await;
    wrong_type.assert_problem(400, "malformed_request");
    assert_eq!(
        wrong_type.json["detail"],
        "The value of `username` has the wrong type or shape."
    );
    assert!(
        !wrong_type.text.contains(nik),
        "the value was echoed: {}",
        wrong_type.text
    );
    let missing = app
        .request(
            Method::POST,
            "/auth/login",
            None,
            Some(&json!({"password": nik})),
        )
        .await;
    missing.assert_problem(400, "malformed_request");
    assert_eq!(missing.json["detail"], "Missing field `username`.");

    // The query string: the parameter is named, in the caller's language, its value never.
    let token = app.token_for(ROOT_USER, ROOT_PASSWORD).await;
    let bad_limit = app.get(&format!("/events?limit={nik}x"), &token).await;
    bad_limit.assert_problem(400, "malformed_request");
    assert_eq!(
        bad_limit.json["detail"],
        "The query string is not valid: `limit` has the wrong type or form."
    );
    assert!(!bad_limit.text.contains(nik), "echoed: {}", bad_limit.text);
    let unknown = app
        .send(
            app.client
                .get(app.url(&format!("/events?nik={nik}")))
                .bearer_auth(&token)
                .header("accept-language", "id"),
        )
        .await;
    unknown.assert_problem(400, "malformed_request");
    assert_eq!(
        unknown.json["detail"],
        "Parameter kueri tidak valid: parameter `nik` tidak dikenal."
    );
    assert!(!unknown.text.contains(nik), "echoed: {}", unknown.text);
}
