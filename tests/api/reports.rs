//! Reports on a small known data set, every figure checked by hand against the contract's
//! counting rules: two provinces in two time zones (WITA, WIB), several channels, voided and
//! repeat-citizen rows, events with and without hours and cost, day and period edges, CSV.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::*;

struct World {
    app: TestApp,
    p1: String,
    r1: String,
    r2: String,
    p2: String,
    f1: TestUser,
    f2: TestUser,
    f3: TestUser,
    s1: TestUser,
    e1: String,
    e2: String,
    e3: String,
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn event(app: &TestApp, token: &str, body: Value) -> String {
    let a = app.post("/events", token, body).await;
    a.assert_status(201)["id"]
        .as_str()
        .expect("event id")
        .to_string()
}

async fn hours(app: &TestApp, event: &str, user: &str, h: f64) {
    app.put(
        &format!("/events/{event}/staff/{user}"),
        &app.root_token,
        json!({ "hours": h }),
    )
    .await
    .assert_status(200);
}

fn act(
    event: &str,
    at: &str,
    outcome: &str,
    reason: Option<&str>,
    age: Option<&str>,
    nik: Option<&str>,
) -> Value {
    let mut v = json!({ "id": id(), "event_id": event, "recorded_at": at, "outcome": outcome });
    if let Some(r) = reason {
        v["failure_reason"] = json!(r);
    }
    if let Some(a) = age {
        v["age_band"] = json!(a);
    }
    if let Some(n) = nik {
        v["nik"] = json!(n);
    }
    v
}

async fn sync(app: &TestApp, token: &str, items: Vec<Value>) -> Vec<Value> {
    let a = app
        .post("/sync/activations", token, json!({ "items": items }))
        .await;
    let results = a.assert_status(200)["results"]
        .as_array()
        .expect("results")
        .clone();
    for r in &results {
        assert_eq!(r["status"], "created", "{r}");
    }
    results
}

async fn world() -> World {
    let app = spawn_app().await;
    let root = app.root_office_id.clone();
    let p1 = app
        .create_office(&root, "63", "province", "Asia/Makassar")
        .await;
    let r1 = app
        .create_office(&p1, "63.01", "regency", "Asia/Makassar")
        .await;
    let r2 = app
        .create_office(&p1, "63.10", "regency", "Asia/Makassar")
        .await;
    let p2 = app
        .create_office(&root, "33", "province", "Asia/Jakarta")
        .await;
    let r3 = app
        .create_office(&p2, "33.28", "regency", "Asia/Jakarta")
        .await;
    let f1 = app.create_user(&r1, "field_staff").await;
    let f2 = app.create_user(&r1, "field_staff").await;
    let s1 = app.create_user(&r1, "supervisor").await;
    let f3 = app.create_user(&r2, "field_staff").await;
    let f4 = app.create_user(&r3, "field_staff").await;

    // E1: R1 expo stand, 16:00 WITA on 20 March, Rp 540,000, 4 + 4 staff-hours.
    let e1 = event(&app, &f1.token, json!({"channel_key": "expo_stand", "title": "Ramadhan Expo",
        "starts_at": "2024-03-20T08:00:00Z", "ends_at": "2024-03-20T13:00:00Z", "cost_idr": 540000})).await;
    // E2: R1 village visit on 21 March, no cost, 6 staff-hours.
    let e2 = event(
        &app,
        &f1.token,
        json!({"channel_key": "village_visit", "title": "Tilik Desa",
        "starts_at": "2024-03-21T01:00:00Z", "ends_at": "2024-03-21T06:00:00Z"}),
    )
    .await;
    // E3: R1 expo stand at 17:30 UTC on 31 March = 01:30 WITA on 1 April: April's, not March's.
    let e3 = event(
        &app,
        &f1.token,
        json!({"channel_key": "expo_stand", "title": "Night market",
        "starts_at": "2024-03-31T17:30:00Z", "ends_at": "2024-03-31T20:00:00Z"}),
    )
    .await;
    // E4: R2 PKK visit on 22 March, Rp 100,000, 3 staff-hours.
    let e4 = event(&app, &f3.token, json!({"channel_key": "pkk_visit", "title": "PKK",
        "starts_at": "2024-03-22T02:00:00Z", "ends_at": "2024-03-22T05:00:00Z", "cost_idr": 100000})).await;
    // E5: R3 (WIB) expo stand at 17:30 UTC on 20 March = 00:30 WIB on 21 March.
    let e5 = event(
        &app,
        &f4.token,
        json!({"channel_key": "expo_stand", "title": "Expo Tegal",
        "starts_at": "2024-03-20T17:30:00Z", "ends_at": "2024-03-20T23:00:00Z"}),
    )
    .await;

    hours(&app, &e1, &f1.id, 4.0).await;
    hours(&app, &e1, &f2.id, 4.0).await;
    hours(&app, &e2, &f1.id, 6.0).await;
    hours(&app, &e4, &f3.id, 3.0).await;

    let at = "2024-03-20T09:00:00Z";
    sync(
        &app,
        &f1.token,
        vec![
            act(&e1, at, "activated", None, None, Some("6301011501900001")),
            act(&e1, at, "activated", None, None, Some("6301014502850002")),
            act(&e1, at, "activated", None, None, Some("6301012712000003")),
            // The same citizen again: stored, never counted.
            act(&e1, at, "activated", None, None, Some("6301011501900001")),
            act(&e1, at, "failed", Some("no_smartphone"), Some("60+"), None),
            act(&e1, at, "failed", Some("no_smartphone"), Some("60+"), None),
            act(&e1, at, "failed", Some("no_signal"), Some("17-24"), None),
        ],
    )
    .await;
    // 17:30 UTC is already the 21st in WITA.
    let f2_items = sync(
        &app,
        &f2.token,
        vec![
            act(
                &e1,
                "2024-03-20T17:30:00Z",
                "activated",
                None,
                None,
                Some("6301010101010004"),
            ),
            act(&e1, at, "activated", None, None, Some("6301010303030005")),
        ],
    )
    .await;
    let voided = f2_items[1]["id"].as_str().expect("id").to_string();
    app.delete(
        &format!("/activations/{voided}"),
        &f2.token,
        Some(json!({"reason": "entered twice"})),
    )
    .await
    .assert_status(200);
    sync(
        &app,
        &f1.token,
        vec![
            act(&e2, "2024-03-21T03:00:00Z", "activated", None, None, None),
            act(&e2, "2024-03-21T03:00:00Z", "activated", None, None, None),
            act(
                &e2,
                "2024-03-21T03:00:00Z",
                "failed",
                Some("declined"),
                None,
                None,
            ),
        ],
    )
    .await;
    sync(
        &app,
        &f3.token,
        vec![
            act(&e4, "2024-03-22T03:00:00Z", "activated", None, None, None),
            act(
                &e4,
                "2024-03-22T03:00:00Z",
                "failed",
                Some("no_smartphone"),
                Some("60+"),
                None,
            ),
        ],
    )
    .await;
    sync(
        &app,
        &f4.token,
        vec![
            act(&e5, "2024-03-20T17:30:00Z", "activated", None, None, None),
            act(&e5, "2024-03-20T17:30:00Z", "activated", None, None, None),
        ],
    )
    .await;

    app.put(&format!("/offices/{r1}/targets/2024"), &app.root_token,
        json!({"eligible_population": 1000, "target_percent": 30.0, "baseline_activations": 10, "baseline_date": "2024-01-01"}))
        .await
        .assert_status(200);
    app.put(&format!("/offices/{r2}/targets/2024"), &app.root_token,
        json!({"eligible_population": 50, "target_percent": 10.0, "baseline_activations": 0, "baseline_date": "2024-01-01"}))
        .await
        .assert_status(200);

    World {
        app,
        p1,
        r1,
        r2,
        p2,
        f1,
        f2,
        f3,
        s1,
        e1,
        e2,
        e3,
    }
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-12)
}

#[track_caller]
fn assert_num(v: &Value, expected: f64) {
    assert!(close(v, expected), "expected {expected}, got {v}");
}

#[tokio::test]
async fn every_report_figure_matches_the_counting_rules() {
    let w = world().await;
    let app = &w.app;
    let root = &app.root_token;

    // --- yields ---
    let y1 = app
        .get(&format!("/events/{}/yield", w.e1), &w.s1.token)
        .await;
    let y1 = y1.assert_status(200);
    assert_eq!(
        y1["activated"], 4,
        "3 + 1 counted; the repeat and the voided one are not"
    );
    assert_eq!(y1["failed"], 3);
    assert_num(&y1["success_rate"], 4.0 / 7.0);
    assert_eq!(
        y1["failure_reasons"],
        json!({"no_smartphone": 2, "no_signal": 1})
    );
    assert_num(&y1["staff_hours"], 8.0);
    assert_num(&y1["activations_per_staff_hour"], 0.5);
    assert_num(&y1["cost_per_activation_idr"], 135000.0);
    let staff = y1["staff"].as_array().expect("staff");
    let f1_row = staff
        .iter()
        .find(|s| s["user_id"] == w.f1.id.as_str())
        .expect("f1");
    assert_eq!(
        (f1_row["activated"].clone(), f1_row["failed"].clone()),
        (json!(3), json!(3))
    );
    assert_num(&f1_row["hours"], 4.0);
    let f2_row = staff
        .iter()
        .find(|s| s["user_id"] == w.f2.id.as_str())
        .expect("f2");
    assert_eq!(
        (f2_row["activated"].clone(), f2_row["failed"].clone()),
        (json!(1), json!(0))
    );

    let y2 = app.get(&format!("/events/{}/yield", w.e2), root).await;
    let y2 = y2.assert_status(200);
    assert_eq!(
        (y2["activated"].clone(), y2["failed"].clone()),
        (json!(2), json!(1))
    );
    assert_num(&y2["activations_per_staff_hour"], 2.0 / 6.0);
    assert!(y2["cost_per_activation_idr"].is_null(), "no cost: null");

    let y3 = app.get(&format!("/events/{}/yield", w.e3), root).await;
    let y3 = y3.assert_status(200);
    assert_eq!(
        (y3["activated"].clone(), y3["failed"].clone()),
        (json!(0), json!(0))
    );
    for field in [
        "success_rate",
        "staff_hours",
        "activations_per_staff_hour",
        "cost_per_activation_idr",
    ] {
        assert!(
            y3[field].is_null(),
            "{field} must be null, got {}",
            y3[field]
        );
    }
    assert_eq!(y3["failure_reasons"], json!({}));

    // --- channels: March in province 63 (E3 is April's by local date) ---
    let ch = app
        .get(
            &format!(
                "/reports/channels?office_id={}&from=2024-03-01&to=2024-03-31",
                w.p1
            ),
            root,
        )
        .await;
    let rows = ch.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let keys: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["channel_key"].as_str())
        .collect();
    assert_eq!(
        keys,
        ["expo_stand", "village_visit", "pkk_visit"],
        "best per staff-hour first, ties by activations"
    );
    let expo = &rows[0];
    assert_eq!(
        (
            expo["events"].clone(),
            expo["activated"].clone(),
            expo["failed"].clone()
        ),
        (json!(1), json!(4), json!(3))
    );
    assert_num(&expo["success_rate"], 4.0 / 7.0);
    assert_num(&expo["median_activated_per_event"], 4.0);
    assert_num(&expo["staff_hours"], 8.0);
    assert_num(&expo["activations_per_staff_hour"], 0.5);
    assert_num(&expo["cost_per_activation_idr"], 135000.0);
    assert_eq!(expo["top_failure_reason"], "no_smartphone");
    let village = &rows[1];
    assert_eq!(village["top_failure_reason"], "declined");
    assert!(village["cost_per_activation_idr"].is_null());
    assert_num(&village["activations_per_staff_hour"], 1.0 / 3.0);
    let pkk = &rows[2];
    assert_num(&pkk["cost_per_activation_idr"], 100000.0);
    assert_num(&pkk["success_rate"], 0.5);

    // Stretching the period to 1 April brings E3 in: two expo events, medians of 4 and 0.
    let ch = app
        .get(
            &format!(
                "/reports/channels?office_id={}&from=2024-03-01&to=2024-04-01",
                w.r1
            ),
            root,
        )
        .await;
    let rows = ch.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let expo = rows
        .iter()
        .find(|r| r["channel_key"] == "expo_stand")
        .expect("expo");
    assert_eq!(expo["events"], 2);
    assert_num(&expo["median_activated_per_event"], 2.0);
    assert_num(&expo["staff_hours"], 8.0);
    assert_eq!(rows.len(), 2, "R1 only: expo and village, not R2's PKK");

    // --- daily, in each office's own time zone ---
    let d = app
        .get(
            &format!(
                "/reports/daily?office_id={}&from=2024-03-19&to=2024-03-22",
                w.r1
            ),
            root,
        )
        .await;
    assert_eq!(
        d.assert_status(200)["days"],
        json!([
            {"date": "2024-03-19", "activated": 0, "failed": 0},
            {"date": "2024-03-20", "activated": 3, "failed": 3},
            {"date": "2024-03-21", "activated": 3, "failed": 1},
            {"date": "2024-03-22", "activated": 0, "failed": 0},
        ])
    );
    let d = app
        .get(
            &format!(
                "/reports/daily?office_id={}&from=2024-03-20&to=2024-03-21",
                w.p2
            ),
            root,
        )
        .await;
    assert_eq!(
        d.assert_status(200)["days"],
        json!([{"date": "2024-03-20", "activated": 0, "failed": 0}, {"date": "2024-03-21", "activated": 2, "failed": 0}])
    );
    let wk = app
        .get(
            &format!(
                "/reports/daily?office_id={}&from=2024-03-18&to=2024-03-31&bucket=week",
                w.r1
            ),
            root,
        )
        .await;
    assert_eq!(
        wk.assert_status(200)["days"],
        json!([{"date": "2024-03-18", "activated": 6, "failed": 4}, {"date": "2024-03-25", "activated": 0, "failed": 0}])
    );
    let mo = app
        .get(
            &format!(
                "/reports/daily?office_id={}&from=2024-03-01&to=2024-04-30&bucket=month",
                w.p1
            ),
            root,
        )
        .await;
    assert_eq!(
        mo.assert_status(200)["days"],
        json!([{"date": "2024-03-01", "activated": 7, "failed": 5}, {"date": "2024-04-01", "activated": 0, "failed": 0}])
    );

    // --- progress ---
    let pr = app
        .get(
            &format!(
                "/reports/progress?office_id={}&year=2024&as_of=2024-03-31",
                w.r1
            ),
            root,
        )
        .await;
    let pr = pr.assert_status(200);
    assert_eq!(pr["eligible_population"], 1000);
    assert_eq!(pr["target_activations"], 300);
    assert_eq!(pr["baseline_activations"], 10);
    assert_eq!(pr["tracked_activations"], 6);
    assert_eq!(pr["total_activations"], 16);
    assert_num(&pr["achieved_percent"], 1.6);
    assert_eq!(pr["remaining"], 284);
    assert_num(&pr["daily_rate_28d"], 6.0 / 28.0);
    let as_of = NaiveDate::from_ymd_opt(2024, 3, 31).expect("date");
    let days = (284.0_f64 / (6.0 / 28.0)).ceil() as i64;
    assert_eq!(
        pr["projected_target_date"],
        (as_of + Duration::days(days)).to_string()
    );

    let pr = app
        .get(
            &format!(
                "/reports/progress?office_id={}&year=2024&as_of=2024-06-30",
                w.r1
            ),
            root,
        )
        .await;
    let pr = pr.assert_status(200);
    assert_num(&pr["daily_rate_28d"], 0.0);
    assert!(
        pr["projected_target_date"].is_null(),
        "no recent rate: null"
    );

    let none = app
        .get(
            &format!(
                "/reports/progress?office_id={}&year=2025&as_of=2025-01-10",
                w.r1
            ),
            root,
        )
        .await;
    let none = none.assert_status(200);
    for field in [
        "eligible_population",
        "target_percent",
        "target_activations",
        "baseline_activations",
        "achieved_percent",
        "remaining",
        "projected_target_date",
    ] {
        assert!(
            none[field].is_null(),
            "{field}: no 2025 target, must be null"
        );
    }
    assert_eq!(none["tracked_activations"], 0);

    // --- offices: province 63 compares R1 and R2; R2 ranks first on achievement ---
    let of = app.get(&format!("/reports/offices?office_id={}&from=2024-03-01&to=2024-03-31&year=2024&as_of=2024-03-31", w.p1), root).await;
    let rows = of.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["office_id"], w.r2.as_str());
    assert_eq!(rows[0]["rank"], 1);
    assert_num(&rows[0]["achieved_percent"], 2.0);
    assert_eq!(rows[0]["target_activations"], 5);
    assert_eq!(rows[1]["office_id"], w.r1.as_str());
    assert_eq!(
        (
            rows[1]["events"].clone(),
            rows[1]["activated"].clone(),
            rows[1]["failed"].clone()
        ),
        (json!(2), json!(6), json!(4))
    );
    assert_num(&rows[1]["staff_hours"], 14.0);
    assert_num(&rows[1]["activations_per_staff_hour"], 6.0 / 14.0);
    assert_num(&rows[1]["achieved_percent"], 1.6);

    // --- staff in R1 ---
    let st = app
        .get(
            &format!(
                "/reports/staff?office_id={}&from=2024-03-01&to=2024-03-31",
                w.r1
            ),
            root,
        )
        .await;
    let rows = st.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    assert_eq!(rows[0]["user_id"], w.f1.id.as_str());
    assert_eq!(
        (
            rows[0]["events"].clone(),
            rows[0]["activated"].clone(),
            rows[0]["failed"].clone()
        ),
        (json!(2), json!(5), json!(4))
    );
    assert_num(&rows[0]["hours"], 10.0);
    assert_num(&rows[0]["activations_per_staff_hour"], 0.5);
    assert_eq!(rows[0]["top_failure_reason"], "no_smartphone");
    assert_eq!(rows[1]["user_id"], w.f2.id.as_str());
    assert_num(&rows[1]["success_rate"], 1.0);
    assert!(rows[1]["top_failure_reason"].is_null());

    // --- failures in province 63 ---
    let fl = app
        .get(
            &format!(
                "/reports/failures?office_id={}&from=2024-03-01&to=2024-03-31",
                w.p1
            ),
            root,
        )
        .await;
    let fl = fl.assert_status(200);
    assert_eq!(fl["failed"], 5);
    assert_eq!(
        fl["by_reason"]
            .as_array()
            .expect("by_reason")
            .iter()
            .map(|r| (r["reason"].clone(), r["failed"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!("no_smartphone"), json!(3)),
            (json!("declined"), json!(1)),
            (json!("no_signal"), json!(1))
        ]
    );
    assert_num(&fl["by_reason"][0]["share"], 0.6);
    let elderly = fl["by_age_band"]
        .as_array()
        .expect("bands")
        .iter()
        .find(|b| b["key"] == "60+")
        .expect("60+")
        .clone();
    assert_eq!(
        (elderly["attempts"].clone(), elderly["failed"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(elderly["reasons"], json!({"no_smartphone": 3}));
    let expo = fl["by_channel"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|b| b["key"] == "expo_stand")
        .expect("expo")
        .clone();
    assert_eq!(
        (expo["attempts"].clone(), expo["failed"].clone()),
        (json!(7), json!(3))
    );
}

#[tokio::test]
async fn reports_answer_csv_on_request() {
    let w = world().await;
    let app = &w.app;
    let a = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/reports/channels?office_id={}&from=2024-03-01&to=2024-03-31",
                    w.p1
                )))
                .bearer_auth(&app.root_token)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(
        a.content_type().starts_with("text/csv"),
        "{}",
        a.content_type()
    );
    let lines: Vec<&str> = a.text.lines().collect();
    assert_eq!(lines[0], "channel_key,events,activated,failed,success_rate,median_activated_per_event,staff_hours,activations_per_staff_hour,cost_per_activation_idr,top_failure_reason");
    assert_eq!(
        lines[1],
        format!(
            "expo_stand,1,4,3,{},4,8,0.5,135000,no_smartphone",
            4.0_f64 / 7.0
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "village_visit,1,2,1,{},2,6,{},,declined",
            2.0_f64 / 3.0,
            2.0_f64 / 6.0
        )
    );
    assert_eq!(lines.len(), 4);

    let d = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/reports/daily?office_id={}&from=2024-03-20&to=2024-03-21",
                    w.r1
                )))
                .bearer_auth(&app.root_token)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(
        d.text,
        "date,activated,failed\n2024-03-20,3,3\n2024-03-21,3,1\n"
    );

    let p = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/reports/progress?office_id={}&year=2025&as_of=2025-01-10",
                    w.r2
                )))
                .bearer_auth(&app.root_token)
                .header("accept", "text/csv"),
        )
        .await;
    let row: Vec<&str> = p.text.lines().nth(1).expect("row").split(',').collect();
    assert_eq!(row[3], "", "a null figure is an empty cell");
}

#[tokio::test]
async fn report_scope_and_roles() {
    let w = world().await;
    let app = &w.app;
    // A field staff sees their own office's reports only.
    app.get(
        "/reports/channels?from=2024-03-01&to=2024-03-31",
        &w.f3.token,
    )
    .await
    .assert_status(200);
    app.get(
        &format!("/reports/channels?office_id={}", w.r1),
        &w.f3.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/reports/daily?office_id={}", w.p1), &w.f1.token)
        .await
        .assert_problem(404, "not_found");
    // A regency supervisor cannot read the province or another regency.
    app.get(
        &format!("/reports/progress?office_id={}", w.p1),
        &w.s1.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/reports/offices?office_id={}", w.r2), &w.s1.token)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/events/{}/yield", w.e1), &w.f3.token)
        .await
        .assert_problem(404, "not_found");
    app.get("/events/not-a-uuid/yield", &w.s1.token)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/reports/staff?office_id={}", uuid::Uuid::new_v4()),
        &app.root_token,
    )
    .await
    .assert_problem(404, "not_found");
    // Without a token: 401.
    app.request(reqwest::Method::GET, "/reports/channels", None, None)
        .await
        .assert_problem(401, "unauthorized");
    let _ = (&w.f2, &w.p2);
}

#[tokio::test]
async fn report_validation_names_every_bad_field() {
    let w = world().await;
    let app = &w.app;
    let root = &app.root_token;
    let a = app
        .get(
            "/reports/daily?from=2024-13-01&to=yesterday&bucket=year",
            root,
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["bucket", "from", "to"]);
    app.get("/reports/channels?from=2024-04-01&to=2024-03-01", root)
        .await
        .assert_problem(422, "validation_failed");
    app.get("/reports/progress?year=1900", root)
        .await
        .assert_problem(422, "validation_failed");
    app.get("/reports/channels?office=x", root)
        .await
        .assert_problem(400, "malformed_request");
    app.get("/reports/progress?year=abc", root)
        .await
        .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn roll_ups_equal_a_recount_from_the_activations() {
    let w = world().await;
    let app = &w.app;
    let paths = [
        format!("/reports/channels?office_id={}&from=2024-03-01&to=2024-04-30", w.app.root_office_id),
        format!("/reports/offices?office_id={}&from=2024-03-01&to=2024-04-30&year=2024&as_of=2024-03-31", w.app.root_office_id),
        format!("/reports/failures?office_id={}&from=2024-03-01&to=2024-04-30", w.app.root_office_id),
        format!("/reports/daily?office_id={}&from=2024-03-01&to=2024-04-30", w.app.root_office_id),
        // Residence tallies: the whole country's, and one regency's (residents of 63.01).
        format!("/reports/progress?office_id={}&year=2024&as_of=2024-03-31", w.app.root_office_id),
        format!("/reports/progress?office_id={}&year=2024&as_of=2024-03-31", w.r1),
        // Yields read the per-event staff shares.
        format!("/events/{}/yield", w.e1),
        format!("/events/{}/yield", w.e2),
        format!("/events/{}/yield", w.e3),
    ];
    // Moving R1 from WITA to WIB re-dates its activations: the per-day tallies must follow.
    app.patch(
        &format!("/offices/{}", w.r1),
        &app.root_token,
        json!({"timezone": "Asia/Jakarta"}),
    )
    .await
    .assert_status(200);
    let before = answers(app, &paths).await;
    // R1's six counted activations: four NIKs of 63.01.01 (Tanah Laut) and two without one.
    let r1 = &before[5];
    assert_eq!(
        [
            &r1["tracked_activations"],
            &r1["resident_activations"],
            &r1["non_resident_activations"],
            &r1["unknown_residence_activations"]
        ],
        [&json!(6), &json!(4), &json!(0), &json!(2)]
    );
    assert_recount_changes_nothing(app, &paths, &before).await;
    let _ = (&w.r2, &w.f1);
}

/// An event's count climbing one sync at a time leaves one median bin per office above it
/// (its current count), not one for every count it passed through: otherwise the channel
/// report's median reads a row per activation ever synced. Voiding one moves the bin down.
#[tokio::test]
async fn median_bins_hold_only_the_counts_events_have_now() {
    let w = world().await;
    let app = &w.app;
    let e = event(
        app,
        &w.f1.token,
        json!({"channel_key": "pkk_visit", "title": "PKK Mei",
        "starts_at": "2024-05-10T01:00:00Z", "ends_at": "2024-05-10T04:00:00Z"}),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let r = sync(
            app,
            &w.f1.token,
            vec![act(
                &e,
                "2024-05-10T02:00:00Z",
                "activated",
                None,
                None,
                None,
            )],
        )
        .await;
        ids.push(r[0]["id"].as_str().expect("id").to_string());
    }
    let may = format!(
        "/reports/channels?office_id={}&from=2024-05-01&to=2024-05-31",
        w.r1
    );
    let bins = |table: &str, column: &str, value: &str| {
        format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{value}'")
    };
    let assert_bins = |label: &'static str| {
        let (month, day) = (
            bins("month_histogram", "month", "2024-05-01"),
            bins("channel_day_histogram", "local_date", "2024-05-10"),
        );
        async move {
            // R1, its province and the nation: one bin each.
            assert_eq!(app.count(&month).await, 3, "month bins {label}");
            assert_eq!(app.count(&day).await, 3, "day bins {label}");
            for table in ["month_histogram", "channel_day_histogram"] {
                let empty = format!("SELECT COUNT(*) AS n FROM {table} WHERE events = 0");
                assert_eq!(app.count(&empty).await, 0, "empty bins in {table} {label}");
            }
        }
    };
    let median = |report: &Value| {
        report["rows"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["channel_key"] == "pkk_visit"))
            .map(|r| r["median_activated_per_event"].clone())
            .unwrap_or_else(|| panic!("pkk_visit: {report}"))
    };
    let report = app.get(&may, &app.root_token).await;
    assert_num(&median(report.assert_status(200)), 5.0);
    assert_bins("after five syncs").await;

    app.delete(
        &format!("/activations/{}", ids[0]),
        &w.f1.token,
        Some(json!({"reason": "entered twice"})),
    )
    .await
    .assert_status(200);
    let report = app.get(&may, &app.root_token).await;
    assert_num(&median(report.assert_status(200)), 4.0);
    assert_bins("after a void").await;
}

async fn answers(app: &TestApp, paths: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in paths {
        out.push(app.get(p, &app.root_token).await.assert_status(200).clone());
    }
    out
}

/// The answers after a full recount of the roll-ups from the raw rows equal `expected`.
async fn assert_recount_changes_nothing(app: &TestApp, paths: &[String], expected: &[Value]) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(jemput::tallies::rebuild)
            .expect("rebuild")
    })
    .await
    .expect("task");
    let after = answers(app, paths).await;
    for ((p, m), a) in paths.iter().zip(expected).zip(&after) {
        assert_eq!(m, a, "roll-up drift on {p}");
    }
}

/// The answers after `clear` and then a migration's own fill (its `up.sql` from the first
/// `fill_from` on) equal `expected`: what an upgraded database gets is what the writes keep.
async fn assert_migration_fill_agrees(
    app: &TestApp,
    paths: &[String],
    expected: &[Value],
    migration: &str,
    fill_from: &str,
    clear: &str,
) {
    let up = std::fs::read_to_string(format!(
        "migrations/{}/{migration}/up.sql",
        match crate::helpers::backend_under_test() {
            jemput::db::Backend::Postgres => "postgres",
            _ => "sqlite",
        }
    ))
    .expect("migration");
    let fill = up[up.find(fill_from).expect("fill")..].to_string();
    let sql = format!("{clear} {fill}");
    app.with_db(move |c| {
        use diesel::connection::SimpleConnection;
        jemput::with_conn!(c, |c| c.batch_execute(&sql)).expect("fill")
    })
    .await;
    let refilled = answers(app, paths).await;
    for ((p, m), a) in paths.iter().zip(expected).zip(&refilled) {
        assert_eq!(m, a, "migration fill differs on {p}");
    }
}

/// The figures of a report without its period, to compare answers over different periods.
fn figures(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("from");
        o.remove("to");
    }
    v
}

#[tokio::test]
async fn monthly_roll_ups_follow_every_change_and_periods_cut_mid_month() {
    let w = world().await;
    let app = &w.app;
    let root = app.root_office_id.clone();
    // E6: R1 at 16:30 UTC on 31 March = 00:30 WITA on 1 April (April's until R1 moves to WIB).
    let e6 = event(
        app,
        &w.f1.token,
        json!({"channel_key": "village_visit", "title": "Late",
        "starts_at": "2024-03-31T16:30:00Z", "ends_at": "2024-03-31T20:00:00Z", "cost_idr": 75000}),
    )
    .await;
    hours(app, &e6, &w.f1.id, 2.5).await;
    let items = sync(
        app,
        &w.f1.token,
        vec![
            act(
                &e6,
                "2024-03-31T17:00:00Z",
                "activated",
                None,
                None,
                Some("6301011801900007"),
            ),
            // A repeat citizen (counted at E1 already): stored, never counted.
            act(
                &e6,
                "2024-03-31T17:00:00Z",
                "activated",
                None,
                None,
                Some("6301011501900001"),
            ),
            act(&e6, "2024-03-31T17:00:00Z", "activated", None, None, None),
            act(
                &e6,
                "2024-03-31T17:00:00Z",
                "failed",
                Some("no_email"),
                Some("25-39"),
                None,
            ),
        ],
    )
    .await;
    let voided = items[2]["id"].as_str().expect("id").to_string();
    app.delete(
        &format!("/activations/{voided}"),
        &w.f1.token,
        Some(json!({"reason": "entered twice"})),
    )
    .await
    .assert_status(200);
    // E2 changes channel and gains a cost; E1's staff hours change and one leaves.
    app.patch(
        &format!("/events/{}", w.e2),
        &w.f1.token,
        json!({"channel_key": "pkk_visit", "cost_idr": 20000}),
    )
    .await
    .assert_status(200);
    hours(app, &w.e1, &w.f1.id, 5.75).await;
    app.delete(
        &format!("/events/{}/staff/{}", w.e1, w.f2.id),
        &app.root_token,
        None,
    )
    .await
    .assert_status(204);

    let periods = [
        ("2024-03-01", "2024-04-30"),
        ("2024-01-01", "2024-12-31"),
        ("2024-03-20", "2024-04-01"),
        ("2024-03-01", "2024-04-01"),
        ("2024-02-15", "2024-04-15"),
        ("2024-03-21", "2024-03-31"),
        ("2024-04-01", "2024-04-01"),
    ];
    // Per period: channels, offices, staff, failures; per office: the periods and progress.
    const KINDS: usize = 4;
    const KINDS_PER_OFFICE: usize = 7 * KINDS + 1;
    let mut paths = Vec::new();
    for office in [&root, &w.p1, &w.r1] {
        for (from, to) in periods {
            paths.push(format!(
                "/reports/channels?office_id={office}&from={from}&to={to}"
            ));
            paths.push(format!(
                "/reports/offices?office_id={office}&from={from}&to={to}&year=2024&as_of=2024-04-05"
            ));
            // The staff and failure reports read their own monthly roll-ups the same way.
            paths.push(format!(
                "/reports/staff?office_id={office}&from={from}&to={to}"
            ));
            paths.push(format!(
                "/reports/failures?office_id={office}&from={from}&to={to}"
            ));
        }
        paths.push(format!(
            "/reports/progress?office_id={office}&year=2024&as_of=2024-04-05"
        ));
    }
    // The yields of the events voided into, re-channelled and re-staffed (after the above,
    // so the indexes of `check` hold).
    for e in [&w.e1, &w.e2, &e6] {
        paths.push(format!("/events/{e}/yield"));
    }
    let check = |before: &[Value], label: &str| {
        // Every event of the world is from 20 March on: a period from the 1st of a month
        // (read from the monthly roll-ups) and one from the 20th (read per event) agree.
        for office in 0..3 {
            let at = |period: usize, kind: usize| {
                &before[office * KINDS_PER_OFFICE + period * KINDS + kind]
            };
            for kind in 0..KINDS {
                assert_eq!(
                    figures(at(3, kind).clone()),
                    figures(at(2, kind).clone()),
                    "{label}: whole March + 1 April vs 20 March - 1 April"
                );
                assert_eq!(
                    figures(at(4, kind).clone()),
                    figures(at(0, kind).clone()),
                    "{label}: mid-February to mid-April vs March-April"
                );
            }
        }
    };
    let before = answers(app, &paths).await;
    check(&before, "before the time-zone change");
    // April's E6 and E3 figures show for R1 in April (E6: 1 counted, 1 failed, Rp 75,000).
    let r1_april = &before[2 * KINDS_PER_OFFICE + 6 * KINDS];
    let village = r1_april["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["channel_key"] == "village_visit")
        .expect("E6's channel")
        .clone();
    assert_eq!(
        [
            &village["events"],
            &village["activated"],
            &village["failed"]
        ],
        [&json!(1), &json!(1), &json!(1)]
    );
    assert_num(&village["cost_per_activation_idr"], 75000.0);
    assert_num(&village["staff_hours"], 2.5);

    // R1 moves from WITA to WIB: E6 moves back to 31 March, into March's roll-ups.
    app.patch(
        &format!("/offices/{}", w.r1),
        &app.root_token,
        json!({"timezone": "Asia/Jakarta"}),
    )
    .await
    .assert_status(200);
    let moved = answers(app, &paths).await;
    check(&moved, "after the time-zone change");
    let r1_april = &moved[2 * KINDS_PER_OFFICE + 6 * KINDS];
    assert!(
        r1_april["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["channel_key"] != "village_visit"),
        "E6 left April: {r1_april}"
    );

    // A full recount from the activations, events and staff hours changes nothing.
    assert_recount_changes_nothing(app, &paths, &moved).await;
    // And what the staff and failure roll-ups' migration fills in on an upgraded database.
    assert_migration_fill_agrees(
        app,
        &paths,
        &moved,
        "2026-12-07-000400_staff_failure_tallies",
        "INSERT INTO",
        "DELETE FROM outcome_month_tallies; DELETE FROM staff_month_tallies; \
         DELETE FROM staff_shares;",
    )
    .await;
    let _ = (&w.r2, &w.p2, &w.s1, &w.f3, &w.e3);
}

#[tokio::test]
async fn the_form_and_the_language_follow_the_quality_values() {
    let w = world().await;
    let app = &w.app;
    let url = app.url(&format!(
        "/reports/channels?office_id={}&from=2024-03-01&to=2024-03-31",
        w.p1
    ));
    let with = |accept: &'static str| {
        app.client
            .get(url.clone())
            .bearer_auth(&app.root_token)
            .header("accept", accept)
    };
    let json_first = app.send(with("application/json, text/csv;q=0.5")).await;
    assert_eq!(json_first.status, 200);
    assert!(json_first.content_type().starts_with("application/json"));
    let csv_first = app
        .send(with("application/json;q=0.2, text/csv;q=0.9"))
        .await;
    assert!(csv_first.content_type().starts_with("text/csv"));
    let csv_refused = app.send(with("text/csv;q=0")).await;
    assert!(csv_refused.content_type().starts_with("application/json"));

    // A problem in the language weighed highest, wherever it is listed.
    let problem_in = |languages: &'static str| {
        app.client
            .get(app.url("/reports/channels?from=bad"))
            .bearer_auth(&app.root_token)
            .header("accept-language", languages)
    };
    let id = app.send(problem_in("en;q=0.3, id;q=0.9")).await;
    assert_eq!(id.header("content-language"), Some("id"));
    let en = app.send(problem_in("id;q=0.3, en")).await;
    assert_eq!(en.header("content-language"), Some("en"));
    assert_eq!(id.status, en.status);
}

/// A district or village of a coverage answer, by code.
fn area<'a>(report: &'a Value, list: &str, code: &str) -> &'a Value {
    report[list]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == code))
        .unwrap_or_else(|| panic!("{code} not in {list}: {report}"))
}

#[tokio::test]
async fn day_roll_ups_follow_every_change_and_equal_a_recount() {
    let w = world().await;
    let app = &w.app;
    app.load_areas_within(&["63"]).await;
    let root = app.root_office_id.clone();
    // E7 in a village of Tanah Laut on 25 March (WITA), E8 in its district on 10 April.
    let e7 = event(
        app,
        &w.f1.token,
        json!({"channel_key": "village_visit", "title": "Desa",
        "starts_at": "2024-03-25T02:00:00Z", "ends_at": "2024-03-25T06:00:00Z",
        "area_code": "63.01.01.2001", "cost_idr": 30000}),
    )
    .await;
    let e8 = event(
        app,
        &w.f1.token,
        json!({"channel_key": "socialization", "title": "Kecamatan",
        "starts_at": "2024-04-10T02:00:00Z", "ends_at": "2024-04-10T06:00:00Z",
        "area_code": "63.01.01"}),
    )
    .await;
    hours(app, &e7, &w.f1.id, 3.5).await;
    let items = sync(
        app,
        &w.f1.token,
        vec![
            act(&e7, "2024-03-25T03:00:00Z", "activated", None, None, None),
            act(&e7, "2024-03-25T03:00:00Z", "activated", None, None, None),
            act(
                &e7,
                "2024-03-25T03:00:00Z",
                "failed",
                Some("no_email"),
                None,
                None,
            ),
            act(&e8, "2024-04-10T03:00:00Z", "activated", None, None, None),
        ],
    )
    .await;
    let r1 = &w.r1;
    let coverage = |office: &str, from: &str, to: &str| {
        format!("/reports/coverage?office_id={office}&from={from}&to={to}")
    };
    let got = answers(app, &[coverage(r1, "2024-03-01", "2024-04-30")]).await;
    let village = area(&got[0], "villages", "63.01.01.2001");
    assert_eq!(
        [
            &village["events"],
            &village["activated"],
            &village["failed"],
            &village["last_visit"]
        ],
        [&json!(1), &json!(2), &json!(1), &json!("2024-03-25")]
    );
    let district = area(&got[0], "districts", "63.01.01");
    assert_eq!(
        [
            &district["events"],
            &district["activated"],
            &district["last_visit"]
        ],
        [&json!(2), &json!(3), &json!("2024-04-10")]
    );

    // E7 moves to the district and to 2 April, changes channel; an attempt is voided; E8
    // gains staff hours; R1 moves to WIB (its activations' and events' days are recounted).
    app.patch(
        &format!("/events/{e7}"),
        &w.f1.token,
        json!({"area_code": "63.01.01", "channel_key": "pkk_visit",
            "starts_at": "2024-04-02T02:00:00Z", "ends_at": "2024-04-02T06:00:00Z"}),
    )
    .await
    .assert_status(200);
    let voided = items[0]["id"].as_str().expect("id").to_string();
    app.delete(
        &format!("/activations/{voided}"),
        &w.f1.token,
        Some(json!({"reason": "entered twice"})),
    )
    .await
    .assert_status(200);
    hours(app, &e8, &w.f1.id, 2.0).await;
    app.patch(
        &format!("/offices/{r1}"),
        &app.root_token,
        json!({"timezone": "Asia/Jakarta"}),
    )
    .await
    .assert_status(200);

    let mut paths = Vec::new();
    for office in [&root, &w.p1, r1, &w.p2] {
        for bucket in ["day", "week", "month"] {
            paths.push(format!(
                "/reports/daily?office_id={office}&from=2024-03-01&to=2024-04-30&bucket={bucket}"
            ));
        }
        // Both ends mid-month: read from the per-day channel roll-ups.
        paths.push(format!(
            "/reports/channels?office_id={office}&from=2024-03-21&to=2024-04-05"
        ));
        paths.push(coverage(office, "2024-03-01", "2024-04-30"));
        paths.push(coverage(office, "2024-03-01", "2024-03-31"));
    }
    let moved = answers(app, &paths).await;
    const PER_OFFICE: usize = 6;
    // The nation's days are its provinces' days added up.
    let days = |v: &Value| -> Vec<(String, i64, i64)> {
        v["days"]
            .as_array()
            .expect("days")
            .iter()
            .map(|d| {
                (
                    d["date"].as_str().unwrap_or("").to_string(),
                    d["activated"].as_i64().unwrap_or(0),
                    d["failed"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    };
    for bucket in 0..3 {
        let (nation, p1, p2) = (
            days(&moved[bucket]),
            days(&moved[PER_OFFICE + bucket]),
            days(&moved[3 * PER_OFFICE + bucket]),
        );
        assert_eq!(nation.len(), p1.len());
        for ((n, a), b) in nation.iter().zip(&p1).zip(&p2) {
            assert_eq!((n.1, n.2), (a.1 + b.1, a.2 + b.2), "{}", n.0);
        }
        assert!(nation.iter().map(|d| d.1).sum::<i64>() > 0);
    }
    // The nation sees R1's moved event where R1 does: in the district, on 2 April, and no
    // longer in the village or in March.
    for at in [0, 2] {
        let whole = &moved[at * PER_OFFICE + 4];
        let village = area(whole, "villages", "63.01.01.2001");
        assert_eq!(
            [&village["events"], &village["last_visit"]],
            [&json!(0), &Value::Null]
        );
        let district = area(whole, "districts", "63.01.01");
        assert_eq!(
            [
                &district["events"],
                &district["activated"],
                &district["failed"],
                &district["last_visit"]
            ],
            [&json!(2), &json!(2), &json!(1), &json!("2024-04-10")]
        );
        let march = &moved[at * PER_OFFICE + 5];
        assert_eq!(area(march, "districts", "63.01.01")["events"], json!(0));
    }
    // The mid-month channel report counts E7 under its new channel, with its hours.
    let mid = &moved[2 * PER_OFFICE + 3];
    let pkk = mid["rows"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["channel_key"] == "pkk_visit"))
        .unwrap_or_else(|| panic!("pkk_visit: {mid}"));
    assert_eq!(
        [&pkk["events"], &pkk["activated"], &pkk["failed"]],
        [&json!(1), &json!(1), &json!(1)]
    );
    assert_num(&pkk["staff_hours"], 3.5);

    // A full recount from the rows changes nothing.
    assert_recount_changes_nothing(app, &paths, &moved).await;
    // Nor does what the migration fills in on an upgraded database.
    assert_migration_fill_agrees(
        app,
        &paths,
        &moved,
        "2026-12-07-000500_day_tallies",
        "UPDATE event_shares",
        "DELETE FROM area_days; DELETE FROM channel_day_histogram; DELETE FROM channel_days; \
         DELETE FROM subtree_days; UPDATE event_shares SET local_date = '2000-01-01', area_code = '';",
    )
    .await;
}
