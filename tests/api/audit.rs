//! The audit log: who, when, what; admins only, in scope, newest first, paged.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn entries_say_who_when_and_what_newest_first() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let created = app
        .post(
            "/users",
            &app.root_token,
            json!({"username": "siti", "full_name": "Siti", "password": "a-long-enough-passphrase", "role": "field_staff", "office_id": tree.regency}),
        )
        .await;
    let id = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app.get("/audit?limit=1", &app.root_token).await;
    let body = page.assert_status(200).clone();
    let e = &body["items"][0];
    assert_eq!(e["action"], "user_created");
    assert_eq!(e["subject_type"], "user");
    assert_eq!(e["subject_id"], id.as_str());
    assert_eq!(e["office_id"], tree.regency.as_str());
    assert_eq!(e["actor_username"], ROOT_USER);
    assert_eq!(e["client_addr"], "127.0.0.1");
    let at: chrono::DateTime<chrono::Utc> = e["at"].as_str().unwrap().parse().unwrap();
    assert!(at > before && at <= chrono::Utc::now());
    assert!(body["next_cursor"].is_string());
}

#[tokio::test]
async fn paging_walks_every_entry_once() {
    let app = spawn_app().await;
    for _ in 0..4 {
        app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
    }
    let all = app.get("/audit?limit=500", &app.root_token).await;
    let all: Vec<String> = all.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(all.len() >= 6, "{all:?}");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/audit?limit=2&cursor={c}"),
            None => "/audit?limit=2".into(),
        };
        let body = app
            .get(&path, &app.root_token)
            .await
            .assert_status(200)
            .clone();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn filters_narrow_the_log() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    app.login(&staff.username, "wrong").await.assert_status(401);
    let by_actor = app
        .get(&format!("/audit?actor_id={}", staff.id), &app.root_token)
        .await;
    let items = by_actor.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "login");
    let by_subject = app
        .get(
            &format!("/audit?subject_id={}&action=login_failed", staff.id),
            &app.root_token,
        )
        .await;
    assert_eq!(
        by_subject.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let by_office = app
        .get(
            &format!("/audit?office_id={}", tree.regency),
            &app.root_token,
        )
        .await;
    assert_eq!(
        by_office.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let future = app
        .get("/audit?from=2999-01-01T00:00:00%2B07:00", &app.root_token)
        .await;
    assert!(future.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let past = app
        .get("/audit?to=2000-01-01T00:00:00Z", &app.root_token)
        .await;
    assert!(past.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());

    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2024-13-01T00:00:00Z", "to"),
        ("office_id=x", "office_id"),
        ("limit=9999", "limit"),
        ("cursor=@@", "cursor"),
    ] {
        let a = app.get(&format!("/audit?{query}"), &app.root_token).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn failed_logins_of_unknown_names_are_for_the_root_admins() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    app.login("ghost", "wrong").await.assert_status(401);
    let root = app.audit_entries("login_failed").await;
    assert_eq!(root.len(), 1);
    let province = app.get("/audit?action=login_failed", &admin.token).await;
    assert!(province.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn refresh_token_reuse_is_audited() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let r2 = app.refresh(&r1).await.assert_status(200)["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    // r2 used: presenting r1 again is a reuse, not a lost answer (the grace window).
    app.refresh(&r2).await.assert_status(200);
    app.refresh(&r1).await.assert_problem(401, "unauthorized");
    let reuse = app.audit_entries("refresh_token_reuse").await;
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0]["office_id"], app.root_office_id.as_str());
    assert!(reuse[0]["detail"]["family_id"].is_string());
}
