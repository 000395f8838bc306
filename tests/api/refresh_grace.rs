//! The refresh grace window (contract, Auth): a spent refresh token presented again within
//! 60 s of its first use, while its successor is unused, answers the same successor pair;
//! any other reuse answers 401 and revokes the whole login.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use jemput::schema::refresh_tokens as rt;

use crate::helpers::*;

fn tokens(body: &serde_json::Value) -> (String, String) {
    (
        body["access_token"].as_str().unwrap_or("").to_string(),
        body["refresh_token"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_lost_refresh_answer_is_answered_again_with_the_same_pair() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let first = tokens(app.refresh(&r1).await.assert_status(200));
    assert_ne!(first.1, r1);

    // The phone never saw that answer and sends r1 again, twice: the same pair each time.
    for _ in 0..2 {
        let again = app.refresh(&r1).await;
        assert_eq!(tokens(again.assert_status(200)), first);
        assert_eq!(again.json["token_type"], "Bearer");
    }
    // The pair works: the access token reads /me, the refresh token rotates once more.
    app.get("/me", &first.0).await.assert_status(200);
    let next = tokens(app.refresh(&first.1).await.assert_status(200));
    app.get("/me", &next.0).await.assert_status(200);
    assert!(app.audit_entries("refresh_token_reuse").await.is_empty());
}

#[tokio::test]
async fn two_refreshes_at_once_both_get_the_same_pair() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let (a, b) = tokio::join!(app.refresh(&r1), app.refresh(&r1));
    let (a, b) = (tokens(a.assert_status(200)), tokens(b.assert_status(200)));
    assert_eq!(a, b);
    app.get("/me", &a.0).await.assert_status(200);
    app.refresh(&a.1).await.assert_status(200);
}

#[tokio::test]
async fn a_spent_token_whose_successor_was_used_revokes_the_login() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let (_, r2) = tokens(app.refresh(&r1).await.assert_status(200));
    let (a3, r3) = tokens(app.refresh(&r2).await.assert_status(200));

    // r1's successor r2 is used: r1 again is a real reuse, within the 60 s or not.
    app.refresh(&r1).await.assert_problem(401, "unauthorized");
    // The whole login is gone: the newest refresh token and its access token alike.
    app.refresh(&r3).await.assert_problem(401, "unauthorized");
    app.get("/me", &a3)
        .await
        .assert_problem(401, "unauthorized");
    assert!(!app.audit_entries("refresh_token_reuse").await.is_empty());
}

#[tokio::test]
async fn a_spent_token_presented_after_the_window_revokes_the_login() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let (a2, r2) = tokens(app.refresh(&r1).await.assert_status(200));

    // r1 was first used 61 s ago (moved in the database rather than waited for).
    let moved = app
        .with_db(|c| {
            let past = Utc::now().naive_utc() - Duration::seconds(61);
            diesel::update(rt::table.filter(rt::used_at.is_not_null()))
                .set(rt::used_at.eq(Some(past)))
                .execute(c)
        })
        .await
        .expect("backdate");
    assert_eq!(moved, 1);

    app.refresh(&r1).await.assert_problem(401, "unauthorized");
    // Its unused successor is revoked with it.
    app.refresh(&r2).await.assert_problem(401, "unauthorized");
    app.get("/me", &a2)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_logged_out_token_gets_no_grace() {
    let app = spawn_app().await;
    let (_, r1) = app.login_tokens(ROOT_USER, ROOT_PASSWORD).await;
    let (a2, r2) = tokens(app.refresh(&r1).await.assert_status(200));
    app.post(
        "/auth/logout",
        &a2,
        serde_json::json!({ "refresh_token": r2 }),
    )
    .await
    .assert_status(204);
    app.refresh(&r1).await.assert_problem(401, "unauthorized");
}
