//! Areas made real (event and activation area codes are known districts or villages of the
//! office's region, answered with their names), the coverage report, and the residence of
//! activated citizens in the progress and offices reports, each on a known data set.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

fn field_codes(problem: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x["field"].as_str().unwrap_or("").to_string(),
                        x["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn pair(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), code.to_string())]
}

#[tokio::test]
async fn event_area_codes_are_known_districts_or_villages_of_the_office() {
    let w = World::new().await;
    let app = &w.app;

    // A village of Tanah Laut: stored, answered with its name everywhere.
    let a = app.post("/events", &w.staff.token, w.event_body()).await;
    let e = a.assert_status(201).clone();
    assert_eq!(e["area_code"], "63.01.01.2001");
    assert_eq!(e["area_name"], "Benua Lawas");
    let id = e["id"].as_str().expect("id").to_string();
    let got = app.get(&format!("/events/{id}"), &w.staff.token).await;
    assert_eq!(got.assert_status(200)["area_name"], "Benua Lawas");
    let list = app.get("/events", &w.tala_sup.token).await;
    assert_eq!(
        list.assert_status(200)["items"][0]["area_name"],
        "Benua Lawas"
    );
    let pull = app.get("/sync/changes", &w.staff.token).await;
    assert_eq!(
        pull.assert_status(200)["events"][0]["area_name"],
        "Benua Lawas"
    );

    // Well-formed codes inside the region that name no district or village: unknown.
    for code in ["63.01.99", "63.01.01.2999", "63.01"] {
        let mut body = w.event_body();
        body["area_code"] = json!(code);
        let a = app.post("/events", &w.staff.token, body).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(
            field_codes(&a.json),
            pair("area_code", "unknown_area"),
            "{code}"
        );
    }
    // A real village or district of another regency (Labuan Barat, 63.02), or the province
    // around it: outside the region.
    for code in ["63.02.01.2001", "63.02.01", "63"] {
        let mut body = w.event_body();
        body["area_code"] = json!(code);
        let a = app.post("/events", &w.staff.token, body).await;
        assert_eq!(
            field_codes(&a.json),
            pair("area_code", "area_outside_office"),
            "{code}"
        );
    }
    // A malformed code stays the shape error.
    let mut body = w.event_body();
    body["area_code"] = json!("63-01");
    let a = app.post("/events", &w.staff.token, body).await;
    assert_eq!(field_codes(&a.json), pair("area_code", "invalid_code"));
    // Every offending field at once.
    let mut body = w.event_body();
    body["area_code"] = json!("63.01.99");
    body["channel_key"] = json!("car_free_day");
    let a = app.post("/events", &w.staff.token, body).await;
    assert_eq!(
        field_codes(&a.json),
        vec![
            ("area_code".to_string(), "unknown_area".to_string()),
            ("channel_key".to_string(), "unknown_channel".to_string())
        ]
    );

    // The national office: any known district or village of the country, and only those.
    let mut body = w.event_body();
    body["channel_key"] = json!("other");
    body["area_code"] = json!("32.01.01.1001");
    let a = app.post("/events", &app.root_token, body.clone()).await;
    assert_eq!(a.assert_status(201)["area_name"], "Pondok Rajeg");
    // Aceh's areas are not loaded here: the check reads the reference data.
    body["area_code"] = json!("11.01.01");
    let a = app.post("/events", &app.root_token, body).await;
    assert_eq!(field_codes(&a.json), pair("area_code", "unknown_area"));

    // PATCH: the same rules for a new code; a district is fine too.
    let path = format!("/events/{id}");
    let a = app
        .patch(&path, &w.staff.token, json!({"area_code": "63.01.99.2001"}))
        .await;
    assert_eq!(field_codes(&a.json), pair("area_code", "unknown_area"));
    let a = app
        .patch(&path, &w.staff.token, json!({"area_code": "33.28.01"}))
        .await;
    assert_eq!(
        field_codes(&a.json),
        pair("area_code", "area_outside_office")
    );
    let a = app
        .patch(&path, &w.staff.token, json!({"area_code": "63.01.02"}))
        .await;
    let e = a.assert_status(200);
    assert_eq!(
        (e["area_code"].clone(), e["area_name"].clone()),
        (json!("63.01.02"), json!("Jorong"))
    );
    let a = app
        .patch(&path, &w.staff.token, json!({"area_code": null}))
        .await;
    assert!(a.assert_status(200)["area_name"].is_null());

    // A code the reference data has since retired does not lock the event against other
    // edits; it is answered without a name.
    app.patch(&path, &w.staff.token, json!({"area_code": "63.01.01.2012"}))
        .await
        .assert_status(200);
    app.with_db(|c| {
        use diesel::prelude::*;
        diesel::delete(
            jemput::schema::areas::table.filter(jemput::schema::areas::code.eq("63.01.01.2012")),
        )
        .execute(c)
        .expect("retire")
    })
    .await;
    let a = app
        .patch(
            &path,
            &w.staff.token,
            json!({"title": "Tilik Desa Sumber Makmur"}),
        )
        .await;
    let e = a.assert_status(200);
    assert_eq!(e["area_code"], "63.01.01.2012");
    assert!(e["area_name"].is_null());
    let a = app
        .patch(&path, &w.staff.token, json!({"area_code": "63.01.01.2012"}))
        .await;
    assert_eq!(field_codes(&a.json), pair("area_code", "unknown_area"));
}

#[tokio::test]
async fn sync_items_name_known_areas_of_the_event_office() {
    let w = World::new().await;
    let app = &w.app;
    let event = w.event(&w.staff.token).await;
    let with_area = |code: &str| {
        let mut item = activated(&event);
        item["area_code"] = json!(code);
        item
    };
    let mut no_area = activated(&event);
    no_area.as_object_mut().expect("object").remove("area_code");
    let items = vec![
        with_area("63.01.01.2001"),
        with_area("63.01.01.2999"),
        with_area("63.02.01.2001"),
        with_area("63.01"),
        with_area("63.01.02"),
        no_area,
        with_area("63.01.01.2001"),
    ];
    let a = app.sync_items(&w.staff.token, &items).await;
    assert_eq!(
        statuses(&a),
        vec!["created", "rejected", "rejected", "rejected", "created", "created", "created"]
    );
    let result = |i: usize| a.json["results"][i]["error"].clone();
    for (i, code) in [
        (1, "unknown_area"),
        (2, "area_outside_office"),
        (3, "unknown_area"),
    ] {
        assert_eq!(result(i)["code"], "validation_failed", "item {i}");
        assert_eq!(field_codes(&result(i)), pair("area_code", code), "item {i}");
    }
    // Retrying the rejected ones still rejects them; the stored ones are duplicates.
    let a2 = app.sync_items(&w.staff.token, &items).await;
    assert_eq!(
        statuses(&a2),
        vec![
            "duplicate",
            "rejected",
            "rejected",
            "rejected",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );

    let rows = app
        .get(&format!("/events/{event}/activations"), &w.tala_sup.token)
        .await;
    let rows = rows.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let mut named: Vec<(Value, Value)> = rows
        .iter()
        .map(|r| (r["area_code"].clone(), r["area_name"].clone()))
        .collect();
    named.sort_by_key(|p| p.0.to_string());
    assert_eq!(
        named,
        vec![
            (json!("63.01.01.2001"), json!("Benua Lawas")),
            (json!("63.01.01.2001"), json!("Benua Lawas")),
            (json!("63.01.02"), json!("Jorong")),
            (Value::Null, Value::Null),
        ]
    );
    // The void answer names the area too.
    let id = items[0]["id"].as_str().expect("id");
    let v = app
        .delete(
            &format!("/activations/{id}"),
            &w.tala_sup.token,
            Some(json!({"reason": "entered twice"})),
        )
        .await;
    assert_eq!(v.assert_status(200)["area_name"], "Benua Lawas");
}

/// A time on a March 2024 day in WITA (UTC+8).
fn wita(day: u32, hour: u32) -> String {
    format!("2024-03-{day:02}T{hour:02}:00:00+08:00")
}

fn event_at(channel: &str, day: u32, area: Option<&str>) -> Value {
    let mut body = json!({
        "channel_key": channel,
        "title": "Tilik Desa",
        "starts_at": wita(day, 9),
        "ends_at": wita(day, 15),
    });
    if let Some(a) = area {
        body["area_code"] = json!(a);
    }
    body
}

async fn new_event(app: &TestApp, token: &str, body: Value) -> String {
    app.post("/events", token, body).await.assert_status(201)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

fn attempt(event: &str, outcome: &str, nik: Option<String>) -> Value {
    let mut v = json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "event_id": event,
        "recorded_at": "2024-03-18T10:00:00+08:00",
        "outcome": outcome,
    });
    if outcome == "failed" {
        v["failure_reason"] = json!("no_signal");
    }
    if let Some(n) = nik {
        v["nik"] = json!(n);
    }
    v
}

async fn store(app: &TestApp, token: &str, items: &[Value]) {
    let a = app.sync_items(token, items).await;
    for s in statuses(&a) {
        assert_eq!(s, "created", "{}", a.text);
    }
}

/// Tanah Laut (63.01, 11 districts, 135 villages) under Kalimantan Selatan (63), and a
/// March 2024 of events in a few of its villages.
struct CoverageWorld {
    app: TestApp,
    kalsel: String,
    tala: String,
    jateng: String,
    kalsel_sup: TestUser,
    tala_sup: TestUser,
    staff: TestUser,
    jateng_sup: TestUser,
}

async fn coverage_world() -> CoverageWorld {
    let app = spawn_app().await;
    app.load_areas().await;
    let root = app.root_office_id.clone();
    let kalsel = app
        .create_office(&root, "63", "province", "Asia/Makassar")
        .await;
    let tala = app
        .create_office(&kalsel, "63.01", "regency", "Asia/Makassar")
        .await;
    let jateng = app
        .create_office(&root, "33", "province", "Asia/Jakarta")
        .await;
    let kalsel_sup = app.create_user(&kalsel, "supervisor").await;
    let tala_sup = app.create_user(&tala, "supervisor").await;
    let staff = app.create_user(&tala, "field_staff").await;
    let jateng_sup = app.create_user(&jateng, "supervisor").await;
    let t = &staff.token;
    // Benua Lawas twice (18 and 25 March), Tabanio once, the district of Jorong itself once.
    let e1 = new_event(
        &app,
        t,
        event_at("village_visit", 18, Some("63.01.01.2001")),
    )
    .await;
    let e2 = new_event(
        &app,
        t,
        event_at("village_visit", 25, Some("63.01.01.2001")),
    )
    .await;
    let e3 = new_event(&app, t, event_at("pkk_visit", 20, Some("63.01.01.2002"))).await;
    let e4 = new_event(&app, t, event_at("socialization", 22, Some("63.01.02"))).await;
    // No area code: counted among the events, placed nowhere.
    new_event(&app, t, event_at("office_walk_in", 21, None)).await;
    // Kuala Tambangan, but in May: outside the period.
    let mut may = event_at("village_visit", 1, Some("63.01.01.2003"));
    may["starts_at"] = json!("2024-05-01T09:00:00+08:00");
    may["ends_at"] = json!("2024-05-01T15:00:00+08:00");
    new_event(&app, t, may).await;
    // The province's own event in Kotabaru (63.02): the province's coverage, not Tanah Laut's.
    new_event(
        &app,
        &kalsel_sup.token,
        event_at("village_visit", 19, Some("63.02.01.2001")),
    )
    .await;

    // E1: 2 counted + a repeat citizen (not counted) + 1 failed; E2: 1; E4: 1 failed.
    store(
        &app,
        t,
        &[
            attempt(&e1, "activated", Some(test_nik(1))),
            attempt(&e1, "activated", Some(test_nik(2))),
            attempt(&e1, "activated", Some(test_nik(1))),
            attempt(&e1, "failed", None),
            attempt(&e2, "activated", Some(test_nik(3))),
            attempt(&e4, "failed", None),
        ],
    )
    .await;
    // A voided activation at Tabanio counts nowhere.
    let voided = attempt(&e3, "activated", Some(test_nik(4)));
    store(&app, t, std::slice::from_ref(&voided)).await;
    app.delete(
        &format!("/activations/{}", voided["id"].as_str().expect("id")),
        &tala_sup.token,
        Some(json!({"reason": "test"})),
    )
    .await
    .assert_status(200);

    CoverageWorld {
        app,
        kalsel,
        tala,
        jateng,
        kalsel_sup,
        tala_sup,
        staff,
        jateng_sup,
    }
}

fn find<'a>(rows: &'a Value, code: &str) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("{code} missing"))
}

#[tokio::test]
async fn coverage_report_places_events_on_districts_and_villages() {
    let w = coverage_world().await;
    let app = &w.app;
    let march = "from=2024-03-01&to=2024-03-31";

    // --- the regency ---
    let a = app
        .get(
            &format!("/reports/coverage?office_id={}&{march}", w.tala),
            &w.tala_sup.token,
        )
        .await;
    let r = a.assert_status(200);
    assert_eq!(r["office_id"], w.tala.as_str());
    assert_eq!(r["region_code"], "63.01");
    assert_eq!(r["region_name"], "Kabupaten Tanah Laut");
    assert_eq!(
        (r["from"].clone(), r["to"].clone()),
        (json!("2024-03-01"), json!("2024-03-31"))
    );
    assert_eq!(
        r["summary"],
        json!({
            "districts": 11, "districts_visited": 2,
            "villages": 135, "villages_visited": 2, "villages_never_visited": 133,
            "village_coverage": 2.0 / 135.0,
            "events": 5, "events_with_area": 4,
        })
    );
    assert_eq!(r["districts"].as_array().expect("districts").len(), 11);
    assert_eq!(r["villages"].as_array().expect("villages").len(), 135);
    assert_eq!(
        find(&r["districts"], "63.01.01"),
        &json!({"code": "63.01.01", "name": "Takisung", "regency_code": "63.01",
                "events": 3, "activated": 3, "failed": 1, "last_visit": "2024-03-25",
                "villages": 12, "villages_visited": 2})
    );
    assert_eq!(
        find(&r["districts"], "63.01.02"),
        &json!({"code": "63.01.02", "name": "Jorong", "regency_code": "63.01",
                "events": 1, "activated": 0, "failed": 1, "last_visit": "2024-03-22",
                "villages": 11, "villages_visited": 0})
    );
    let quiet = find(&r["districts"], "63.01.03");
    assert_eq!(
        (quiet["events"].clone(), quiet["last_visit"].clone()),
        (json!(0), Value::Null)
    );
    assert_eq!(
        find(&r["villages"], "63.01.01.2001"),
        &json!({"code": "63.01.01.2001", "name": "Benua Lawas", "district_code": "63.01.01",
                "events": 2, "activated": 3, "failed": 1, "last_visit": "2024-03-25"})
    );
    assert_eq!(
        find(&r["villages"], "63.01.01.2002"),
        &json!({"code": "63.01.01.2002", "name": "Tabanio", "district_code": "63.01.01",
                "events": 1, "activated": 0, "failed": 0, "last_visit": "2024-03-20"})
    );
    let may_village = find(&r["villages"], "63.01.01.2003");
    assert_eq!(
        (
            may_village["events"].clone(),
            may_village["last_visit"].clone()
        ),
        (json!(0), Value::Null)
    );
    // The villages never visited, by code: Takisung's other ten first.
    let never = r["never_visited"].as_array().expect("never");
    assert_eq!(never.len(), 133);
    assert_eq!(
        never[0],
        json!({"code": "63.01.01.2003", "name": "Kuala Tambangan",
               "district_code": "63.01.01", "district_name": "Takisung"})
    );
    assert_eq!(never[10]["code"], "63.01.02.2001");
    assert!(!never
        .iter()
        .any(|v| v["code"] == "63.01.01.2001" || v["code"] == "63.01.01.2002"));
    let codes: Vec<&str> = never.iter().filter_map(|v| v["code"].as_str()).collect();
    assert!(
        codes.windows(2).all(|p| p[0] < p[1]),
        "never_visited sorted by code"
    );

    // Field staff see their own office's coverage; the default period is this year so far.
    let a = app.get("/reports/coverage", &w.staff.token).await;
    let own = a.assert_status(200);
    assert_eq!(own["office_id"], w.tala.as_str());
    assert_eq!(own["summary"]["villages"], 135);

    // Without the May event's month, then with it.
    let a = app
        .get(
            &format!(
                "/reports/coverage?office_id={}&from=2024-05-01&to=2024-05-31",
                w.tala
            ),
            &w.tala_sup.token,
        )
        .await;
    let may = a.assert_status(200);
    assert_eq!(may["summary"]["villages_visited"], 1);
    assert_eq!(may["summary"]["events"], 1);
    assert_eq!(
        find(&may["villages"], "63.01.01.2003")["last_visit"],
        "2024-05-01"
    );

    // --- the province: its own event in Kotabaru too ---
    let a = app
        .get(
            &format!("/reports/coverage?office_id={}&{march}", w.kalsel),
            &w.kalsel_sup.token,
        )
        .await;
    let p = a.assert_status(200);
    assert_eq!(p["region_name"], "Kalimantan Selatan");
    assert_eq!(
        p["summary"],
        json!({
            "districts": 156, "districts_visited": 3,
            "villages": 2016, "villages_visited": 3, "villages_never_visited": 2013,
            "village_coverage": 3.0 / 2016.0,
            "events": 6, "events_with_area": 5,
        })
    );
    assert_eq!(find(&p["villages"], "63.02.01.2001")["events"], 1);
    assert_eq!(find(&p["districts"], "63.02.01")["regency_code"], "63.02");

    // --- the nation: every district and village of the country ---
    let a = app
        .get(
            &format!("/reports/coverage?office_id={}&{march}", app.root_office_id),
            &app.root_token,
        )
        .await;
    let n = a.assert_status(200);
    assert_eq!(n["region_code"], "ID");
    assert!(n["region_name"].is_null());
    assert_eq!(n["summary"]["districts"], 7285);
    assert_eq!(n["summary"]["villages"], 83762);
    assert_eq!(n["summary"]["villages_visited"], 3);
    assert_eq!(n["summary"]["villages_never_visited"], 83759);
    assert_eq!(n["villages"].as_array().expect("villages").len(), 83762);
    assert_eq!(n["never_visited"].as_array().expect("never").len(), 83759);
    assert_eq!(find(&n["villages"], "63.01.01.2001")["activated"], 3);
}

#[tokio::test]
async fn coverage_report_as_csv() {
    let w = coverage_world().await;
    let app = &w.app;
    let a = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/reports/coverage?office_id={}&from=2024-03-01&to=2024-03-31",
                    w.tala
                )))
                .bearer_auth(&w.tala_sup.token)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(
        a.content_type().starts_with("text/csv"),
        "{}",
        a.content_type()
    );
    assert!(a
        .header("content-disposition")
        .is_some_and(|d| d.contains("coverage.csv")));
    let lines: Vec<&str> = a.text.lines().collect();
    assert_eq!(
        lines[0],
        "level,code,name,parent_code,events,activated,failed,last_visit,villages,villages_visited"
    );
    // 11 districts and 135 villages, each district right before its villages.
    assert_eq!(lines.len(), 1 + 11 + 135);
    assert_eq!(
        lines[1],
        "district,63.01.01,Takisung,63.01,3,3,1,2024-03-25,12,2"
    );
    assert_eq!(
        lines[2],
        "village,63.01.01.2001,Benua Lawas,63.01.01,2,3,1,2024-03-25,,"
    );
    assert_eq!(
        lines[3],
        "village,63.01.01.2002,Tabanio,63.01.01,1,0,0,2024-03-20,,"
    );
    assert_eq!(
        lines[4],
        "village,63.01.01.2003,Kuala Tambangan,63.01.01,0,0,0,,,"
    );
    assert_eq!(
        lines[14],
        "district,63.01.02,Jorong,63.01,1,0,1,2024-03-22,11,0"
    );
    assert_eq!(lines[15], "village,63.01.02.2001,Sabuhur,63.01.02,0,0,0,,,");
    let codes: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap_or(""))
        .collect();
    assert!(codes.windows(2).all(|p| p[0] < p[1]), "code order");
    // Villages never visited are the village rows without events.
    let unvisited = lines
        .iter()
        .filter(|l| l.starts_with("village,") && l.split(',').nth(4) == Some("0"))
        .count();
    assert_eq!(unvisited, 133);
}

#[tokio::test]
async fn coverage_report_scope_roles_and_validation() {
    let w = coverage_world().await;
    let app = &w.app;
    // Field staff: their own office only; another office in scope or not answers 404.
    app.get(
        &format!("/reports/coverage?office_id={}", w.kalsel),
        &w.staff.token,
    )
    .await
    .assert_problem(404, "not_found");
    // A regency supervisor cannot read the province; another province cannot read either.
    app.get(
        &format!("/reports/coverage?office_id={}", w.kalsel),
        &w.tala_sup.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get(
        &format!("/reports/coverage?office_id={}", w.tala),
        &w.jateng_sup.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/reports/coverage?office_id=not-a-uuid", &w.tala_sup.token)
        .await
        .assert_problem(404, "not_found");
    // The province reads its regency.
    app.get(
        &format!("/reports/coverage?office_id={}", w.tala),
        &w.kalsel_sup.token,
    )
    .await
    .assert_status(200);
    // Jawa Tengah's supervisor reads their own province: none of its villages visited.
    let a = app
        .get(
            &format!(
                "/reports/coverage?office_id={}&from=2024-03-01&to=2024-03-31",
                w.jateng
            ),
            &w.jateng_sup.token,
        )
        .await;
    let j = a.assert_status(200);
    assert_eq!(
        (
            j["summary"]["districts"].clone(),
            j["summary"]["villages"].clone()
        ),
        (json!(576), json!(8563))
    );
    assert_eq!(j["summary"]["villages_never_visited"], 8563);
    assert_eq!(j["summary"]["events"], 0);
    // Bad dates, a reversed and an over-long period: 422 naming the fields.
    let a = app
        .get(
            "/reports/coverage?from=2024-02-30&to=soon",
            &w.tala_sup.token,
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["from", "to"]);
    let a = app
        .get(
            "/reports/coverage?from=2024-04-01&to=2024-03-01",
            &w.tala_sup.token,
        )
        .await;
    assert_eq!(a.error_fields(), ["from"]);
    let a = app
        .get(
            "/reports/coverage?from=2000-01-01&to=2024-03-01",
            &w.tala_sup.token,
        )
        .await;
    assert_eq!(a.error_fields(), ["to"]);
    app.get("/reports/coverage?region=63", &w.tala_sup.token)
        .await
        .assert_problem(400, "malformed_request");
    app.request(reqwest::Method::GET, "/reports/coverage", None, None)
        .await
        .assert_problem(401, "unauthorized");
}

/// A valid NIK of a citizen registered in `district` ("DD.DD.DD"), born 12 March 1990.
fn nik_from(district: &str, serial: u32) -> String {
    format!("{}120390{serial:04}", district.replace('.', ""))
}

/// Tanah Laut (63.01) and Tanah Bumbu (63.10) under Kalimantan Selatan, with activations
/// of citizens from their own districts, each other's, Jawa Tengah's and unknown ones.
struct ResidenceWorld {
    app: TestApp,
    kalsel: String,
    tala: String,
    tanbu: String,
    tala_staff: TestUser,
}

async fn residence_world() -> ResidenceWorld {
    let app = spawn_app().await;
    let root = app.root_office_id.clone();
    let kalsel = app
        .create_office(&root, "63", "province", "Asia/Makassar")
        .await;
    let tala = app
        .create_office(&kalsel, "63.01", "regency", "Asia/Makassar")
        .await;
    let tanbu = app
        .create_office(&kalsel, "63.10", "regency", "Asia/Makassar")
        .await;
    let tala_staff = app.create_user(&tala, "field_staff").await;
    let tanbu_staff = app.create_user(&tanbu, "field_staff").await;
    let tala_sup = app.create_user(&tala, "supervisor").await;

    let e_tala = new_event(&app, &tala_staff.token, event_at("expo_stand", 18, None)).await;
    let e_tanbu = new_event(&app, &tanbu_staff.token, event_at("expo_stand", 19, None)).await;
    let voided = attempt(&e_tala, "activated", Some(nik_from("63.10.01", 9)));
    store(
        &app,
        &tala_staff.token,
        &[
            // Residents of Tanah Laut: three.
            attempt(&e_tala, "activated", Some(nik_from("63.01.01", 1))),
            attempt(&e_tala, "activated", Some(nik_from("63.01.01", 2))),
            attempt(&e_tala, "activated", Some(nik_from("63.01.02", 3))),
            // From Tanah Bumbu and from Kab. Tegal (Jawa Tengah): two non-residents.
            attempt(&e_tala, "activated", Some(nik_from("63.10.01", 4))),
            attempt(&e_tala, "activated", Some(nik_from("33.28.01", 5))),
            // No NIK: two of unknown residence.
            attempt(&e_tala, "activated", None),
            attempt(&e_tala, "activated", None),
            // Not counted: a repeat citizen, a failure, a voided activation.
            attempt(&e_tala, "activated", Some(nik_from("63.01.01", 1))),
            attempt(&e_tala, "failed", Some(nik_from("63.01.01", 6))),
            voided.clone(),
        ],
    )
    .await;
    app.delete(
        &format!("/activations/{}", voided["id"].as_str().expect("id")),
        &tala_sup.token,
        Some(json!({"reason": "test"})),
    )
    .await
    .assert_status(200);
    // 00:30 WITA on 1 January 2025: next year's (until the office moves to WIB).
    let mut new_year = attempt(&e_tala, "activated", Some(nik_from("63.01.01", 7)));
    new_year["recorded_at"] = json!("2024-12-31T16:30:00Z");
    store(&app, &tala_staff.token, &[new_year]).await;
    store(
        &app,
        &tanbu_staff.token,
        &[
            attempt(&e_tanbu, "activated", Some(nik_from("63.10.01", 8))),
            attempt(&e_tanbu, "activated", Some(nik_from("63.01.01", 50))),
            attempt(&e_tanbu, "activated", None),
        ],
    )
    .await;
    ResidenceWorld {
        app,
        kalsel,
        tala,
        tanbu,
        tala_staff,
    }
}

fn residence(v: &Value) -> (i64, i64, i64) {
    let n = |f: &str| {
        v[f].as_i64()
            .unwrap_or_else(|| panic!("{f} missing in {v}"))
    };
    (
        n("resident_activations"),
        n("non_resident_activations"),
        n("unknown_residence_activations"),
    )
}

#[tokio::test]
async fn residents_are_credited_to_their_own_regency() {
    let w = residence_world().await;
    let app = &w.app;
    let root = &app.root_token;
    let progress = |office: &str, year: i32| {
        format!("/reports/progress?office_id={office}&year={year}&as_of={year}-12-31")
    };

    let p = app.get(&progress(&w.tala, 2024), root).await;
    let p = p.assert_status(200);
    assert_eq!(p["tracked_activations"], 7);
    assert_eq!(residence(p), (3, 2, 2));
    let p = app.get(&progress(&w.tala, 2025), root).await;
    let p = p.assert_status(200);
    assert_eq!(p["tracked_activations"], 1);
    assert_eq!(residence(p), (1, 0, 0));
    let p = app.get(&progress(&w.tanbu, 2024), root).await;
    assert_eq!(residence(p.assert_status(200)), (1, 1, 1));
    // The province: both regencies' activations, residents of anywhere in Kalimantan Selatan.
    let p = app.get(&progress(&w.kalsel, 2024), root).await;
    let p = p.assert_status(200);
    assert_eq!(p["tracked_activations"], 10);
    assert_eq!(residence(p), (6, 1, 3));
    // The nation: every NIK is a resident.
    let p = app.get(&progress(&app.root_office_id, 2024), root).await;
    assert_eq!(residence(p.assert_status(200)), (7, 0, 3));
    // Field staff read their own office's.
    let p = app
        .get("/reports/progress?year=2024", &w.tala_staff.token)
        .await;
    assert_eq!(residence(p.assert_status(200)), (3, 2, 2));

    // The offices report credits each regency with its own residents.
    let o = app
        .get(
            &format!(
                "/reports/offices?office_id={}&from=2024-01-01&to=2024-12-31&year=2024&as_of=2024-12-31",
                w.kalsel
            ),
            root,
        )
        .await;
    let rows = o.assert_status(200)["rows"].clone();
    assert_eq!(residence(find(&rows, "63.01")), (3, 2, 2));
    assert_eq!(residence(find(&rows, "63.10")), (1, 1, 1));
    let o = app
        .get(
            &format!(
                "/reports/offices?office_id={}&from=2024-01-01&to=2024-12-31&year=2024",
                app.root_office_id
            ),
            root,
        )
        .await;
    assert_eq!(
        residence(find(&o.assert_status(200)["rows"], "63")),
        (6, 1, 3)
    );

    // CSV carries the same figures.
    let csv = |path: String| {
        app.send(
            app.client
                .get(app.url(&path))
                .bearer_auth(root)
                .header("accept", "text/csv"),
        )
    };
    let p = csv(progress(&w.tala, 2024)).await;
    let lines: Vec<&str> = p.text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let row: Vec<&str> = lines[1].split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).expect(name)];
    assert_eq!(
        (
            col("tracked_activations"),
            col("resident_activations"),
            col("non_resident_activations"),
            col("unknown_residence_activations")
        ),
        ("7", "3", "2", "2")
    );
    let o = csv(format!(
        "/reports/offices?office_id={}&from=2024-01-01&to=2024-12-31&year=2024",
        w.kalsel
    ))
    .await;
    let lines: Vec<&str> = o.text.lines().collect();
    assert!(
        lines[0].ends_with(
            ",resident_activations,non_resident_activations,unknown_residence_activations"
        ),
        "{}",
        lines[0]
    );
    let tala_row = lines
        .iter()
        .find(|l| l.split(',').nth(2) == Some("63.01"))
        .expect("tala row");
    assert!(tala_row.ends_with(",3,2,2"), "{tala_row}");

    // Moving Tanah Laut to WIB brings the new-year activation back into 2024 (23:30 WIB).
    app.patch(
        &format!("/offices/{}", w.tala),
        root,
        json!({"timezone": "Asia/Jakarta"}),
    )
    .await
    .assert_status(200);
    let p = app.get(&progress(&w.tala, 2024), root).await;
    let p = p.assert_status(200);
    assert_eq!(p["tracked_activations"], 8);
    assert_eq!(residence(p), (4, 2, 2));
    let p = app.get(&progress(&w.tala, 2025), root).await;
    assert_eq!(residence(p.assert_status(200)), (0, 0, 0));
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TallyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    office_id: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    year: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    home_district: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    activated: i32,
}

fn residence_rows(c: &mut jemput::db::DbConn) -> Vec<TallyRow> {
    let sql = "SELECT office_id, year, home_district, activated FROM residence_tallies \
               WHERE activated <> 0";
    let mut rows: Vec<TallyRow> = jemput::with_conn!(c, |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).load(c)
    })
    .expect("rows");
    rows.sort();
    rows
}

#[tokio::test]
async fn residence_roll_up_equals_a_recount_and_the_migration_backfill() {
    let w = residence_world().await;
    let app = &w.app;
    let incremental = app.with_db(residence_rows).await;
    assert_eq!(
        incremental.iter().map(|r| r.activated).sum::<i32>(),
        11,
        "{incremental:?}"
    );

    // What rebuild recounts from the activations is what sync and void kept.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(jemput::tallies::rebuild)
            .expect("rebuild")
    })
    .await
    .expect("task");
    assert_eq!(app.with_db(residence_rows).await, incremental);

    // And what the migration backfills for activations stored before it.
    let backend = backend_under_test();
    let up = std::fs::read_to_string(format!(
        "migrations/{}/2026-11-22-000006_residence_tallies/up.sql",
        match backend {
            jemput::db::Backend::Postgres => "postgres",
            _ => "sqlite",
        }
    ))
    .expect("migration");
    let backfill = up[up.find("INSERT INTO").expect("backfill")..].to_string();
    let refilled = app
        .with_db(move |c| {
            use diesel::connection::SimpleConnection;
            jemput::with_conn!(c, |c| c
                .batch_execute(&format!("DELETE FROM residence_tallies; {backfill}")))
            .expect("backfill");
            residence_rows(c)
        })
        .await;
    assert_eq!(refilled, incremental);
    let _ = (&w.kalsel, &w.tanbu);
}
