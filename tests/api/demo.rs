//! `jemput seed demo`: the reports over the demo data echo what the offices reported, the
//! load is deterministic, consistent with what sync would have stored, and refuses to run
//! twice.

use serde_json::{json, Value};

use crate::helpers::*;

const PASSWORD: &str = DEMO_PASSWORD;

async fn load_demo(app: &TestApp) -> Result<DemoSummary, String> {
    seed_demo(&app.database_url).await
}

/// The id of the office with this code, as an admin sees it.
async fn office(app: &TestApp, token: &str, code: &str) -> String {
    let a = app.get("/offices?limit=500", token).await;
    a.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["code"] == code)
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("office {code} missing"))
        .to_string()
}

async fn progress(app: &TestApp, token: &str, office_id: &str) -> Value {
    app.get(
        &format!("/reports/progress?office_id={office_id}&year=2024&as_of=2024-12-31"),
        token,
    )
    .await
    .assert_status(200)
    .clone()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn demo_reports_echo_what_the_offices_reported() {
    let app = spawn_app().await;
    let summary = load_demo(&app).await.expect("demo loads");
    // The test database's own root office stays the only one.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM offices WHERE parent_id IS NULL")
            .await,
        1
    );
    assert_eq!(summary.accounts, 35);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM activations").await,
        summary.attempts
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM activations WHERE voided_at IS NOT NULL")
            .await,
        3
    );
    assert!(summary.repeat_citizens >= 3, "{summary:?}");
    assert!(summary.activated > 5_000, "{summary:?}");

    // A demo supervisor logs in with the shared password.
    let tala = app.token_for("tanahlaut.supervisor", PASSWORD).await;
    let me = app.get("/me", &tala).await;
    assert_eq!(me.assert_status(200)["role"], "supervisor");
    let tala_id = office(&app, &app.root_token, "63.01").await;
    assert_eq!(me.json["office_id"], json!(tala_id));

    // About 54 activations at the Ramadhan Expo stand in Ramadan 2024.
    let ch = app
        .get("/reports/channels?from=2024-03-11&to=2024-04-09", &tala)
        .await;
    let rows = ch.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let expo = rows
        .iter()
        .find(|r| r["channel_key"] == "expo_stand")
        .expect("expo row");
    assert_eq!(expo["events"], 21);
    assert_eq!(expo["activated"], 54);
    assert!(f(&expo["failed"]) > 30.0, "{expo}");
    assert_eq!(expo["top_failure_reason"], "no_smartphone");
    assert!((f(&expo["cost_per_activation_idr"]) - 21.0 * 150_000.0 / 54.0).abs() < 1e-6);

    // Tanah Laut: under 2 % of a 30 % target.
    let p = progress(&app, &tala, &tala_id).await;
    assert_eq!(p["target_percent"], 30.0);
    assert!((1.0..2.0).contains(&f(&p["achieved_percent"])), "{p}");

    // Tegal: 19,500 = 1.6 % by the end of 2023, target 15 %.
    let tegal_id = office(&app, &app.root_token, "33.28").await;
    let p = progress(&app, &app.root_token, &tegal_id).await;
    assert_eq!(p["baseline_activations"], 19_500);
    assert_eq!(p["eligible_population"], 1_218_750);
    assert!((1.6..2.0).contains(&f(&p["achieved_percent"])), "{p}");

    // Kotawaringin Timur: 1,113 of 308,309, target 25 %.
    let kotim_id = office(&app, &app.root_token, "62.02").await;
    let p = progress(&app, &app.root_token, &kotim_id).await;
    assert_eq!(p["baseline_activations"], 1_113);
    assert_eq!(p["eligible_population"], 308_309);
    assert!(f(&p["achieved_percent"]) < 1.0, "{p}");

    // Tabanan: 5,064 activated by the end of May 2024 (1.31 % of 383,965).
    let tabanan_id = office(&app, &app.root_token, "51.02").await;
    let p = progress(&app, &app.root_token, &tabanan_id).await;
    let daily = app
        .get(
            &format!(
                "/reports/daily?office_id={tabanan_id}&from=2024-01-01&to=2024-05-31&bucket=month"
            ),
            &app.root_token,
        )
        .await;
    let through_may: i64 = daily.assert_status(200)["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["activated"].as_i64().expect("activated"))
        .sum();
    let baseline = p["baseline_activations"].as_i64().expect("baseline");
    assert_eq!(baseline + through_may, 5_064);
    assert_eq!(p["eligible_population"], 383_965);
    // The same figure from one call: progress as at 31 May 2024 counts only what was
    // recorded up to that day, and its parts add up to it.
    let may = app
        .get(
            &format!("/reports/progress?office_id={tabanan_id}&year=2024&as_of=2024-05-31"),
            &app.root_token,
        )
        .await;
    let may = may.assert_status(200);
    assert_eq!(may["as_of"], "2024-05-31");
    assert_eq!(may["tracked_activations"], through_may);
    assert_eq!(may["total_activations"], 5_064);
    assert!((f(&may["achieved_percent"]) - 100.0 * 5_064.0 / 383_965.0).abs() < 1e-9);
    let parts: i64 = [
        "resident_activations",
        "non_resident_activations",
        "unknown_residence_activations",
    ]
    .iter()
    .map(|k| may[*k].as_i64().expect("part"))
    .sum();
    assert_eq!(parts, through_may);
    // A past year without `as_of` is taken at its last day.
    let whole = app
        .get(
            &format!("/reports/progress?office_id={tabanan_id}&year=2024"),
            &app.root_token,
        )
        .await;
    let whole = whole.assert_status(200);
    assert_eq!(whole["as_of"], "2024-12-31");
    assert!(
        whole["tracked_activations"].as_i64() > Some(through_may),
        "{whole}"
    );

    // Kalimantan Utara: about 10 % against 25 %, five regencies to compare.
    let kaltara = app.token_for("kaltara.admin", PASSWORD).await;
    let kaltara_id = office(&app, &kaltara, "65").await;
    let p = progress(&app, &kaltara, &kaltara_id).await;
    assert_eq!(p["target_percent"], 25.0);
    assert!((9.5..11.0).contains(&f(&p["achieved_percent"])), "{p}");
    let offices = app
        .get(
            "/reports/offices?from=2024-01-01&to=2024-12-31&year=2024&as_of=2024-12-31",
            &kaltara,
        )
        .await;
    let mut codes: Vec<String> = offices.assert_status(200)["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_string())
        .collect();
    codes.sort();
    assert_eq!(codes, ["65.01", "65.02", "65.03", "65.04", "65.71"]);

    // Field staff see their own office only.
    let staff = app.token_for("tegal.petugas1", PASSWORD).await;
    let events = app.get("/events?limit=500", &staff).await;
    let items = events.assert_status(200)["items"]
        .as_array()
        .expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["office_id"] == json!(tegal_id)));
    app.get(
        &format!("/reports/progress?office_id={tala_id}&year=2024"),
        &staff,
    )
    .await
    .assert_problem(404, "not_found");

    // Every review state is there, returned events with the supervisor's comment.
    for status in ["open", "submitted", "returned", "approved"] {
        let a = app
            .get(&format!("/events?status={status}&limit=1"), &app.root_token)
            .await;
        let items = a.assert_status(200)["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "no {status} event");
        if status == "returned" {
            assert!(items[0]["review_comment"].is_string(), "{}", a.text);
        }
    }

    // A demo activation re-sent by the phone is a duplicate: the stored content hash is
    // the one the sync path computes.
    let row = app
        .with_db(|c| {
            use diesel::prelude::*;
            use jemput::schema::{activations as a, events as e};
            a::table
                .inner_join(e::table)
                .filter(e::status.eq("open"))
                .filter(a::nik_hash.is_null())
                .filter(a::voided_at.is_null())
                .order(a::id.asc())
                .select(jemput::activations::repo::Activation::as_select())
                .first::<jemput::activations::repo::Activation>(c)
                .expect("an open event's activation")
        })
        .await;
    let mut item = json!({
        "id": row.id,
        "event_id": row.event_id,
        "staff_id": row.staff_id,
        "recorded_at": row.recorded_at.and_utc().to_rfc3339(),
        "outcome": row.outcome,
    });
    for (k, v) in [
        ("failure_reason", &row.failure_reason),
        ("age_band", &row.age_band),
        ("sex", &row.sex),
        ("area_code", &row.area_code),
    ] {
        if let Some(v) = v {
            item[k] = json!(v);
        }
    }
    let synced = app.sync_items(&app.root_token, &[item]).await;
    assert_eq!(
        synced.assert_status(200)["results"][0]["status"],
        "duplicate",
        "{}",
        synced.text
    );

    // The roll-ups the load wrote are what a full recount gives.
    let before = app
        .get(
            "/reports/channels?from=2024-01-01&to=2024-12-31",
            &app.root_token,
        )
        .await
        .assert_status(200)
        .clone();
    app.with_db(|c| jemput::tallies::rebuild(c).expect("rebuild"))
        .await;
    let after = app
        .get(
            "/reports/channels?from=2024-01-01&to=2024-12-31",
            &app.root_token,
        )
        .await;
    assert_eq!(after.assert_status(200), &before);
}

#[tokio::test]
async fn demo_loads_the_same_figures_every_time_and_refuses_a_second_load() {
    let (a, b) = tokio::join!(spawn_app(), spawn_app());
    load_demo(&a).await.expect("first database");
    load_demo(&b).await.expect("second database");
    for code in ["63.01", "33.28", "62.02", "51.02", "65", "65.71"] {
        let id = office(&a, &a.root_token, code).await;
        assert_eq!(id, office(&b, &b.root_token, code).await, "office {code}");
        for path in [
            format!("/reports/progress?office_id={id}&year=2024&as_of=2024-12-31"),
            format!("/reports/channels?office_id={id}&from=2024-01-01&to=2024-12-31"),
            format!("/reports/failures?office_id={id}&from=2024-01-01&to=2024-12-31"),
            format!("/events?office_id={id}&limit=20"),
        ] {
            let x = a.get(&path, &a.root_token).await;
            let y = b.get(&path, &b.root_token).await;
            assert_eq!(x.assert_status(200), y.assert_status(200), "{path}");
        }
    }

    let stored = a.count("SELECT COUNT(*) AS n FROM activations").await;
    let err = load_demo(&a).await.expect_err("a second load is refused");
    assert!(err.contains("already loaded"), "unclear refusal: {err}");
    assert_eq!(
        a.count("SELECT COUNT(*) AS n FROM activations").await,
        stored
    );
}

#[tokio::test]
async fn seed_demo_command_prints_the_logins_and_refuses_a_second_run() {
    let (url, _dir) = fresh_database();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_jemput"))
            .args(["seed", "demo"])
            .env("DATABASE_URL", &url)
            .env("JEMPUT_LOG", "warn")
            .output()
            .expect("run jemput seed demo")
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for expected in [
        "nasional.admin",
        "kaltara.admin",
        "tanahlaut.supervisor",
        "tanahlaut.petugas1",
        PASSWORD,
        "Try:",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{stdout}");
    }
    let second = run();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already loaded"), "{stderr}");
}
