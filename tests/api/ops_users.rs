//! `jemput users reset-password` and `jemput users list`: the way back in, on the database
//! directly while the server runs, on both backends.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;
use crate::ops_support::jemput;

/// Asks `GET /me` with `token` until it answers 401: a server keeps a logged-in account for
/// up to 2 s, so a change made by another process is felt within that.
async fn until_rejected(app: &TestApp, token: &str) {
    let start = Instant::now();
    loop {
        let a = app.get("/me", token).await;
        if a.status.as_u16() == 401 {
            a.assert_problem(401, "unauthorized");
            return;
        }
        assert_eq!(a.status.as_u16(), 200, "{}", a.text);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the old token still works after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn reset_password_lets_the_admin_in_and_revokes_the_old_tokens() {
    let app = spawn_app().await;
    let admin = app.create_user(&app.root_office_id, "admin").await;
    let (access, refresh) = app.login_tokens(&admin.username, &admin.password).await;
    let url = app.database_url.clone();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("JEMPUT_NEW_PASSWORD", "a brand new passphrase"),
    ];

    // The username in another case: logins ignore case, so does the reset.
    let run = jemput(
        &["users", "reset-password", &admin.username.to_uppercase()],
        &env,
    )
    .await;
    let out = run.assert_ok();
    assert!(out.contains(&admin.username), "{out}");
    assert!(
        !out.contains("a brand new passphrase"),
        "a given password is not echoed: {out}"
    );

    until_rejected(&app, &access).await;
    app.refresh(&refresh)
        .await
        .assert_problem(401, "unauthorized");
    app.login(&admin.username, &admin.password)
        .await
        .assert_problem(401, "unauthorized");
    let token = app
        .token_for(&admin.username, "a brand new passphrase")
        .await;
    app.get("/me", &token).await.assert_status(200);

    // Audited as the operator's change, with the tokens revoked and no password in it.
    let entries = app.audit_entries("user_updated").await;
    let entry = entries
        .iter()
        .find(|e| e["subject_id"] == json!(admin.id))
        .expect("an audit entry for the reset");
    assert_eq!(entry["detail"]["changes"]["password"], json!("changed"));
    assert_eq!(entry["detail"]["tokens_revoked"], json!(true));
    assert_eq!(entry["detail"]["via"], json!("jemput users reset-password"));
    assert!(entry["actor_id"].is_null(), "{entry}");
    assert!(!entry.to_string().contains("brand new"), "{entry}");
}

#[tokio::test]
async fn reset_password_without_a_given_one_prints_a_generated_password_once() {
    let app = spawn_app().await;
    let url = app.database_url.clone();
    let run = jemput(
        &["users", "reset-password", ROOT_USER],
        &[("DATABASE_URL", url.as_str())],
    )
    .await;
    let out = run.assert_ok();
    let password = out
        .lines()
        .find_map(|l| {
            l.split_once("(shown only this once): ")
                .map(|(_, p)| p.trim())
        })
        .expect("the generated password is printed");
    assert!(password.len() >= 20, "{password}");
    app.login(ROOT_USER, ROOT_PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
    app.token_for(ROOT_USER, password).await;
}

#[tokio::test]
async fn reset_password_unlocks_a_throttled_admin() {
    let app = spawn_app().await;
    for _ in 0..10 {
        app.login(ROOT_USER, "not the password at all").await;
    }
    app.login(ROOT_USER, ROOT_PASSWORD)
        .await
        .assert_problem(429, "rate_limited");
    let url = app.database_url.clone();
    jemput(
        &["users", "reset-password", ROOT_USER],
        &[
            ("DATABASE_URL", url.as_str()),
            ("JEMPUT_NEW_PASSWORD", "back in after the lock"),
        ],
    )
    .await
    .assert_ok();
    app.token_for(ROOT_USER, "back in after the lock").await;
}

#[tokio::test]
async fn reset_password_refuses_unknown_accounts_and_weak_passwords_and_changes_nothing() {
    let app = spawn_app().await;
    let (access, _) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let url = app.database_url.clone();
    jemput(
        &["users", "reset-password", "nobody.here"],
        &[
            ("DATABASE_URL", url.as_str()),
            ("JEMPUT_NEW_PASSWORD", "a long enough passphrase"),
        ],
    )
    .await
    .assert_refused("no account named");
    jemput(
        &["users", "reset-password", ROOT_USER],
        &[
            ("DATABASE_URL", url.as_str()),
            ("JEMPUT_NEW_PASSWORD", "short"),
        ],
    )
    .await
    .assert_refused("JEMPUT_NEW_PASSWORD");
    jemput(
        &["users", "reset-password", ROOT_USER],
        &[
            ("DATABASE_URL", url.as_str()),
            ("JEMPUT_NEW_PASSWORD", "password123"),
        ],
    )
    .await
    .assert_refused("JEMPUT_NEW_PASSWORD");
    // Nothing changed: the old password and token still work, no audit entry was written.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.get("/me", &access).await.assert_status(200);
    app.token_for(ROOT_USER, ROOT_PASSWORD).await;
    assert!(app.audit_entries("user_updated").await.is_empty());
}

#[tokio::test]
async fn users_list_shows_who_can_administer() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let admin = app.create_user(&tree.province, "admin").await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let url = app.database_url.clone();
    let env = [("DATABASE_URL", url.as_str())];

    let admins = jemput(&["users", "list", "--role", "admin"], &env).await;
    let out = admins.assert_ok();
    assert!(out.contains(ROOT_USER), "{out}");
    assert!(out.contains(&admin.username) && out.contains("63"), "{out}");
    assert!(!out.contains(&staff.username), "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");

    let all = jemput(&["users", "list"], &env).await;
    assert!(all.assert_ok().contains(&staff.username));

    // A deactivated account says so.
    app.patch(
        &format!("/users/{}", admin.id),
        &app.root_token,
        json!({"active": false}),
    )
    .await
    .assert_status(200);
    let admins = jemput(&["users", "list", "--role", "admin"], &env).await;
    assert!(admins.assert_ok().contains("(deactivated)"));

    jemput(&["users", "list", "--role", "owner"], &env)
        .await
        .assert_refused("--role");
}

#[tokio::test]
async fn users_commands_refuse_a_missing_sqlite_database_without_creating_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("nothing-here");
    let data_s = data.to_string_lossy().to_string();
    jemput(&["--data-dir", &data_s, "users", "list"], &[])
        .await
        .assert_refused("there is no database");
    assert!(!data.join("jemput.db").exists());
}
