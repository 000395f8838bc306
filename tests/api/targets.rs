//! Yearly targets per office: set (admin), read (supervisor and admin), validation.

use serde_json::json;

use crate::helpers::*;

fn target(population: i64, percent: f64) -> serde_json::Value {
    json!({
        "eligible_population": population,
        "target_percent": percent,
        "baseline_activations": 1113,
        "baseline_date": "2024-01-31",
    })
}

#[tokio::test]
async fn an_admin_sets_a_target_and_supervisors_read_it() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let supervisor = app.create_user(&tree.regency, "supervisor").await;
    let path = format!("/offices/{}/targets/2024", tree.regency);
    let set = app.put(&path, &admin.token, target(308_309, 25.0)).await;
    let body = set.assert_status(200).clone();
    assert_eq!(body["office_id"], tree.regency.as_str());
    assert_eq!(body["year"], 2024);
    assert_eq!(body["eligible_population"], 308_309);
    assert_eq!(body["target_percent"], 25.0);
    assert_eq!(body["target_activations"], 77_078);
    assert_eq!(body["baseline_activations"], 1113);
    assert_eq!(body["baseline_date"], "2024-01-31");

    let read = app.get(&path, &supervisor.token).await;
    assert_eq!(read.assert_status(200), &body);

    // PUT replaces; the baseline is optional (0, no date).
    let replaced = app
        .put(
            &path,
            &admin.token,
            json!({"eligible_population": 1000, "target_percent": 14.3}),
        )
        .await;
    let replaced = replaced.assert_status(200).clone();
    assert_eq!(replaced["target_activations"], 143);
    assert_eq!(replaced["baseline_activations"], 0);
    assert!(replaced["baseline_date"].is_null());

    app.put(
        &format!("/offices/{}/targets/2023", tree.regency),
        &admin.token,
        json!({"eligible_population": 300_000, "target_percent": 25}),
    )
    .await
    .assert_status(200);
    let list = app
        .get(
            &format!("/offices/{}/targets?limit=1", tree.regency),
            &supervisor.token,
        )
        .await;
    let page = list.assert_status(200).clone();
    assert_eq!(page["items"][0]["year"], 2023);
    let next = page["next_cursor"].as_str().unwrap();
    let list = app
        .get(
            &format!("/offices/{}/targets?limit=1&cursor={next}", tree.regency),
            &supervisor.token,
        )
        .await;
    let page = list.assert_status(200).clone();
    assert_eq!(page["items"][0]["year"], 2024);
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn a_year_without_a_target_answers_404() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    app.get(
        &format!("/offices/{}/targets/2025", tree.regency),
        &app.root_token,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn every_rule_breaking_field_is_named() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let path = format!("/offices/{}/targets/2024", tree.regency);
    let a = app.put(&path, &app.root_token, json!({})).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["eligible_population", "target_percent"]);

    let a = app
        .put(
            &path,
            &app.root_token,
            json!({"eligible_population": 0, "target_percent": 0, "baseline_activations": -1, "baseline_date": "31/01/2024"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "baseline_activations",
            "baseline_date",
            "eligible_population",
            "target_percent"
        ]
    );

    for (body, field) in [
        (
            json!({"eligible_population": -5, "target_percent": 25}),
            "eligible_population",
        ),
        (
            json!({"eligible_population": 5, "target_percent": 100.5}),
            "target_percent",
        ),
        (
            json!({"eligible_population": 5, "target_percent": -1}),
            "target_percent",
        ),
        (
            json!({"eligible_population": 5, "target_percent": 25, "baseline_date": "2025-01-01"}),
            "baseline_date",
        ),
    ] {
        let a = app.put(&path, &app.root_token, body).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), [field]);
    }
    // 100 % is allowed.
    app.put(
        &path,
        &app.root_token,
        json!({"eligible_population": 5, "target_percent": 100}),
    )
    .await
    .assert_status(200);

    for year in ["1999", "2101", "0", "-2024"] {
        let a = app
            .put(
                &format!("/offices/{}/targets/{year}", tree.regency),
                &app.root_token,
                json!({"eligible_population": 10, "target_percent": 25}),
            )
            .await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), ["year"], "{year}");
    }
    app.put(
        &format!("/offices/{}/targets/twenty", tree.regency),
        &app.root_token,
        target(10, 25.0),
    )
    .await
    .assert_problem(400, "malformed_request");
    app.put(
        &path,
        &app.root_token,
        json!({"eligible_population": "many", "target_percent": 25}),
    )
    .await
    .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn setting_a_target_is_audited() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let path = format!("/offices/{}/targets/2024", tree.regency);
    app.put(&path, &app.root_token, target(1000, 25.0))
        .await
        .assert_status(200);
    app.put(&path, &app.root_token, target(2000, 30.0))
        .await
        .assert_status(200);
    let entries = app.audit_entries("target_set").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["office_id"], tree.regency.as_str());
    assert_eq!(entries[0]["detail"]["from"]["eligible_population"], 1000);
    assert_eq!(entries[0]["detail"]["to"]["eligible_population"], 2000);
    assert!(entries[1]["detail"]["from"].is_null());
}
