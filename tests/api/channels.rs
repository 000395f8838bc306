//! Channels: built-in and office-owned, visibility down the tree, localised names.

use serde_json::json;

use crate::fixtures::*;

fn keys(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["key"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn builtin_channels_are_listed_in_english_or_indonesian() {
    let w = World::new().await;
    let en = w.app.get("/channels", &w.staff.token).await;
    let body = en.assert_status(200);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 11);
    assert!(body["next_cursor"].is_null());
    let visit = items
        .iter()
        .find(|c| c["key"] == "village_visit")
        .expect("village_visit");
    assert_eq!(visit["name"], "Village visit");
    assert_eq!(visit["builtin"], true);
    assert_eq!(
        visit["id"].as_str(),
        Some(jemput::channels::builtin_id("village_visit").as_str())
    );

    let id = w
        .app
        .send(
            w.app
                .client
                .get(w.app.url("/channels"))
                .bearer_auth(&w.staff.token)
                .header("accept-language", "id"),
        )
        .await;
    let items = id.assert_status(200)["items"].clone();
    let visit = items
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["key"] == "village_visit")
        .expect("village_visit")
        .clone();
    assert_eq!(visit["name"], "Kunjungan desa");
}

#[tokio::test]
async fn an_office_sees_its_own_and_its_ancestors_channels_only() {
    let w = World::new().await;
    let a = w
        .app
        .post(
            "/channels",
            &w.kalsel_sup.token,
            json!({"key": "ramadhan_expo", "name": "Ramadhan Expo"}),
        )
        .await;
    let created = a.assert_status(201);
    assert_eq!(created["key"], "ramadhan_expo");
    assert_eq!(created["builtin"], false);
    w.app
        .post(
            "/channels",
            &w.tala_sup.token,
            json!({"key": "bela_desa", "name": "Bela Desa"}),
        )
        .await
        .assert_status(201);
    w.app
        .post(
            "/channels",
            &w.jabar_sup.token,
            json!({"key": "car_free_day", "name": "Car free day"}),
        )
        .await
        .assert_status(201);

    // Tanah Laut: its own and its province's; not Jawa Barat's.
    let tala = keys(
        w.app
            .get("/channels", &w.staff.token)
            .await
            .assert_status(200),
    );
    assert!(tala.contains(&"ramadhan_expo".to_string()));
    assert!(tala.contains(&"bela_desa".to_string()));
    assert!(!tala.contains(&"car_free_day".to_string()));
    assert_eq!(tala.len(), 13);
    let mut sorted = tala.clone();
    sorted.sort();
    assert_eq!(tala, sorted, "ordered by key");

    // The province does not see its regency's channel.
    let kalsel = keys(
        w.app
            .get("/channels", &w.kalsel_sup.token)
            .await
            .assert_status(200),
    );
    assert!(kalsel.contains(&"ramadhan_expo".to_string()));
    assert!(!kalsel.contains(&"bela_desa".to_string()));
}

#[tokio::test]
async fn channel_list_pages_with_a_cursor() {
    let w = World::new().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/channels?limit=4&cursor={c}"),
            None => "/channels?limit=4".to_string(),
        };
        let body = w
            .app
            .get(&path, &w.staff.token)
            .await
            .assert_status(200)
            .clone();
        seen.extend(keys(&body));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 11);
    w.app
        .get("/channels?limit=0", &w.staff.token)
        .await
        .assert_problem(422, "validation_failed");
    w.app
        .get("/channels?cursor=garbage", &w.staff.token)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn creating_a_channel_checks_role_fields_and_clashes() {
    let w = World::new().await;
    w.app
        .post(
            "/channels",
            &w.staff.token,
            json!({"key": "market_day", "name": "Market day"}),
        )
        .await
        .assert_problem(403, "forbidden");

    let bad = w
        .app
        .post("/channels", &w.tala_sup.token, json!({"key": "Market Day"}))
        .await;
    bad.assert_problem(422, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["key", "name"]);

    // A built-in key, a key of the office above, a key of an office below: all taken.
    for (token, key) in [
        (&w.tala_sup.token, "village_visit"),
        (&w.kalsel_sup.token, "ramadhan_expo"),
    ] {
        if key == "ramadhan_expo" {
            w.app
                .post("/channels", token, json!({"key": key, "name": "x"}))
                .await
                .assert_status(201);
        }
        w.app
            .post(
                "/channels",
                &w.tala_sup.token,
                json!({"key": key, "name": "x"}),
            )
            .await
            .assert_problem(409, "conflict");
    }
    w.app
        .post(
            "/channels",
            &w.tala_sup.token,
            json!({"key": "bela_desa", "name": "Bela Desa"}),
        )
        .await
        .assert_status(201);
    w.app
        .post(
            "/channels",
            &w.kalsel_sup.token,
            json!({"key": "bela_desa", "name": "Bela Desa"}),
        )
        .await
        .assert_problem(409, "conflict");
    // Another province may use the same key.
    w.app
        .post(
            "/channels",
            &w.jabar_sup.token,
            json!({"key": "bela_desa", "name": "Bela Desa"}),
        )
        .await
        .assert_status(201);
    w.app
        .post(
            "/channels",
            &w.tala_sup.token,
            json!({"key": "x_y", "extra": 1}),
        )
        .await
        .assert_problem(400, "malformed_request");
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'channel_created'")
            .await,
        3
    );
}
