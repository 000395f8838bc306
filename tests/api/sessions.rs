//! Every token of an account stops on the very next request when it is deactivated or its
//! password changes; signing keys rotate without logging anyone out.

use diesel::prelude::*;
use jemput::schema::{refresh_tokens as rt, users};
use serde_json::json;

use crate::helpers::*;

/// `(auth_epoch, live refresh tokens)` of a user, straight from the database.
async fn session_state(app: &TestApp, user_id: &str) -> (i32, i64) {
    let id = user_id.to_string();
    app.with_db(move |c| {
        let epoch: i32 = users::table
            .find(&id)
            .select(users::auth_epoch)
            .first(c)
            .expect("user");
        let live: i64 = rt::table
            .filter(rt::user_id.eq(&id))
            .filter(rt::revoked_at.is_null())
            .filter(rt::used_at.is_null())
            .count()
            .get_result(c)
            .expect("count");
        (epoch, live)
    })
    .await
}

#[tokio::test]
async fn deactivation_stops_every_token_at_once() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    // Two logins (a phone and a laptop).
    let (phone_access, phone_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    let (laptop_access, laptop_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    app.get("/me", &phone_access).await.assert_status(200);
    assert_eq!(session_state(&app, &staff.id).await, (0, 3));

    let a = app
        .patch(
            &format!("/users/{}", staff.id),
            &app.root_token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(a.assert_status(200)["active"], false);

    for token in [&staff.token, &phone_access, &laptop_access] {
        app.get("/me", token)
            .await
            .assert_problem(401, "unauthorized");
    }
    for refresh in [&phone_refresh, &laptop_refresh] {
        app.refresh(refresh)
            .await
            .assert_problem(401, "unauthorized");
    }
    app.login(&staff.username, &staff.password)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(session_state(&app, &staff.id).await, (1, 0));

    // Reactivated: a fresh login works, the old tokens stay dead.
    app.patch(
        &format!("/users/{}", staff.id),
        &app.root_token,
        json!({"active": true}),
    )
    .await
    .assert_status(200);
    let fresh = app.token_for(&staff.username, &staff.password).await;
    app.get("/me", &fresh).await.assert_status(200);
    app.get("/me", &phone_access)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_password_change_stops_every_token_at_once() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "supervisor").await;
    let (access, refresh) = app.login_tokens(&staff.username, &staff.password).await;
    app.patch(
        &format!("/users/{}", staff.id),
        &app.root_token,
        json!({"password": "reset-by-the-admin-2024"}),
    )
    .await
    .assert_status(200);
    app.get("/me", &access)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/users", &staff.token)
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&refresh)
        .await
        .assert_problem(401, "unauthorized");
    let (epoch, live) = session_state(&app, &staff.id).await;
    assert_eq!((epoch, live), (1, 0));
    app.login(&staff.username, "reset-by-the-admin-2024")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn other_changes_leave_sessions_alone() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let (_, refresh) = app.login_tokens(&staff.username, &staff.password).await;
    app.patch(
        &format!("/users/{}", staff.id),
        &app.root_token,
        json!({"full_name": "Siti", "role": "supervisor"}),
    )
    .await
    .assert_status(200);
    let me = app.get("/me", &staff.token).await;
    assert_eq!(me.assert_status(200)["role"], "supervisor");
    app.refresh(&refresh).await.assert_status(200);
    assert_eq!(session_state(&app, &staff.id).await.0, 0);
}

#[tokio::test]
async fn rotating_the_signing_key_logs_nobody_out() {
    let app = spawn_app().await;
    let (old_access, old_refresh) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let old_kid = kid(&old_access);

    // `jemput keys rotate` against the running installation's database.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jemput"))
        .args(["keys", "rotate"])
        .env("DATABASE_URL", &app.database_url)
        .env("JEMPUT_LOG", "warn")
        .output()
        .expect("run jemput keys rotate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let new_kid = stdout
        .split_whitespace()
        .nth(4)
        .map(|k| k.trim_end_matches(';').to_string())
        .expect("new key id");
    assert_ne!(new_kid, old_kid, "{stdout}");

    // Old access and refresh tokens keep working.
    app.get("/me", &old_access).await.assert_status(200);
    // A token signed with the new key (by another server that already reloaded) is
    // accepted: an unknown kid makes this server reload its keys.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let stored = app
        .with_db(|c| jemput::auth::keys::load_or_create(c).expect("keys"))
        .await;
    assert_eq!(stored.current, new_kid);
    let fresh_ring = jemput::auth::keys::KeyRing::new(&stored).expect("ring");
    let token = fresh_ring
        .with_signing(|kid, key| {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some(kid.to_string());
            header.typ = Some("at+jwt".into());
            let claims = claims_of(&old_access);
            jsonwebtoken::encode(&header, &claims, key).expect("encode")
        })
        .expect("sign");
    app.get("/me", &token).await.assert_status(200);
    // Having reloaded, the server now signs with the new key; old tokens still pass.
    let refreshed = app.refresh(&old_refresh).await;
    let new_access = refreshed.assert_status(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(kid(&new_access), new_kid);
    app.get("/me", &new_access).await.assert_status(200);
    app.get("/me", &old_access).await.assert_status(200);
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid")
}

fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap_or("");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

#[tokio::test]
async fn logging_out_with_someone_elses_refresh_token_revokes_nothing() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let (_, victim_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    let other = app.create_user(&tree.regency, "field_staff").await;
    let out = app
        .post(
            "/auth/logout",
            &other.token,
            json!({"refresh_token": victim_refresh}),
        )
        .await;
    assert_eq!(out.status, 204);
    app.refresh(&victim_refresh).await.assert_status(200);
}
