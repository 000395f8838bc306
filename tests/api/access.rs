//! Scope and roles, endpoint by endpoint: another office's id answers 404 exactly like a
//! missing one, and field staff (and supervisors, for admin work) get 403.

use serde_json::{json, Value};

use crate::helpers::*;

/// Staff of the province 63 (each role) and of its regency, and the tree around them.
struct Cast {
    app: TestApp,
    tree: OfficeTree,
    admin: TestUser,
    supervisor: TestUser,
    staff: TestUser,
    /// Field staff of the regency under the province.
    regency_staff: TestUser,
    /// A user of the other province.
    stranger: TestUser,
}

async fn cast() -> Cast {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let supervisor = app.create_user(&tree.province, "supervisor").await;
    let staff = app.create_user(&tree.province, "field_staff").await;
    let regency_staff = app.create_user(&tree.regency, "field_staff").await;
    let stranger = app.create_user(&tree.other_regency, "field_staff").await;
    Cast {
        app,
        tree,
        admin,
        supervisor,
        staff,
        regency_staff,
        stranger,
    }
}

fn office_body(code: &str, parent: &str) -> Value {
    json!({"code": code, "name": "Kantor", "level": "regency", "parent_id": parent, "timezone": "Asia/Makassar"})
}

fn user_body(office: &str) -> Value {
    json!({"username": format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..8]), "full_name": "Nama", "password": "a-long-enough-passphrase", "role": "field_staff", "office_id": office})
}

fn target_body() -> Value {
    json!({"eligible_population": 1000, "target_percent": 25})
}

/// The same 404 body for a missing id and an out-of-scope one.
#[track_caller]
fn assert_same_404(out_of_scope: &Answer, missing: &Answer) {
    out_of_scope.assert_problem(404, "not_found");
    missing.assert_problem(404, "not_found");
    assert_eq!(out_of_scope.json["detail"], missing.json["detail"]);
    assert_eq!(out_of_scope.json["title"], missing.json["title"]);
}

#[tokio::test]
async fn offices_of_another_province_answer_404_to_everyone_there() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    let missing = uuid::Uuid::new_v4().to_string();
    for u in [&c.admin, &c.supervisor, &c.staff] {
        for other in [&t.other_province, &t.other_regency, &app.root_office_id] {
            let a = app.get(&format!("/offices/{other}"), &u.token).await;
            let m = app.get(&format!("/offices/{missing}"), &u.token).await;
            assert_same_404(&a, &m);
            app.get(&format!("/offices?parent_id={other}"), &u.token)
                .await
                .assert_problem(404, "not_found");
            app.patch(&format!("/offices/{other}"), &u.token, json!({"name": "x"}))
                .await
                .assert_problem(404, "not_found");
            app.put(
                &format!("/offices/{other}/targets/2024"),
                &u.token,
                target_body(),
            )
            .await
            .assert_problem(404, "not_found");
            app.get(&format!("/offices/{other}/targets/2024"), &u.token)
                .await
                .assert_problem(404, "not_found");
            app.get(&format!("/offices/{other}/targets"), &u.token)
                .await
                .assert_problem(404, "not_found");
        }
    }
    // Creating under another office, as the admin who could create under their own.
    app.post(
        "/offices",
        &c.admin.token,
        office_body("33.01", &t.other_province),
    )
    .await
    .assert_problem(404, "not_found");
    app.post("/offices", &c.admin.token, office_body("63.09", &missing))
        .await
        .assert_problem(404, "not_found");
    // Nothing was written anywhere.
    app.get(
        &format!("/offices/{}/targets", t.other_regency),
        &app.root_token,
    )
    .await
    .assert_status(200);
    let other = app
        .get(&format!("/offices/{}", t.other_regency), &app.root_token)
        .await;
    assert_eq!(other.assert_status(200)["name"], "Office 33.28");
}

#[tokio::test]
async fn a_scope_reaches_down_never_up_or_sideways() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    // Down: the province staff see the regency.
    app.get(&format!("/offices/{}", t.regency), &c.staff.token)
        .await
        .assert_status(200);
    // The regency's staff see their office, not the province above it.
    app.get(&format!("/offices/{}", t.regency), &c.regency_staff.token)
        .await
        .assert_status(200);
    app.get(&format!("/offices/{}", t.province), &c.regency_staff.token)
        .await
        .assert_problem(404, "not_found");
    let list = app.get("/offices", &c.regency_staff.token).await;
    let items = list.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], t.regency.as_str());
    // The root reaches everything.
    for o in [&t.province, &t.regency, &t.other_province, &t.other_regency] {
        app.get(&format!("/offices/{o}"), &app.root_token)
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn field_staff_and_supervisors_cannot_do_an_admins_office_work() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    for u in [&c.supervisor, &c.staff, &c.regency_staff] {
        app.post("/offices", &u.token, office_body("63.09", &t.province))
            .await
            .assert_problem(403, "forbidden");
        app.patch(
            &format!("/offices/{}", t.regency),
            &u.token,
            json!({"name": "x"}),
        )
        .await
        .assert_problem(403, "forbidden");
        app.put(
            &format!("/offices/{}/targets/2024", t.regency),
            &u.token,
            target_body(),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    // Even an invalid body answers 403 to them: the role is checked first.
    app.post("/offices", &c.staff.token, json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Reading offices is for everyone in scope.
    app.get(&format!("/offices/{}", t.regency), &c.staff.token)
        .await
        .assert_status(200);
    app.get("/offices", &c.staff.token).await.assert_status(200);
}

/// Field staff read their own office's targets, as its progress report shows them the same
/// figures; another office's (even one below theirs) is as absent as in the reports.
#[tokio::test]
async fn field_staff_read_targets_exactly_where_they_read_progress() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    app.put(
        &format!("/offices/{}/targets/2024", t.regency),
        &c.admin.token,
        target_body(),
    )
    .await
    .assert_status(200);
    let progress = format!("/reports/progress?office_id={}&year=2024", t.regency);
    let own = app
        .get(
            &format!("/offices/{}/targets/2024", t.regency),
            &c.regency_staff.token,
        )
        .await;
    let report = app.get(&progress, &c.regency_staff.token).await;
    assert_eq!(
        own.assert_status(200)["eligible_population"],
        report.assert_status(200)["eligible_population"]
    );
    let listed = app
        .get(
            &format!("/offices/{}/targets", t.regency),
            &c.regency_staff.token,
        )
        .await;
    assert_eq!(
        listed.assert_status(200)["items"].as_array().map(Vec::len),
        Some(1)
    );
    // The province's field staff: the regency below is neither in their reports nor targets.
    app.get(&progress, &c.staff.token)
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/offices/{}/targets/2024", t.regency),
        &c.staff.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/offices/{}/targets", t.regency), &c.staff.token)
        .await
        .assert_problem(404, "not_found");
    // Setting one stays an admin's.
    app.put(
        &format!("/offices/{}/targets/2024", t.regency),
        &c.regency_staff.token,
        target_body(),
    )
    .await
    .assert_problem(403, "forbidden");
    app.get(
        &format!("/offices/{}/targets/2024", t.regency),
        &c.supervisor.token,
    )
    .await
    .assert_status(200);
    app.get(
        &format!("/offices/{}/targets", t.regency),
        &c.supervisor.token,
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn users_of_another_province_answer_404_to_everyone_there() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    let missing = uuid::Uuid::new_v4().to_string();
    let root_id = app.get("/me", &app.root_token).await.assert_status(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    for u in [&c.admin, &c.supervisor, &c.staff] {
        for other in [&c.stranger.id, &root_id] {
            let a = app.get(&format!("/users/{other}"), &u.token).await;
            let m = app.get(&format!("/users/{missing}"), &u.token).await;
            assert_same_404(&a, &m);
            let a = app
                .patch(
                    &format!("/users/{other}"),
                    &u.token,
                    json!({"active": false}),
                )
                .await;
            let m = app
                .patch(
                    &format!("/users/{missing}"),
                    &u.token,
                    json!({"active": false}),
                )
                .await;
            assert_same_404(&a, &m);
        }
    }
    app.post("/users", &c.admin.token, user_body(&t.other_regency))
        .await
        .assert_problem(404, "not_found");
    app.post("/users", &c.admin.token, user_body(&missing))
        .await
        .assert_problem(404, "not_found");
    app.get(
        &format!("/users?office_id={}", t.other_regency),
        &c.supervisor.token,
    )
    .await
    .assert_problem(404, "not_found");
    // The stranger is untouched and still logged in.
    app.get("/me", &c.stranger.token).await.assert_status(200);
}

#[tokio::test]
async fn field_staff_cannot_do_a_supervisors_or_admins_user_work() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    // Field staff: no listing, no reading colleagues, no writes.
    for u in [&c.staff, &c.regency_staff] {
        app.get("/users", &u.token)
            .await
            .assert_problem(403, "forbidden");
        app.post("/users", &u.token, user_body(&t.regency))
            .await
            .assert_problem(403, "forbidden");
    }
    // Reading a colleague in scope is a supervisor's work; one above the scope is 404.
    app.get(&format!("/users/{}", c.supervisor.id), &c.staff.token)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/users/{}", c.regency_staff.id), &c.staff.token)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/users/{}", c.staff.id), &c.regency_staff.token)
        .await
        .assert_problem(404, "not_found");
    app.patch(
        &format!("/users/{}", c.regency_staff.id),
        &c.staff.token,
        json!({"full_name": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Supervisors read but do not write.
    app.get("/users", &c.supervisor.token)
        .await
        .assert_status(200);
    app.get(&format!("/users/{}", c.staff.id), &c.supervisor.token)
        .await
        .assert_status(200);
    app.post("/users", &c.supervisor.token, user_body(&t.regency))
        .await
        .assert_problem(403, "forbidden");
    for body in [
        json!({"active": false}),
        json!({"role": "admin"}),
        json!({"password": "a-new-long-passphrase"}),
        json!({"full_name": "x"}),
    ] {
        app.patch(&format!("/users/{}", c.staff.id), &c.supervisor.token, body)
            .await
            .assert_problem(403, "forbidden");
    }
    // A supervisor cannot hand anyone (themselves included) the admin role.
    app.patch(
        &format!("/users/{}", c.supervisor.id),
        &c.supervisor.token,
        json!({"role": "admin"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Nothing changed.
    let staff = app
        .get(&format!("/users/{}", c.staff.id), &c.admin.token)
        .await;
    let staff = staff.assert_status(200);
    assert_eq!(staff["active"], true);
    assert_eq!(staff["full_name"], "Test User");
}

#[tokio::test]
async fn only_admins_read_the_audit_log_and_only_in_scope() {
    let c = cast().await;
    let (app, t) = (&c.app, &c.tree);
    for u in [&c.supervisor, &c.staff] {
        app.get("/audit", &u.token)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(
        &format!("/audit?office_id={}", t.other_regency),
        &c.admin.token,
    )
    .await
    .assert_problem(404, "not_found");
    let mine = app.get("/audit?limit=500", &c.admin.token).await;
    let items = mine.assert_status(200)["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    // The stranger's login (other province) and the root's login are not in it.
    for e in &items {
        assert_ne!(e["office_id"], t.other_regency.as_str(), "{e}");
        assert_ne!(e["office_id"], app.root_office_id.as_str(), "{e}");
        assert!(!e["office_id"].is_null(), "{e}");
    }
    assert!(items
        .iter()
        .any(|e| e["actor_id"] == c.regency_staff.id.as_str()));
}
