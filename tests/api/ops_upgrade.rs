//! Upgrades: a database made by the oldest migration set, with a year's data in it, is
//! migrated to the newest by the server's start, and its figures come out as they were.

use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;
use jemput::config::Settings;
use jemput::db::{Db, DbConn};
use jemput::startup::Application;
use serde_json::json;

use crate::helpers::*;

const ADMIN_PASSWORD: &str = "an old admin passphrase";
const STAFF_PASSWORD: &str = "an old staff passphrase";

/// (event, day, outcome, reason, NIK hash, home district, repeat, voided)
type OldRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    bool,
);

/// Applies only the first migration (the first release's schema); returns its version.
fn oldest_schema(conn: &mut DbConn) -> String {
    let version = match conn {
        DbConn::Pg(c) => c.run_next_migration(jemput::db::migrations::POSTGRES),
        DbConn::Sqlite(c) => c.run_next_migration(jemput::db::migrations::SQLITE),
    }
    .expect("the first migration");
    version.to_string()
}

/// A regency with a target, two events, staff hours and activations (counted, failed,
/// voided, a repeat citizen, residents, a non-resident, unknown residence), written with
/// the first release's schema.
fn old_data(admin_hash: &str, staff_hash: &str) -> (String, Vec<String>) {
    let id = || uuid::Uuid::new_v4().to_string();
    let (root, regency, admin, staff, e1, e2) = (id(), id(), id(), id(), id(), id());
    let t = "'2024-03-01 00:00:00'";
    let mut sql = format!(
        "INSERT INTO offices (id, code, name, level, parent_id, timezone, path, created_at, updated_at) VALUES \
           ('{root}', 'ID', 'Nasional', 'national', NULL, 'Asia/Jakarta', '/{root}/', {t}, {t}), \
           ('{regency}', '63.01', 'Kab. Tanah Laut', 'regency', '{root}', 'Asia/Makassar', '/{root}/{regency}/', {t}, {t});
         INSERT INTO users (id, username, username_key, full_name, password_hash, role, office_id, active, auth_epoch, created_at, updated_at) VALUES \
           ('{admin}', 'old.admin', 'old.admin', 'Old Admin', '{admin_hash}', 'admin', '{root}', TRUE, 0, {t}, {t}), \
           ('{staff}', 'old.petugas', 'old.petugas', 'Old Petugas', '{staff_hash}', 'field_staff', '{regency}', TRUE, 0, {t}, {t});
         INSERT INTO targets (office_id, year, eligible_population, target_percent, baseline_activations, baseline_date, updated_at) VALUES \
           ('{regency}', 2024, 1000, 10.0, 5, '2024-01-31', {t});
         INSERT INTO events (id, office_id, channel_key, title, starts_at, ends_at, local_date, cost_idr, status, content_hash, created_by, created_at, updated_at) VALUES \
           ('{e1}', '{regency}', 'expo_stand', 'Stan IKD', '2024-03-18 01:00:00', '2024-03-18 05:00:00', '2024-03-18', 300000, 'approved', 'h', '{staff}', {t}, {t}), \
           ('{e2}', '{regency}', 'village_visit', 'Tilik Desa', '2024-03-20 02:00:00', '2024-03-20 08:00:00', '2024-03-20', NULL, 'open', 'h', '{staff}', {t}, {t});
         INSERT INTO event_staff (event_id, user_id, hours, updated_at) VALUES \
           ('{e1}', '{staff}', 4.0, {t}), ('{e2}', '{staff}', 6.0, {t});"
    );
    // (event, day, outcome, reason, NIK hash, home district, repeat, voided)
    let rows: [OldRow; 11] = [
        (
            &e1,
            "2024-03-18",
            "activated",
            None,
            Some("h1"),
            Some("63.01.01"),
            false,
            false,
        ),
        (
            &e1,
            "2024-03-18",
            "activated",
            None,
            Some("h2"),
            Some("63.01.02"),
            false,
            false,
        ),
        (
            &e1,
            "2024-03-18",
            "activated",
            None,
            None,
            None,
            false,
            false,
        ),
        (
            &e1,
            "2024-03-18",
            "failed",
            Some("no_smartphone"),
            None,
            None,
            false,
            false,
        ),
        (
            &e1,
            "2024-03-18",
            "failed",
            Some("no_smartphone"),
            None,
            None,
            false,
            false,
        ),
        (
            &e1,
            "2024-03-18",
            "failed",
            Some("declined"),
            None,
            None,
            false,
            true,
        ),
        (
            &e2,
            "2024-03-20",
            "activated",
            None,
            Some("h3"),
            Some("33.28.01"),
            false,
            false,
        ),
        (
            &e2,
            "2024-03-20",
            "activated",
            None,
            None,
            None,
            false,
            false,
        ),
        (
            &e2,
            "2024-03-20",
            "activated",
            None,
            None,
            None,
            false,
            false,
        ),
        (
            &e2,
            "2024-03-20",
            "activated",
            None,
            Some("h1"),
            Some("63.01.01"),
            true,
            false,
        ),
        (
            &e2,
            "2024-03-20",
            "failed",
            Some("no_signal"),
            None,
            None,
            false,
            false,
        ),
    ];
    let q = |v: Option<&str>| v.map(|s| format!("'{s}'")).unwrap_or_else(|| "NULL".into());
    let mut first_of = std::collections::HashMap::new();
    for (event, day, outcome, reason, nik, home, repeat, voided) in rows {
        let a = id();
        if let (Some(n), false) = (nik, repeat) {
            first_of.insert(n, a.clone());
        }
        sql.push_str(&format!(
            "INSERT INTO activations (id, event_id, office_id, channel_key, staff_id, recorded_at, local_date, \
               outcome, failure_reason, age_band, sex, nik_hash, home_district, repeat_citizen, content_hash, \
               voided_at, voided_by, void_reason, created_by, created_at) VALUES \
             ('{a}', '{event}', '{regency}', '{channel}', '{staff}', '{day} 03:00:00', '{day}', '{outcome}', {reason}, \
              '25-39', 'female', {nik}, {home}, {repeat}, 'h', {voided_at}, {voided_by}, {void_reason}, '{staff}', {t});",
            channel = if event == e1 { "expo_stand" } else { "village_visit" },
            reason = q(reason),
            nik = q(nik),
            home = q(home),
            repeat = if repeat { "TRUE" } else { "FALSE" },
            voided_at = if voided { "'2024-03-19 00:00:00'" } else { "NULL" },
            voided_by = if voided { format!("'{staff}'") } else { "NULL".into() },
            void_reason = if voided { "'salah input'" } else { "NULL" },
        ));
    }
    for (nik, first) in first_of {
        sql.push_str(&format!(
            "INSERT INTO citizens (office_id, nik_hash, first_activation_id) VALUES ('{regency}', '{nik}', '{first}');"
        ));
    }
    (sql, vec![regency, e1, e2])
}

#[tokio::test]
async fn a_database_of_the_oldest_schema_with_data_migrates_to_the_newest_with_the_same_figures() {
    let (url, _dir) = fresh_database();
    let db = Db::connect(&url, 4).expect("open");
    let admin_hash = jemput::auth::password::hash_blocking(ADMIN_PASSWORD).expect("hash");
    let staff_hash = jemput::auth::password::hash_blocking(STAFF_PASSWORD).expect("hash");
    let (sql, ids) = old_data(&admin_hash, &staff_hash);
    let [regency, e1, e2] = <[String; 3]>::try_from(ids).expect("ids");
    let old = db.clone();
    let first = tokio::task::spawn_blocking(move || {
        let mut conn = old.conn().expect("conn");
        let first = oldest_schema(&mut conn);
        conn.batch_execute(&sql).expect("the first release's rows");
        first
    })
    .await
    .expect("task");
    assert_eq!(first, "20261122000001");

    // What an upgraded server does at start: migrate, then serve.
    let prep = db.clone();
    let applied = tokio::task::spawn_blocking(move || jemput::bootstrap::prepare(&prep))
        .await
        .expect("task")
        .expect("migrate to the newest");
    assert!(applied.len() >= 4, "{applied:?}");
    let app = Application::build_with_db(Settings::for_database(&url), db.clone())
        .await
        .expect("serve");
    let base = format!("http://127.0.0.1:{}/api/v1", app.port());
    tokio::spawn(app.server());
    let client = test_client(None);
    let login = |user: &'static str, password: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let resp = client
                .post(format!("{base}/auth/login"))
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .expect("login");
            assert_eq!(resp.status().as_u16(), 200, "the old accounts log in");
            let body: serde_json::Value = resp.json().await.expect("json");
            body["access_token"].as_str().expect("token").to_string()
        }
    };
    let admin = login("old.admin", ADMIN_PASSWORD).await;
    let get = |path: String, token: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let resp = client
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("get");
            assert_eq!(resp.status().as_u16(), 200, "{path}");
            resp.json::<serde_json::Value>().await.expect("json")
        }
    };

    let y1 = get(format!("/events/{e1}/yield"), admin.clone()).await;
    assert_eq!(y1["activated"], json!(3));
    assert_eq!(y1["failed"], json!(2));
    assert_eq!(y1["failure_reasons"], json!({"no_smartphone": 2}));
    assert_eq!(y1["staff_hours"], json!(4.0));
    assert_eq!(y1["cost_per_activation_idr"], json!(100000.0));

    let march = format!("office_id={regency}&from=2024-03-01&to=2024-03-31");
    let channels = get(format!("/reports/channels?{march}"), admin.clone()).await;
    let rows = channels["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{channels}");
    assert_eq!(rows[0]["channel_key"], json!("expo_stand"));
    assert_eq!(
        (
            &rows[0]["events"],
            &rows[0]["activated"],
            &rows[0]["failed"]
        ),
        (&json!(1), &json!(3), &json!(2))
    );
    assert_eq!(rows[0]["activations_per_staff_hour"], json!(0.75));
    assert_eq!(rows[0]["median_activated_per_event"], json!(3.0));
    assert_eq!(rows[0]["top_failure_reason"], json!("no_smartphone"));
    assert_eq!(rows[1]["channel_key"], json!("village_visit"));
    assert_eq!(
        (&rows[1]["activated"], &rows[1]["failed"]),
        (&json!(3), &json!(1))
    );
    assert_eq!(rows[1]["cost_per_activation_idr"], json!(null));

    let progress = get(
        format!("/reports/progress?office_id={regency}&year=2024&as_of=2024-12-31"),
        admin.clone(),
    )
    .await;
    assert_eq!(progress["target_activations"], json!(100));
    assert_eq!(progress["tracked_activations"], json!(6));
    assert_eq!(progress["resident_activations"], json!(2));
    assert_eq!(progress["non_resident_activations"], json!(1));
    assert_eq!(progress["unknown_residence_activations"], json!(3));
    assert_eq!(progress["total_activations"], json!(11));

    let monthly = get(
        format!("/reports/daily?office_id={regency}&from=2024-01-01&to=2024-12-31&bucket=month"),
        admin.clone(),
    )
    .await;
    let march_row = monthly["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == json!("2024-03-01"))
        .cloned()
        .expect("March");
    assert_eq!(
        (&march_row["activated"], &march_row["failed"]),
        (&json!(6), &json!(3))
    );

    let failures = get(
        format!("/reports/failures?office_id={regency}&from=2024-01-01&to=2024-12-31"),
        admin.clone(),
    )
    .await;
    assert!(
        failures.to_string().contains("no_signal"),
        "the failures report sees the old rows: {failures}"
    );

    // The upgraded database keeps counting: a phone's new sync adds to the old figures.
    let staff = login("old.petugas", STAFF_PASSWORD).await;
    let resp = client
        .post(format!("{base}/sync/activations"))
        .bearer_auth(&staff)
        .json(&json!({"items": [{
            "id": uuid::Uuid::now_v7().to_string(), "event_id": e2,
            "recorded_at": "2024-03-20T11:00:00+08:00", "outcome": "activated",
            "age_band": "25-39", "nik": test_nik(7)
        }]}))
        .send()
        .await
        .expect("sync");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["results"][0]["status"], json!("created"), "{body}");
    let y2 = get(format!("/events/{e2}/yield"), admin.clone()).await;
    assert_eq!((&y2["activated"], &y2["failed"]), (&json!(4), &json!(1)));
    let progress = get(
        format!("/reports/progress?office_id={regency}&year=2024&as_of=2024-12-31"),
        admin.clone(),
    )
    .await;
    assert_eq!(progress["tracked_activations"], json!(7));
    assert_eq!(progress["resident_activations"], json!(3));
}
