//! Login throttling: per username and per client address, 429 with Retry-After, state in
//! the database (shared by every server on it), successes never counted.

use diesel::prelude::*;
use jemput::schema::login_throttle as lt;
use serde_json::json;

use crate::helpers::*;

const PER_USERNAME: usize = 10;
const PER_ADDRESS: usize = 100;

#[track_caller]
fn assert_throttled(a: &Answer, max_secs: u64) {
    a.assert_problem(429, "rate_limited");
    let retry: u64 = a
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=max_secs).contains(&retry), "Retry-After {retry}");
}

#[tokio::test]
async fn ten_failures_lock_a_username_for_fifteen_minutes() {
    let app = spawn_app().await;
    for _ in 0..PER_USERNAME {
        app.login(ROOT_USER, "wrong-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    // Locked: even the right password answers 429, with any case of the name.
    let a = app.login(ROOT_USER, ROOT_PASSWORD).await;
    assert_throttled(&a, 15 * 60 + 1);
    assert_throttled(&app.login("ROOT", ROOT_PASSWORD).await, 15 * 60 + 1);
    assert_eq!(
        a.json["detail"],
        format!("Try again in {} seconds.", a.header("retry-after").unwrap())
    );
    // Other usernames from the same address are not locked.
    let tree = app.office_tree().await;
    app.create_user(&tree.province, "field_staff").await;
    // Tokens already issued keep working.
    app.get("/me", &app.root_token).await.assert_status(200);
}

#[tokio::test]
async fn failures_count_per_username_without_regard_to_case() {
    let app = spawn_app().await;
    for i in 0..PER_USERNAME {
        let name = if i % 2 == 0 { "Root" } else { " ROOT " };
        app.login(name, "wrong-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_throttled(&app.login(ROOT_USER, ROOT_PASSWORD).await, 15 * 60 + 1);
}

#[tokio::test]
async fn unknown_usernames_are_throttled_like_known_ones() {
    let app = spawn_app().await;
    for _ in 0..PER_USERNAME {
        app.login("nobody", "wrong-password")
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_throttled(&app.login("nobody", "wrong-password").await, 15 * 60 + 1);
}

#[tokio::test]
async fn successful_logins_never_count() {
    let app = spawn_app().await;
    for _ in 0..(PER_USERNAME * 3) {
        app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
    }
    // A success also forgets earlier failures of that username.
    for _ in 0..PER_USERNAME - 1 {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
    for _ in 0..PER_USERNAME - 1 {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn a_hundred_failures_lock_the_client_address_for_five_minutes() {
    let app = spawn_app().await;
    // Nine failures for each of a dozen names: no username reaches its limit.
    let mut n = 0;
    'outer: for name in 0.. {
        for _ in 0..PER_USERNAME - 1 {
            app.login(&format!("guess{name}"), "wrong")
                .await
                .assert_problem(401, "unauthorized");
            n += 1;
            if n == PER_ADDRESS {
                break 'outer;
            }
        }
    }
    // The address is locked for every name, the right password included.
    let a = app.login(ROOT_USER, ROOT_PASSWORD).await;
    assert_throttled(&a, 5 * 60 + 1);
    assert_throttled(&app.login("someone-else", "x").await, 5 * 60 + 1);
}

#[tokio::test]
async fn the_lock_lifts_when_its_time_is_up() {
    let app = spawn_app().await;
    for _ in 0..PER_USERNAME {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(429);
    // Sixteen minutes pass.
    app.with_db(|c| {
        let past = jemput::db::now() - chrono::Duration::minutes(16);
        diesel::update(lt::table)
            .set((lt::locked_until.eq(Some(past)), lt::window_start.eq(past)))
            .execute(c)
            .expect("move time");
    })
    .await;
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn failures_older_than_the_window_are_forgotten() {
    let app = spawn_app().await;
    for _ in 0..PER_USERNAME - 1 {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    app.with_db(|c| {
        let past = jemput::db::now() - chrono::Duration::minutes(16);
        diesel::update(lt::table)
            .set(lt::window_start.eq(past))
            .execute(c)
            .expect("move time");
    })
    .await;
    // A new window starts: nine more failures still do not lock.
    for _ in 0..PER_USERNAME - 1 {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn the_throttle_holds_across_servers_on_one_database() {
    let app = spawn_app().await;
    let peer = app.spawn_peer().await;
    for _ in 0..PER_USERNAME {
        app.login(ROOT_USER, "wrong").await.assert_status(401);
    }
    let a = app
        .send(
            app.client
                .post(format!("{peer}/api/v1/auth/login"))
                .json(&json!({"username": ROOT_USER, "password": ROOT_PASSWORD})),
        )
        .await;
    assert_throttled(&a, 15 * 60 + 1);
    let rows: i64 = app
        .with_db(|c| lt::table.count().get_result(c).expect("count"))
        .await;
    assert_eq!(rows, 2, "one row for the username, one for the address");
}

#[tokio::test]
async fn failed_and_successful_logins_are_audited() {
    let app = spawn_app().await;
    app.login(ROOT_USER, "wrong").await.assert_status(401);
    app.login("nobody", "wrong").await.assert_status(401);
    let failed = app.audit_entries("login_failed").await;
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["detail"]["username"], "nobody");
    assert!(failed[0]["office_id"].is_null());
    assert_eq!(failed[1]["detail"]["username"], ROOT_USER);
    assert_eq!(failed[1]["office_id"], app.root_office_id.as_str());
    assert_eq!(failed[1]["client_addr"], "127.0.0.1");
    assert!(failed.iter().all(|e| !e.to_string().contains("wrong")));
    let ok = app.audit_entries("login").await;
    assert!(!ok.is_empty());
    assert_eq!(ok[0]["actor_username"], ROOT_USER);
}

#[tokio::test]
async fn a_failure_after_a_lock_ran_out_inside_the_window_locks_again() {
    let app = spawn_app().await;
    let mut n = 0;
    'outer: for name in 0.. {
        for _ in 0..PER_USERNAME - 1 {
            app.login(&format!("guess{name}"), "wrong")
                .await
                .assert_status(401);
            n += 1;
            if n == PER_ADDRESS {
                break 'outer;
            }
        }
    }
    app.login(ROOT_USER, ROOT_PASSWORD).await.assert_status(429);
    // The five-minute address lock runs out; the fifteen-minute window has not.
    app.with_db(|c| {
        let past = jemput::db::now() - chrono::Duration::seconds(1);
        diesel::update(lt::table.filter(lt::throttle_key.like("addr:%")))
            .set(lt::locked_until.eq(Some(past)))
            .execute(c)
            .expect("move time");
    })
    .await;
    app.login("one-more-guess", "wrong")
        .await
        .assert_status(401);
    assert_throttled(&app.login(ROOT_USER, ROOT_PASSWORD).await, 5 * 60 + 1);
}

#[tokio::test]
async fn pruning_forgets_only_finished_windows() {
    let app = spawn_app().await;
    app.login("old-guess", "wrong").await.assert_status(401);
    for _ in 0..PER_USERNAME {
        app.login("locked-name", "wrong").await.assert_status(401);
    }
    let pruned = app
        .with_db(|c| {
            let past = jemput::db::now() - chrono::Duration::minutes(20);
            // Every window is old; the locked name's lock still runs.
            diesel::update(lt::table)
                .set(lt::window_start.eq(past))
                .execute(c)
                .expect("move time");
            jemput::auth::throttle::prune(c, jemput::db::now()).expect("prune")
        })
        .await;
    assert_eq!(pruned, 2, "the old guess and the address");
    assert_throttled(&app.login("locked-name", "x").await, 15 * 60 + 1);
}
