//! Offices: the tree, its rules (levels, codes, time zones), paging, and scope.

use serde_json::{json, Value};

use crate::helpers::*;

fn office_body(code: &str, level: &str, tz: &str) -> Value {
    json!({ "code": code, "name": format!("Office {code}"), "level": level, "timezone": tz })
}

#[tokio::test]
async fn an_admin_creates_a_regency_under_a_province_and_reads_it_back() {
    let app = spawn_app().await;
    let province = app
        .post(
            "/offices",
            &app.root_token,
            json!({"code": "63", "name": "Disdukcapil Prov. Kalimantan Selatan", "level": "province", "timezone": "Asia/Makassar"}),
        )
        .await;
    let province = province.assert_status(201).clone();
    assert_eq!(province["parent_id"], app.root_office_id.as_str());
    let pid = province["id"].as_str().unwrap();

    let chosen = uuid::Uuid::new_v4().to_string();
    let created = app
        .post(
            "/offices",
            &app.root_token,
            json!({"id": chosen, "code": "63.01", "name": "Disdukcapil Kab. Tanah Laut", "level": "regency", "parent_id": pid, "timezone": "Asia/Makassar"}),
        )
        .await;
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/offices/{chosen}").as_str())
    );
    let body = created.assert_status(201).clone();
    assert_eq!(body["id"], chosen.as_str());
    assert_eq!(body["code"], "63.01");
    assert_eq!(body["level"], "regency");
    assert_eq!(body["parent_id"], pid);
    assert_eq!(body["timezone"], "Asia/Makassar");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(body.get("path").is_none(), "internal path leaked: {body}");

    let read = app
        .get(&format!("/offices/{chosen}"), &app.root_token)
        .await;
    assert_eq!(read.assert_status(200), &body);
}

#[tokio::test]
async fn parent_defaults_to_the_callers_office() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let created = app
        .post(
            "/offices",
            &admin.token,
            office_body("63.02", "regency", "Asia/Makassar"),
        )
        .await;
    assert_eq!(
        created.assert_status(201)["parent_id"],
        tree.province.as_str()
    );
}

#[tokio::test]
async fn every_missing_or_invalid_field_is_named() {
    let app = spawn_app().await;
    let a = app.post("/offices", &app.root_token, json!({})).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["code", "level", "name", "timezone"]);

    let a = app
        .post(
            "/offices",
            &app.root_token,
            json!({"id": "not-a-uuid", "code": "abc", "name": " ", "level": "district", "timezone": "Mars/Olympus", "parent_id": "x"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["code", "id", "level", "name", "parent_id", "timezone"]
    );
    let level = &a.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "level")
        .unwrap()["code"];
    assert_eq!(level, "unknown_value");
}

#[tokio::test]
async fn a_time_zone_must_be_one_of_indonesias() {
    let app = spawn_app().await;
    for tz in ["Europe/Berlin", "UTC", "asia/jakarta", "WITA", "+08:00"] {
        let a = app
            .post(
                "/offices",
                &app.root_token,
                office_body("63", "province", tz),
            )
            .await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), ["timezone"], "{tz}");
    }
    for (code, tz) in [
        ("31", "Asia/Jakarta"),
        ("61", "Asia/Pontianak"),
        ("63", "Asia/Makassar"),
        ("94", "Asia/Jayapura"),
    ] {
        let a = app
            .post(
                "/offices",
                &app.root_token,
                office_body(code, "province", tz),
            )
            .await;
        assert_eq!(a.assert_status(201)["timezone"], tz);
    }
}

#[tokio::test]
async fn a_childs_level_is_strictly_below_its_parents() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    // A province under a province, a national office under the national root.
    for (parent, code, level) in [
        (&tree.province, "64", "province"),
        (&app.root_office_id, "ID", "national"),
        (&tree.regency, "63.09", "regency"),
    ] {
        let mut body = office_body(code, level, "Asia/Makassar");
        body["parent_id"] = json!(parent);
        let a = app.post("/offices", &app.root_token, body).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), ["level"]);
        assert_eq!(a.json["errors"][0]["code"], "level_not_below_parent");
    }
    // Skipping a level is fine: a regency straight under the national office.
    let a = app
        .post(
            "/offices",
            &app.root_token,
            office_body("64.01", "regency", "Asia/Makassar"),
        )
        .await;
    a.assert_status(201);
}

#[tokio::test]
async fn codes_follow_the_kemendagri_shape_and_extend_the_province() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    for (code, level, expected) in [
        ("63.01", "province", "code_does_not_match_level"),
        ("630", "province", "invalid_code"),
        ("63", "regency", "code_does_not_match_level"),
        ("63.01.01", "regency", "code_does_not_match_level"),
    ] {
        let a = app
            .post(
                "/offices",
                &app.root_token,
                office_body(code, level, "Asia/Makassar"),
            )
            .await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.json["errors"][0]["code"], expected, "{code} {level}");
    }
    let mut body = office_body("33.05", "regency", "Asia/Makassar");
    body["parent_id"] = json!(tree.province);
    let a = app.post("/offices", &app.root_token, body).await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.json["errors"][0]["code"], "code_not_under_parent");
}

#[tokio::test]
async fn codes_and_ids_are_unique() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let mut body = office_body("63.01", "regency", "Asia/Makassar");
    body["parent_id"] = json!(tree.province);
    app.post("/offices", &app.root_token, body)
        .await
        .assert_problem(409, "conflict");
    let mut body = office_body("63.02", "regency", "Asia/Makassar");
    body["parent_id"] = json!(tree.province);
    body["id"] = json!(tree.other_regency);
    app.post("/offices", &app.root_token, body)
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_answer_400() {
    let app = spawn_app().await;
    let mut body = office_body("63", "province", "Asia/Makassar");
    body["region"] = json!("x");
    app.post("/offices", &app.root_token, body)
        .await
        .assert_problem(400, "malformed_request");
    app.post("/offices", &app.root_token, json!({"code": 63}))
        .await
        .assert_problem(400, "malformed_request");
    // Level and parent never change through PATCH.
    let tree = app.office_tree().await;
    app.patch(
        &format!("/offices/{}", tree.regency),
        &app.root_token,
        json!({"level": "province"}),
    )
    .await
    .assert_problem(400, "malformed_request");
    app.patch(
        &format!("/offices/{}", tree.regency),
        &app.root_token,
        json!({"parent_id": tree.other_province}),
    )
    .await
    .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn listing_pages_through_the_scope_by_code_with_filters() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    for code in ["63.02", "63.03", "63.71"] {
        app.create_office(&tree.province, code, "regency", "Asia/Makassar")
            .await;
    }
    let admin = app.create_user(&tree.province, "admin").await;
    // Pages of two, in code order, no repeats, only the province's subtree.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/offices?limit=2&cursor={c}"),
            None => "/offices?limit=2".to_string(),
        };
        let page = app.get(&path, &admin.token).await;
        let body = page.assert_status(200).clone();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|o| o["code"].as_str().unwrap().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["63", "63.01", "63.02", "63.03", "63.71"]);

    let regencies = app
        .get(
            &format!("/offices?level=regency&parent_id={}", tree.province),
            &admin.token,
        )
        .await;
    let items = regencies.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|o| o["level"] == "regency"));

    // The root admin sees both provinces.
    let all = app.get("/offices?limit=500", &app.root_token).await;
    assert_eq!(all.assert_status(200)["items"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn listing_rejects_bad_filters_and_paging() {
    let app = spawn_app().await;
    for (query, field) in [
        ("level=district", "level"),
        ("parent_id=nope", "parent_id"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=%21%21", "cursor"),
    ] {
        let a = app.get(&format!("/offices?{query}"), &app.root_token).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), [field], "{query}");
    }
    app.get("/offices?colour=red", &app.root_token)
        .await
        .assert_problem(400, "malformed_request");
    app.get("/offices?limit=ten", &app.root_token)
        .await
        .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn an_admin_renames_and_rezones_an_office() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let before = app
        .get(&format!("/offices/{}", tree.regency), &app.root_token)
        .await
        .assert_status(200)
        .clone();
    let a = app
        .patch(
            &format!("/offices/{}", tree.regency),
            &app.root_token,
            json!({"name": "Disdukcapil Kab. Tanah Laut", "timezone": "Asia/Jakarta"}),
        )
        .await;
    let body = a.assert_status(200).clone();
    assert_eq!(body["name"], "Disdukcapil Kab. Tanah Laut");
    assert_eq!(body["timezone"], "Asia/Jakarta");
    assert_eq!(body["code"], before["code"]);
    assert_eq!(body["created_at"], before["created_at"]);
    assert_ne!(body["updated_at"], before["updated_at"]);

    let a = app
        .patch(
            &format!("/offices/{}", tree.regency),
            &app.root_token,
            json!({"name": "", "timezone": "Asia/Tokyo", "code": "x"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["code", "name", "timezone"]);
}

#[tokio::test]
async fn a_code_changes_only_on_an_office_without_sub_offices() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let a = app
        .patch(
            &format!("/offices/{}", tree.regency),
            &app.root_token,
            json!({"code": "63.05"}),
        )
        .await;
    assert_eq!(a.assert_status(200)["code"], "63.05");
    // Still has to extend its province's code, and be free.
    let a = app
        .patch(
            &format!("/offices/{}", tree.regency),
            &app.root_token,
            json!({"code": "33.05"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    app.patch(
        &format!("/offices/{}", tree.other_regency),
        &app.root_token,
        json!({"code": "33.28"}),
    )
    .await
    .assert_status(200);
    app.create_office(&tree.province, "63.06", "regency", "Asia/Makassar")
        .await;
    app.patch(
        &format!("/offices/{}", tree.regency),
        &app.root_token,
        json!({"code": "63.06"}),
    )
    .await
    .assert_problem(409, "conflict");
    // A province with regencies keeps its code.
    app.patch(
        &format!("/offices/{}", tree.province),
        &app.root_token,
        json!({"code": "64"}),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn a_new_time_zone_re_dates_the_offices_events_and_activations() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.other_regency, "field_staff").await;
    let (office, user) = (tree.other_regency.clone(), staff.id.clone());
    // 16:30 UTC is 23:30 on the 10th in WIB and 00:30 on the 11th in WITA.
    app.with_db(move |c| insert_event_with_activation(c, &office, &user))
        .await;
    assert_eq!(
        event_dates(&app).await,
        ("2024-03-10".to_string(), "2024-03-10".to_string())
    );
    app.patch(
        &format!("/offices/{}", tree.other_regency),
        &app.root_token,
        json!({"timezone": "Asia/Makassar"}),
    )
    .await
    .assert_status(200);
    assert_eq!(
        event_dates(&app).await,
        ("2024-03-11".to_string(), "2024-03-11".to_string())
    );
    let entries = app.audit_entries("office_updated").await;
    assert_eq!(entries[0]["detail"]["redated_rows"], 2);
}

/// The stored local dates of the (only) event and activation.
async fn event_dates(app: &TestApp) -> (String, String) {
    app.with_db(|c| {
        use diesel::prelude::*;
        use jemput::schema::{activations, events};
        let e: chrono::NaiveDate = events::table
            .select(events::local_date)
            .first(c)
            .expect("event");
        let a: chrono::NaiveDate = activations::table
            .select(activations::local_date)
            .first(c)
            .expect("activation");
        (e.to_string(), a.to_string())
    })
    .await
}

/// An event of `office` starting 2024-03-10T16:30Z and one activation recorded then, both
/// dated in Asia/Jakarta, written the way the events feature stores them.
fn insert_event_with_activation(c: &mut jemput::db::DbConn, office: &str, user: &str) {
    use diesel::prelude::*;
    use jemput::schema::{activations, events};
    let at = chrono::NaiveDate::from_ymd_opt(2024, 3, 10)
        .unwrap()
        .and_hms_opt(16, 30, 0)
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
    let now = jemput::db::now();
    let event_id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(events::table)
        .values((
            events::id.eq(&event_id),
            events::office_id.eq(office),
            events::channel_key.eq("expo_stand"),
            events::title.eq("Ramadhan Expo"),
            events::starts_at.eq(at),
            events::ends_at.eq(at + chrono::Duration::hours(3)),
            events::local_date.eq(day),
            events::status.eq("open"),
            events::content_hash.eq("x"),
            events::created_by.eq(user),
            events::created_at.eq(now),
            events::updated_at.eq(now),
        ))
        .execute(c)
        .expect("event");
    diesel::insert_into(activations::table)
        .values((
            activations::id.eq(uuid::Uuid::new_v4().to_string()),
            activations::event_id.eq(&event_id),
            activations::office_id.eq(office),
            activations::channel_key.eq("expo_stand"),
            activations::staff_id.eq(user),
            activations::recorded_at.eq(at),
            activations::local_date.eq(day),
            activations::outcome.eq("activated"),
            activations::repeat_citizen.eq(false),
            activations::content_hash.eq("y"),
            activations::created_by.eq(user),
            activations::created_at.eq(now),
        ))
        .execute(c)
        .expect("activation");
}

#[tokio::test]
async fn office_changes_are_audited_with_who_and_what() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/offices",
            &app.root_token,
            office_body("63", "province", "Asia/Makassar"),
        )
        .await;
    let id = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/offices/{id}"),
        &app.root_token,
        json!({"name": "Kalimantan Selatan"}),
    )
    .await
    .assert_status(200);
    let created = app.audit_entries("office_created").await;
    assert_eq!(created[0]["subject_id"], id.as_str());
    assert_eq!(created[0]["actor_username"], ROOT_USER);
    assert_eq!(created[0]["detail"]["code"], "63");
    let updated = app.audit_entries("office_updated").await;
    assert_eq!(
        updated[0]["detail"]["changes"]["name"],
        json!({"from": "Office 63", "to": "Kalimantan Selatan"})
    );
    assert!(updated[0]["at"].as_str().unwrap().ends_with('Z'));
}
