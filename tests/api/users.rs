//! Users: create, list, read, update, deactivate; usernames, passwords, role rules.

use serde_json::{json, Value};

use crate::helpers::*;

fn new_user(username: &str, role: &str, office_id: &str) -> Value {
    json!({
        "username": username,
        "full_name": "Siti Rahma",
        "password": "kalimantan-selatan-2024",
        "role": role,
        "office_id": office_id,
    })
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_log_in() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let a = app
        .post(
            "/users",
            &admin.token,
            new_user("Siti.Rahma", "field_staff", &tree.regency),
        )
        .await;
    let body = a.assert_status(201).clone();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        a.header("location"),
        Some(format!("/api/v1/users/{id}").as_str())
    );
    assert_eq!(body["username"], "Siti.Rahma");
    assert_eq!(body["full_name"], "Siti Rahma");
    assert_eq!(body["role"], "field_staff");
    assert_eq!(body["office_id"], tree.regency.as_str());
    assert_eq!(body["active"], true);
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "active",
            "created_at",
            "full_name",
            "id",
            "office_id",
            "role",
            "updated_at",
            "username"
        ]
    );
    assert!(!a.text.contains("argon2"), "hash leaked: {}", a.text);

    let me = app.token_for("siti.rahma", "kalimantan-selatan-2024").await;
    let me = app.get("/me", &me).await;
    assert_eq!(me.assert_status(200)["id"], id);

    // Stored as argon2id with the documented parameters.
    let uid = id.to_string();
    let hash = app
        .with_db(move |c| {
            jemput::users::repo::find(c, &uid)
                .unwrap()
                .unwrap()
                .password_hash
        })
        .await;
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test]
async fn usernames_are_unique_without_regard_to_case() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    app.post(
        "/users",
        &app.root_token,
        new_user("siti", "field_staff", &tree.regency),
    )
    .await
    .assert_status(201);
    for name in ["SITI", "Siti", " siti "] {
        app.post(
            "/users",
            &app.root_token,
            new_user(name, "field_staff", &tree.province),
        )
        .await
        .assert_problem(409, "conflict");
    }
    // The root admin's name too.
    app.post(
        "/users",
        &app.root_token,
        new_user("Root", "admin", &tree.province),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn every_missing_or_invalid_field_is_named() {
    let app = spawn_app().await;
    let a = app.post("/users", &app.root_token, json!({})).await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["full_name", "office_id", "password", "role", "username"]
    );

    let a = app
        .post(
            "/users",
            &app.root_token,
            json!({"username": "a b", "full_name": "x".repeat(201), "password": "short", "role": "boss", "office_id": "nope"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["full_name", "office_id", "password", "role", "username"]
    );
    let code_of = |f: &str| {
        a.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == f)
            .unwrap()["code"]
            .clone()
    };
    assert_eq!(code_of("password"), "too_short");
    assert_eq!(code_of("role"), "unknown_value");
}

#[tokio::test]
async fn a_common_password_is_refused_at_any_case() {
    let app = spawn_app().await;
    for pw in ["password123", "Password123", "1234567890", "qwertyuiop"] {
        let mut body = new_user("budi", "field_staff", &app.root_office_id);
        body["password"] = json!(pw);
        let a = app.post("/users", &app.root_token, body).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.json["errors"][0]["code"], "too_common", "{pw}");
    }
}

#[tokio::test]
async fn listing_pages_by_username_with_filters_inside_the_scope() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    for (name, role, office) in [
        ("andi", "field_staff", &tree.regency),
        ("Budi", "field_staff", &tree.regency),
        ("citra", "supervisor", &tree.regency),
        ("dewi", "field_staff", &tree.province),
        ("eko", "field_staff", &tree.other_regency),
    ] {
        app.post("/users", &app.root_token, new_user(name, role, office))
            .await
            .assert_status(201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=2&cursor={c}"),
            None => "/users?limit=2".to_string(),
        };
        let body = app
            .get(&path, &admin.token)
            .await
            .assert_status(200)
            .clone();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // Neither the root admin nor the other province's staff.
    assert_eq!(
        seen,
        [admin.username.as_str(), "andi", "Budi", "citra", "dewi"]
    );

    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    let a = app
        .get(
            &format!("/users?office_id={}&role=field_staff", tree.regency),
            &admin.token,
        )
        .await;
    assert_eq!(names(a.assert_status(200)), ["andi", "Budi"]);
    let a = app.get("/users?role=supervisor", &admin.token).await;
    assert_eq!(names(a.assert_status(200)), ["citra"]);

    let andi = app
        .get("/users?role=field_staff&limit=1", &admin.token)
        .await
        .assert_status(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/users/{andi}"),
        &admin.token,
        json!({"active": false}),
    )
    .await
    .assert_status(200);
    let a = app.get("/users?active=false", &admin.token).await;
    assert_eq!(names(a.assert_status(200)), ["andi"]);

    for (query, field) in [
        ("role=boss", "role"),
        ("office_id=x", "office_id"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
    ] {
        let a = app.get(&format!("/users?{query}"), &admin.token).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), [field]);
    }
    app.get("/users?active=maybe", &admin.token)
        .await
        .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn reading_a_user_never_shows_the_hash() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let supervisor = app.create_user(&tree.province, "supervisor").await;
    let a = app
        .get(&format!("/users/{}", staff.id), &supervisor.token)
        .await;
    let body = a.assert_status(200);
    assert_eq!(body["username"], staff.username.as_str());
    assert!(body.get("password_hash").is_none() && !a.text.contains("argon2"));
    // Field staff read their own account.
    app.get(&format!("/users/{}", staff.id), &staff.token)
        .await
        .assert_status(200);
    app.get(
        &format!("/users/{}", uuid::Uuid::new_v4()),
        &supervisor.token,
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_admin_changes_role_name_and_password_of_a_user_in_scope() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let a = app
        .patch(
            &format!("/users/{}", staff.id),
            &admin.token,
            json!({"role": "supervisor", "full_name": "Siti Rahma, S.Kom"}),
        )
        .await;
    let body = a.assert_status(200);
    assert_eq!(body["role"], "supervisor");
    assert_eq!(body["full_name"], "Siti Rahma, S.Kom");
    // The role change counts on the very next request, with the same token.
    app.get("/users", &staff.token).await.assert_status(200);

    app.patch(
        &format!("/users/{}", staff.id),
        &admin.token,
        json!({"password": "a-brand-new-passphrase"}),
    )
    .await
    .assert_status(200);
    app.login(&staff.username, &staff.password)
        .await
        .assert_problem(401, "unauthorized");
    app.login(&staff.username, "a-brand-new-passphrase")
        .await
        .assert_status(200);

    // Admins may make admins (not above their own role).
    app.patch(
        &format!("/users/{}", staff.id),
        &admin.token,
        json!({"role": "admin"}),
    )
    .await
    .assert_status(200);

    let a = app
        .patch(
            &format!("/users/{}", staff.id),
            &admin.token,
            json!({"role": "king", "full_name": " ", "password": "letmein"}),
        )
        .await;
    a.assert_problem(422, "validation_failed");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["full_name", "password", "role"]);
    app.patch(
        &format!("/users/{}", staff.id),
        &admin.token,
        json!({"username": "x"}),
    )
    .await
    .assert_problem(400, "malformed_request");
    app.patch(
        &format!("/users/{}", staff.id),
        &admin.token,
        json!({"active": "no"}),
    )
    .await
    .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn nobody_changes_their_own_role_or_active_flag() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    for role in ["admin", "supervisor", "field_staff"] {
        let u = app.create_user(&tree.regency, role).await;
        let me = format!("/users/{}", u.id);
        let other = if role == "field_staff" {
            "supervisor"
        } else {
            "field_staff"
        };
        for body in [
            json!({"role": other}),
            json!({"role": other, "full_name": "x"}),
            json!({"active": false}),
        ] {
            app.patch(&me, &u.token, body)
                .await
                .assert_problem(403, "forbidden");
        }
        // Restating one's own current values is no change, so it is allowed.
        app.patch(&me, &u.token, json!({"role": role, "active": true}))
            .await
            .assert_status(200);
        // Nothing changed.
        let read = app.get(&me, &u.token).await;
        assert_eq!(read.assert_status(200)["role"], role);
    }
    // The root admin cannot demote themselves either.
    let root = app.get("/me", &app.root_token).await.assert_status(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/users/{root}"),
        &app.root_token,
        json!({"role": "supervisor"}),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_user_changes_their_own_name_and_password() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let a = app
        .patch(
            &format!("/users/{}", staff.id),
            &staff.token,
            json!({"full_name": "Budi Santoso"}),
        )
        .await;
    assert_eq!(a.assert_status(200)["full_name"], "Budi Santoso");
    app.patch(
        &format!("/users/{}", staff.id),
        &staff.token,
        json!({"password": "my-own-new-passphrase"}),
    )
    .await
    .assert_status(200);
    // Their own token stopped too: log in again with the new password.
    app.get("/me", &staff.token)
        .await
        .assert_problem(401, "unauthorized");
    app.login(&staff.username, "my-own-new-passphrase")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn user_changes_are_audited_without_secrets() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let created = app
        .post(
            "/users",
            &app.root_token,
            new_user("siti", "field_staff", &tree.regency),
        )
        .await;
    let id = created.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.patch(
        &format!("/users/{id}"),
        &app.root_token,
        json!({"role": "supervisor", "password": "another-long-secret-1"}),
    )
    .await
    .assert_status(200);
    app.patch(
        &format!("/users/{id}"),
        &app.root_token,
        json!({"active": false}),
    )
    .await
    .assert_status(200);

    let created = app.audit_entries("user_created").await;
    let entry = created
        .iter()
        .find(|e| e["subject_id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["detail"]["username"], "siti");
    assert_eq!(entry["office_id"], tree.regency.as_str());
    assert_eq!(entry["actor_username"], ROOT_USER);

    let updated = app.audit_entries("user_updated").await;
    assert_eq!(updated.len(), 2);
    assert_eq!(
        updated[0]["detail"]["changes"]["active"],
        json!({"from": true, "to": false})
    );
    assert_eq!(updated[0]["detail"]["tokens_revoked"], true);
    assert_eq!(
        updated[1]["detail"]["changes"]["role"],
        json!({"from": "field_staff", "to": "supervisor"})
    );
    assert_eq!(updated[1]["detail"]["changes"]["password"], "changed");
    let all = app.get("/audit?limit=500", &app.root_token).await;
    for secret in ["kalimantan-selatan-2024", "another-long-secret-1", "argon2"] {
        assert!(!all.text.contains(secret), "{secret} in the audit log");
    }
}
