//! Events: idempotent create, validation, scope, listing, editing, review, staff hours.

use serde_json::json;

use crate::fixtures::*;

#[tokio::test]
async fn create_answers_the_event_with_its_local_date() {
    let w = World::new().await;
    let mut body = w.event_body();
    // 23:30 UTC is already the next day in WITA (UTC+8).
    body["starts_at"] = json!("2024-03-18T23:30:00Z");
    body["ends_at"] = json!("2024-03-19T05:00:00Z");
    let a = w.app.post("/events", &w.staff.token, body).await;
    let e = a.assert_status(201).clone();
    assert_eq!(e["office_id"], w.tala);
    assert_eq!(e["channel_key"], "village_visit");
    assert_eq!(e["title"], "Tilik Desa Pelaihari");
    assert_eq!(e["starts_at"], "2024-03-18T23:30:00Z");
    assert_eq!(e["local_date"], "2024-03-19");
    assert_eq!(e["area_code"], "63.01.01.2001");
    assert_eq!(e["venue"], "Balai desa");
    assert_eq!(e["latitude"], -3.8);
    assert_eq!(e["longitude"], 114.77);
    assert_eq!(e["cost_idr"], 1500000);
    assert_eq!(e["notes"], "Bersama PKK");
    assert_eq!(e["status"], "open");
    assert!(e["review_comment"].is_null());
    assert!(e["reviewed_by"].is_null());
    assert!(e["reviewed_at"].is_null());
    assert_eq!(e["created_by"], w.staff.id);
    assert!(e["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(e["updated_at"].is_string());

    let id = e["id"].as_str().expect("id");
    let got = w.app.get(&format!("/events/{id}"), &w.staff.token).await;
    assert_eq!(got.assert_status(200)["title"], "Tilik Desa Pelaihari");
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'event_created'")
            .await,
        1
    );
}

#[tokio::test]
async fn creating_the_same_id_again_is_idempotent_and_different_content_conflicts() {
    let w = World::new().await;
    let id = uuid::Uuid::now_v7().to_string().to_uppercase();
    let mut body = w.event_body();
    body["id"] = json!(id);
    let first = w.app.post("/events", &w.staff.token, body.clone()).await;
    assert_eq!(first.assert_status(201)["id"], id.to_lowercase());

    // The same content with the instants in another offset is the same event.
    let mut again = body.clone();
    again["starts_at"] = json!("2024-03-18T01:00:00Z");
    let second = w.app.post("/events", &w.staff.token, again).await;
    assert_eq!(second.assert_status(200)["id"], id.to_lowercase());
    assert_eq!(second.json["created_at"], first.json["created_at"]);

    let mut different = body.clone();
    different["title"] = json!("Another title");
    w.app
        .post("/events", &w.staff.token, different)
        .await
        .assert_problem(409, "conflict");
    // An id used in another office is taken as well.
    let mut elsewhere = body;
    elsewhere["channel_key"] = json!("other");
    elsewhere["area_code"] = json!(null);
    w.app
        .post("/events", &w.jabar_staff.token, elsewhere)
        .await
        .assert_problem(409, "conflict");
    assert_eq!(w.app.count("SELECT COUNT(*) AS n FROM events").await, 1);
}

#[tokio::test]
async fn invalid_events_name_every_offending_field() {
    let w = World::new().await;
    let a = w.app.post("/events", &w.staff.token, json!({})).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["channel_key", "ends_at", "starts_at", "title"]);

    let a = w
        .app
        .post(
            "/events",
            &w.staff.token,
            json!({
                "id": "not-a-uuid",
                "channel_key": "village_visit",
                "title": "x",
                "starts_at": "yesterday",
                "ends_at": "2024-03-18T15:00:00+08:00",
                "area_code": "63-01",
                "latitude": 91.0,
                "longitude": -181.0,
                "cost_idr": -1,
                "venue": "v".repeat(201)
            }),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "area_code",
            "cost_idr",
            "id",
            "latitude",
            "longitude",
            "starts_at",
            "venue"
        ]
    );

    let mut body = w.event_body();
    body["ends_at"] = body["starts_at"].clone();
    let a = w.app.post("/events", &w.staff.token, body).await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["ends_at"]);
    assert_eq!(a.json["errors"][0]["code"], "before_start");

    let mut body = w.event_body();
    body["ends_at"] = json!("2024-04-20T09:00:00+08:00");
    let a = w.app.post("/events", &w.staff.token, body).await;
    assert_eq!(a.json["errors"][0]["code"], "too_long");

    let mut body = w.event_body();
    body["longitude"] = json!(null);
    let a = w.app.post("/events", &w.staff.token, body).await;
    assert_eq!(a.error_fields(), vec!["longitude"]);

    // Office-dependent rules: an unknown channel, an area outside Tanah Laut.
    let mut body = w.event_body();
    body["channel_key"] = json!("car_free_day");
    body["area_code"] = json!("63.02.01");
    let a = w.app.post("/events", &w.staff.token, body).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["area_code", "channel_key"]);

    // A wrong JSON type or an unknown field is malformed.
    let mut body = w.event_body();
    body["cost_idr"] = json!("lots");
    w.app
        .post("/events", &w.staff.token, body)
        .await
        .assert_problem(400, "malformed_request");
    let mut body = w.event_body();
    body["colour"] = json!("red");
    w.app
        .post("/events", &w.staff.token, body)
        .await
        .assert_problem(400, "malformed_request");
    assert_eq!(w.app.count("SELECT COUNT(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn office_channels_and_the_national_office_accept_their_events() {
    let w = World::new().await;
    w.app
        .post(
            "/channels",
            &w.kalsel_sup.token,
            json!({"key": "ramadhan_expo", "name": "Ramadhan Expo"}),
        )
        .await
        .assert_status(201);
    let mut body = w.event_body();
    body["channel_key"] = json!("ramadhan_expo");
    w.app
        .post("/events", &w.staff.token, body.clone())
        .await
        .assert_status(201);
    // The national office: any known district or village of the country.
    body["channel_key"] = json!("other");
    body["area_code"] = json!("32.01.01");
    w.app
        .post("/events", &w.app.root_token, body)
        .await
        .assert_status(201);
}

#[tokio::test]
async fn office_scope_and_role_decide_where_events_are_created() {
    let w = World::new().await;
    let mut body = w.event_body();
    body["office_id"] = json!(w.tala);
    // A province supervisor creates for the regency below.
    let e = w
        .app
        .post("/events", &w.kalsel_sup.token, body.clone())
        .await;
    assert_eq!(e.assert_status(201)["office_id"], w.tala);
    // Out of scope, and a missing office: 404 alike.
    w.app
        .post("/events", &w.jabar_sup.token, body.clone())
        .await
        .assert_problem(404, "not_found");
    body["office_id"] = json!(uuid::Uuid::new_v4().to_string());
    w.app
        .post("/events", &w.kalsel_sup.token, body.clone())
        .await
        .assert_problem(404, "not_found");
    // Field staff of the province may not create for the regency.
    let prov_staff = w.app.create_user(&w.kalsel, "field_staff").await;
    body["office_id"] = json!(w.tala);
    w.app
        .post("/events", &prov_staff.token, body)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn events_are_read_only_in_scope() {
    let w = World::new().await;
    let id = w.event(&w.staff.token).await;
    for token in [&w.kalsel_sup.token, &w.tala_sup.token, &w.app.root_token] {
        w.app
            .get(&format!("/events/{id}"), token)
            .await
            .assert_status(200);
    }
    for token in [&w.jabar_sup.token, &w.jabar_staff.token] {
        w.app
            .get(&format!("/events/{id}"), token)
            .await
            .assert_problem(404, "not_found");
    }
    w.app
        .get("/events/not-a-uuid", &w.staff.token)
        .await
        .assert_problem(404, "not_found");
    w.app
        .get(&format!("/events/{}", uuid::Uuid::new_v4()), &w.staff.token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_event_list_filters_pages_and_stays_in_scope() {
    let w = World::new().await;
    let mut made = Vec::new();
    for day in 10..16 {
        let mut body = w.event_body();
        body["starts_at"] = json!(format!("2024-03-{day}T09:00:00+08:00"));
        body["ends_at"] = json!(format!("2024-03-{day}T15:00:00+08:00"));
        if day == 15 {
            body["channel_key"] = json!("expo_stand");
        }
        let e = w.app.post("/events", &w.staff.token, body).await;
        made.push(
            e.assert_status(201)["id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let mut jabar = w.event_body();
    jabar["channel_key"] = json!("other");
    jabar["area_code"] = json!(null);
    w.app
        .post("/events", &w.jabar_staff.token, jabar)
        .await
        .assert_status(201);

    // Newest first, paged without skipping or repeating.
    let mut seen = Vec::new();
    let mut path = "/events?limit=4".to_string();
    loop {
        let body = w
            .app
            .get(&path, &w.kalsel_sup.token)
            .await
            .assert_status(200)
            .clone();
        for e in body["items"].as_array().expect("items") {
            seen.push(e["id"].as_str().unwrap_or("").to_string());
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/events?limit=4&cursor={c}"),
            None => break,
        }
    }
    let mut expected = made.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    let list = |q: &'static str| {
        let app = &w.app;
        let token = w.tala_sup.token.clone();
        async move {
            app.get(&format!("/events?{q}"), &token)
                .await
                .assert_status(200)["items"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0)
        }
    };
    assert_eq!(list("from=2024-03-12&to=2024-03-13").await, 2);
    assert_eq!(list("from=2024-03-15").await, 1);
    assert_eq!(list("channel_key=expo_stand").await, 1);
    assert_eq!(list("status=open").await, 6);
    assert_eq!(list("status=approved").await, 0);
    let office_q = format!("/events?office_id={}", w.tala);
    assert_eq!(
        w.app
            .get(&office_q, &w.kalsel_sup.token)
            .await
            .assert_status(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
    // The root sees both provinces; Jawa Barat sees only its own.
    assert_eq!(
        w.app
            .get("/events", &w.app.root_token)
            .await
            .assert_status(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    assert_eq!(
        w.app
            .get("/events", &w.jabar_sup.token)
            .await
            .assert_status(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // The national list (read without a scope filter: it holds every office) pages in the
    // same order as one page, newest start first.
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|e| e["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let whole = w.app.get("/events?limit=100", &w.app.root_token).await;
    let whole = ids(whole.assert_status(200));
    let mut paged = Vec::new();
    let mut path = "/events?limit=2".to_string();
    loop {
        let body = w.app.get(&path, &w.app.root_token).await;
        let body = body.assert_status(200);
        paged.extend(ids(body));
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/events?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(whole.len(), 7);
    assert_eq!(paged, whole);
    w.app
        .get(&office_q, &w.jabar_sup.token)
        .await
        .assert_problem(404, "not_found");
    w.app
        .get(
            &format!("/events?office_id={}", w.jabar),
            &w.kalsel_sup.token,
        )
        .await
        .assert_problem(404, "not_found");
    let bad = w
        .app
        .get(
            "/events?status=done&from=18-03-2024&limit=501",
            &w.tala_sup.token,
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["from", "limit", "status"]);
    w.app
        .get("/events?colour=red", &w.tala_sup.token)
        .await
        .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn patch_edits_open_events_for_their_creator_and_supervisors() {
    let w = World::new().await;
    let id = w.event(&w.staff.token).await;
    let path = format!("/events/{id}");
    let a = w
        .app
        .patch(
            &path,
            &w.staff.token,
            json!({"title": "Tilik Desa Angsau", "venue": null, "cost_idr": 2000000}),
        )
        .await;
    let e = a.assert_status(200).clone();
    assert_eq!(e["title"], "Tilik Desa Angsau");
    assert!(e["venue"].is_null());
    assert_eq!(e["cost_idr"], 2000000);
    assert_eq!(e["notes"], "Bersama PKK");
    assert_ne!(e["updated_at"], e["created_at"]);

    w.app
        .patch(
            &path,
            &w.tala_sup.token,
            json!({"starts_at": "2024-03-18T08:00:00+08:00"}),
        )
        .await
        .assert_status(200);
    w.app
        .patch(&path, &w.staff2.token, json!({"title": "x"}))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .patch(&path, &w.jabar_sup.token, json!({"title": "x"}))
        .await
        .assert_problem(404, "not_found");
    let bad = w
        .app
        .patch(
            &path,
            &w.staff.token,
            json!({"title": null, "ends_at": "2024-03-17T00:00:00Z", "latitude": 100}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    // The cross-field rule (ends before it starts) is named beside the fields' errors.
    assert_eq!(fields, vec!["ends_at", "latitude", "title"]);
    let bad = w
        .app
        .patch(
            &path,
            &w.staff.token,
            json!({"ends_at": "2024-03-17T00:00:00Z"}),
        )
        .await;
    assert_eq!(bad.error_fields(), vec!["ends_at"]);
    let bad = w
        .app
        .patch(&path, &w.staff.token, json!({"channel_key": "nope"}))
        .await;
    assert_eq!(bad.error_fields(), vec!["channel_key"]);

    // A new channel is carried over to the event's activations.
    let item = activated(&id);
    w.app
        .sync_items(&w.staff.token, &[item])
        .await
        .assert_status(200);
    w.app
        .patch(&path, &w.staff.token, json!({"channel_key": "pkk_visit"}))
        .await
        .assert_status(200);
    let acts = w
        .app
        .get(&format!("{path}/activations"), &w.staff.token)
        .await;
    assert_eq!(
        acts.assert_status(200)["items"][0]["channel_key"],
        "pkk_visit"
    );

    // Submitted: no more edits, for anyone.
    w.app
        .post(&format!("{path}/submit"), &w.staff.token, json!({}))
        .await
        .assert_status(200);
    for token in [&w.staff.token, &w.tala_sup.token] {
        w.app
            .patch(&path, token, json!({"title": "late"}))
            .await
            .assert_problem(409, "conflict");
    }
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'event_updated'")
            .await,
        3
    );
}

#[tokio::test]
async fn review_moves_through_its_states_and_keeps_the_comment() {
    let w = World::new().await;
    let id = w.event(&w.staff.token).await;
    let p = |step: &str| format!("/events/{id}/{step}");

    // Only supervisors review; not before submission.
    w.app
        .post(&p("approve"), &w.tala_sup.token, json!({}))
        .await
        .assert_problem(409, "conflict");
    w.app
        .post(&p("submit"), &w.staff2.token, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let s = w.app.post(&p("submit"), &w.staff.token, json!({})).await;
    assert_eq!(s.assert_status(200)["status"], "submitted");
    w.app
        .post(&p("submit"), &w.staff.token, json!({}))
        .await
        .assert_problem(409, "conflict");
    w.app
        .post(&p("approve"), &w.staff.token, json!({}))
        .await
        .assert_problem(403, "forbidden");
    w.app
        .post(&p("return"), &w.jabar_sup.token, json!({"comment": "x"}))
        .await
        .assert_problem(404, "not_found");
    let bad = w
        .app
        .post(&p("return"), &w.tala_sup.token, json!({"comment": "  "}))
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), vec!["comment"]);

    let r = w
        .app
        .post(
            &p("return"),
            &w.tala_sup.token,
            json!({"comment": "Jam kerja petugas belum diisi"}),
        )
        .await;
    let e = r.assert_status(200);
    assert_eq!(e["status"], "returned");
    assert_eq!(e["review_comment"], "Jam kerja petugas belum diisi");
    assert_eq!(e["reviewed_by"], w.tala_sup.id);
    assert!(e["reviewed_at"].is_string());

    // Returned: editable again, then resubmitted and approved.
    w.app
        .patch(
            &format!("/events/{id}"),
            &w.staff.token,
            json!({"notes": "fixed"}),
        )
        .await
        .assert_status(200);
    w.app
        .post(&p("submit"), &w.staff.token, json!({}))
        .await
        .assert_status(200);
    let a = w
        .app
        .post(&p("approve"), &w.kalsel_sup.token, json!({}))
        .await;
    let e = a.assert_status(200);
    assert_eq!(e["status"], "approved");
    assert_eq!(e["review_comment"], "Jam kerja petugas belum diisi");
    assert_eq!(e["reviewed_by"], w.kalsel_sup.id);
    for step in ["approve", "submit"] {
        w.app
            .post(&p(step), &w.tala_sup.token, json!({}))
            .await
            .assert_problem(409, "conflict");
    }
    w.app
        .post(&p("return"), &w.tala_sup.token, json!({"comment": "x"}))
        .await
        .assert_problem(409, "conflict");
    let actions = w
        .app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE subject_id = '{id}' AND action IN \
             ('event_submitted', 'event_returned', 'event_approved')"
        ))
        .await;
    assert_eq!(actions, 4);
}

#[tokio::test]
async fn staff_hours_follow_the_events_length_office_and_state() {
    let w = World::new().await;
    let id = w.event(&w.staff.token).await;
    let staff_path = |user: &str| format!("/events/{id}/staff/{user}");

    let a = w
        .app
        .put(
            &staff_path(&w.staff.id),
            &w.staff.token,
            json!({"hours": 6.5}),
        )
        .await;
    let s = a.assert_status(200);
    assert_eq!(s["event_id"], id);
    assert_eq!(s["user_id"], w.staff.id);
    assert_eq!(s["hours"], 6.5);
    assert_eq!(s["username"], w.staff.username);
    // Setting again replaces.
    w.app
        .put(
            &staff_path(&w.staff.id),
            &w.tala_sup.token,
            json!({"hours": 7}),
        )
        .await
        .assert_status(200);
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.staff.token,
            json!({"hours": 24}),
        )
        .await
        .assert_status(200);
    // A one-day event: at most 24 hours; more than 0.
    for hours in [24.5, 0.0, -1.0] {
        let a = w
            .app
            .put(
                &staff_path(&w.staff2.id),
                &w.tala_sup.token,
                json!({"hours": hours}),
            )
            .await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), vec!["hours"]);
    }
    let a = w
        .app
        .put(&staff_path(&w.staff2.id), &w.tala_sup.token, json!({}))
        .await;
    assert_eq!(a.error_fields(), vec!["hours"]);
    // Staff of another office (even the one above) cannot be added.
    let a = w
        .app
        .put(
            &staff_path(&w.kalsel_sup.id),
            &w.tala_sup.token,
            json!({"hours": 2}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["user_id"]);
    // Another field staff member is not the creator.
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.staff2.token,
            json!({"hours": 2}),
        )
        .await
        .assert_problem(403, "forbidden");
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.jabar_sup.token,
            json!({"hours": 2}),
        )
        .await
        .assert_problem(404, "not_found");

    let list = w
        .app
        .get(&format!("/events/{id}/staff"), &w.staff2.token)
        .await;
    let items = list.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 2);
    w.app
        .get(&format!("/events/{id}/staff"), &w.jabar_staff.token)
        .await
        .assert_problem(404, "not_found");

    // A two-day event allows 48 hours.
    let mut body = w.event_body();
    body["ends_at"] = json!("2024-03-19T15:00:00+08:00");
    let long = w.app.post("/events", &w.tala_sup.token, body).await;
    let long_id = long.assert_status(201)["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    w.app
        .put(
            &format!("/events/{long_id}/staff/{}", w.staff.id),
            &w.tala_sup.token,
            json!({"hours": 30}),
        )
        .await
        .assert_status(200);
    // Shortening it below the hours logged is refused.
    let a = w
        .app
        .patch(
            &format!("/events/{long_id}"),
            &w.tala_sup.token,
            json!({"ends_at": "2024-03-18T15:00:00+08:00"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["ends_at"]);

    // Removal.
    w.app
        .delete(&staff_path(&w.staff2.id), &w.staff.token, None)
        .await
        .assert_status(204);
    w.app
        .delete(&staff_path(&w.staff2.id), &w.staff.token, None)
        .await
        .assert_problem(404, "not_found");

    // Submitted: the creator may no longer change hours; supervisors may until approval.
    w.app
        .post(&format!("/events/{id}/submit"), &w.staff.token, json!({}))
        .await
        .assert_status(200);
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.staff.token,
            json!({"hours": 2}),
        )
        .await
        .assert_problem(409, "conflict");
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.tala_sup.token,
            json!({"hours": 2}),
        )
        .await
        .assert_status(200);
    w.app
        .post(
            &format!("/events/{id}/approve"),
            &w.tala_sup.token,
            json!({}),
        )
        .await
        .assert_status(200);
    w.app
        .put(
            &staff_path(&w.staff2.id),
            &w.tala_sup.token,
            json!({"hours": 3}),
        )
        .await
        .assert_problem(409, "conflict");
    w.app
        .delete(&staff_path(&w.staff2.id), &w.tala_sup.token, None)
        .await
        .assert_problem(409, "conflict");
    assert_eq!(
        w.app
            .count(
                "SELECT COUNT(*) AS n FROM audit_log WHERE action IN \
                 ('event_staff_set', 'event_staff_removed')"
            )
            .await,
        6
    );
}

#[tokio::test]
async fn one_422_names_field_cross_field_and_office_errors_together() {
    let w = World::new().await;
    // Create: a blank title, an end before the start, a lone latitude, a channel the
    // office cannot use and an area outside its region: all in one answer.
    let mut body = w.event_body();
    body["title"] = json!("");
    body["ends_at"] = body["starts_at"].clone();
    body["longitude"] = json!(null);
    body["channel_key"] = json!("car_free_day");
    body["area_code"] = json!("63.02.01");
    let a = w.app.post("/events", &w.staff.token, body).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["area_code", "channel_key", "ends_at", "longitude", "title"]
    );
    assert_eq!(w.app.count("SELECT COUNT(*) AS n FROM events").await, 0);

    // Edit: the same rules, with nothing changed when any of them fails.
    let id = w.event(&w.staff.token).await;
    let path = format!("/events/{id}");
    let bad = w
        .app
        .patch(
            &path,
            &w.staff.token,
            json!({
                "title": null,
                "ends_at": "2024-03-17T00:00:00Z",
                "channel_key": "car_free_day",
                "area_code": "63.02.01",
                "longitude": null
            }),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["area_code", "channel_key", "ends_at", "longitude", "title"]
    );
    let e = w.app.get(&path, &w.staff.token).await;
    let e = e.assert_status(200);
    assert_eq!(e["title"], w.event_body()["title"]);
    assert_eq!(e["longitude"], w.event_body()["longitude"]);
    assert_eq!(e["channel_key"], w.event_body()["channel_key"]);
    assert_eq!(e["area_code"], w.event_body()["area_code"]);
}
