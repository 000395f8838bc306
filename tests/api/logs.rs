//! The request log, read from a served binary's standard error: one line per request with
//! its id, method, route pattern, status, latency and user, and never the query string.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn each_request_logs_one_line_naming_route_and_user_but_never_the_query() {
    let app = spawn_app().await;
    let token = app.token_for(ROOT_USER, ROOT_PASSWORD).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jemput"));
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("JEMPUT_") {
            cmd.env_remove(k);
        }
    }
    let mut server = cmd
        .arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("JEMPUT_BIND", format!("127.0.0.1:{port}"))
        .env("JEMPUT_LOG_FORMAT", "json")
        .env("JEMPUT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jemput serve");
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        let answer = app.client.get(format!("{base}/readyz")).send().await;
        if answer.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A NIK in the query string and in the path: neither may reach the log.
    let nik = test_nik(7);
    let mut statuses = Vec::new();
    if ready {
        for (path, id) in [
            (format!("/api/v1/events?office_id={nik}"), "log-test-query"),
            (format!("/api/v1/events/{nik}"), "log-test-path"),
        ] {
            let answer = app
                .client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .header("x-request-id", id)
                .send()
                .await
                .expect("send");
            statuses.push(answer.status().as_u16());
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut log = String::new();
    server
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("read the log");
    assert!(ready, "the server did not start:\n{log}");

    let root_id = app.get("/me", &token).await.assert_status(200)["id"].clone();
    assert!(root_id.is_string());
    for (id, route, status) in [
        ("log-test-query", "/api/v1/events", statuses[0]),
        ("log-test-path", "/api/v1/events/{id}", statuses[1]),
    ] {
        let lines: Vec<Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["span"]["request_id"] == id && l["message"] == "request")
            .collect();
        assert_eq!(lines.len(), 1, "one line for {id}:\n{log}");
        let line = &lines[0];
        assert_eq!(line["span"]["method"], "GET", "{line}");
        assert_eq!(line["span"]["route"], route, "{line}");
        assert_eq!(line["span"]["user_id"], root_id, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert!(line["latency_ms"].as_f64().is_some(), "{line}");
    }
    assert!(!log.contains(&nik), "a NIK reached the log:\n{log}");
}
