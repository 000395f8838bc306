//! Control characters at the edge (issue 16, finding 11): a NUL answered 500 on PostgreSQL and
//! was stored by SQLite. Now every text field and query parameter refuses control characters
//! with a 422 naming the field, the same on both backends, and nothing is stored.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::World;
use crate::helpers::*;

#[tokio::test]
async fn a_nul_in_a_login_name_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let answer = app.login("a\u{0}b", "whatever-password-1").await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), vec!["username"]);
    // Refused before the handler: no failed login was counted or audited.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM login_throttle").await,
        0
    );
}

#[tokio::test]
async fn a_nul_in_an_office_name_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let before = app.count("SELECT COUNT(*) AS n FROM offices").await;
    let answer = app
        .post(
            "/offices",
            &app.root_token,
            json!({"code": "63", "name": "Disdukcapil\u{0} Kalsel", "level": "province", "timezone": "Asia/Makassar"}),
        )
        .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), vec!["name"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM offices").await, before);
}

#[tokio::test]
async fn other_control_characters_are_refused_and_line_breaks_are_not() {
    let app = spawn_app().await;
    for bad in [
        "Kalsel\u{7}",
        "Kalsel\u{1b}[2J",
        "Kalsel\u{7f}",
        "Kalsel\u{85}",
    ] {
        let answer = app
            .post(
                "/offices",
                &app.root_token,
                json!({"code": "63", "name": bad, "level": "province", "timezone": "Asia/Makassar"}),
            )
            .await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), vec!["name"], "{bad:?}");
    }
    // Tab and line breaks are text, not controls: the edge lets them through to the
    // field's own rules (which keep an office name to one trimmed line or not).
    let answer = app
        .post(
            "/offices",
            &app.root_token,
            json!({"code": "63", "name": "Disdukcapil Kalsel\n", "level": "province", "timezone": "Asia/Makassar"}),
        )
        .await;
    answer.assert_status(201);
}

#[tokio::test]
async fn a_nul_in_a_query_parameter_is_a_422_naming_it() {
    let app = spawn_app().await;
    let answer = app.get("/areas?q=ta%00nah", &app.root_token).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), vec!["q"]);
    let answer = app
        .get("/sync/changes?cursor=%01abc", &app.root_token)
        .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), vec!["cursor"]);
    // The same search without the NUL is an ordinary one.
    app.get("/areas?q=tanah", &app.root_token)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_nul_in_a_path_is_not_found() {
    let app = spawn_app().await;
    app.get("/areas/63%00", &app.root_token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_nul_inside_a_sync_item_names_its_path_and_stores_nothing() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let good = json!({"id": Uuid::now_v7().to_string(), "event_id": event, "recorded_at": "2024-03-18T10:15:00+08:00", "outcome": "activated"});
    let bad = json!({"id": Uuid::now_v7().to_string(), "event_id": event, "recorded_at": "2024-03-18T10:16:00+08:00", "outcome": "activated", "area_code": "63.01\u{0}"});
    let answer = w.app.sync_items(&w.staff.token, &[good, bad]).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), vec!["items[1].area_code"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        0
    );
}

#[tokio::test]
async fn a_body_sent_without_json_content_type_is_still_415() {
    let app = spawn_app().await;
    let answer = app
        .request(
            Method::DELETE,
            &format!("/activations/{}", Uuid::now_v7()),
            Some(&app.root_token),
            None,
        )
        .await;
    answer.assert_problem(415, "unsupported_media_type");
}
