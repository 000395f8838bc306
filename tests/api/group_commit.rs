//! Group commit (`Db::write_grouped`): pieces that share a transaction still succeed or fail
//! on their own, and each answer comes only after the commit.

use diesel::prelude::*;
use jemput::db::{DbConn, Tail};
use jemput::error::AppError;
use jemput::schema::settings;

use crate::helpers::*;

fn put(c: &mut DbConn, key: String) -> Result<(), AppError> {
    diesel::insert_into(settings::table)
        .values((
            settings::key.eq(key),
            settings::value.eq("x"),
            settings::created_at.eq(jemput::db::now()),
        ))
        .execute(c)?;
    Ok(())
}

/// Runs the pieces through `write_grouped` all at once (every one is queued before any
/// answer comes, so they share groups), and returns their answers in order.
async fn run_together<F>(app: &TestApp, pieces: Vec<F>) -> Vec<Result<usize, AppError>>
where
    F: FnOnce(&mut DbConn, &mut Tail) -> Result<usize, AppError> + Send + 'static,
{
    futures_util::future::join_all(pieces.into_iter().map(|f| app.db.write_grouped(f))).await
}

/// The keys stored under `prefix`, read through a connection of its own: what was answered
/// Ok is committed.
async fn stored_keys(app: &TestApp, prefix: &str) -> Vec<String> {
    let (url, pattern) = (app.database_url.clone(), format!("{prefix}%"));
    tokio::task::spawn_blocking(move || {
        let fresh = jemput::db::Db::connect(&url, 1).expect("connect");
        let mut conn = fresh.conn().expect("connection");
        settings::table
            .filter(settings::key.like(pattern))
            .select(settings::key)
            .order(settings::key)
            .load(&mut **conn)
            .expect("load")
    })
    .await
    .expect("task")
}

#[tokio::test]
async fn a_failing_piece_rolls_back_alone_and_the_others_are_durable() {
    let app = spawn_app().await;
    let n = 24;
    let pieces: Vec<_> = (0..n)
        .map(|i| {
            move |c: &mut DbConn, _tail: &mut Tail| {
                put(c, format!("group-test-{i}"))?;
                if i % 3 == 0 {
                    // After writing: the savepoint must take the row back.
                    return Err(AppError::NotFound);
                }
                Ok(i)
            }
        })
        .collect();
    for (i, result) in run_together(&app, pieces).await.into_iter().enumerate() {
        if i % 3 == 0 {
            assert!(
                matches!(result, Err(AppError::NotFound)),
                "piece {i}: {result:?}"
            );
        } else {
            assert_eq!(result.ok(), Some(i));
        }
    }
    let keys = stored_keys(&app, "group-test-").await;
    assert_eq!(keys.len(), n - n / 3);
    assert!(keys.iter().all(|k| {
        let i: usize = k.trim_start_matches("group-test-").parse().unwrap_or(0);
        i % 3 != 0
    }));
}

#[tokio::test]
async fn a_panicking_piece_answers_500_and_the_others_are_durable() {
    let app = spawn_app().await;
    let pieces: Vec<_> = (0..3)
        .map(|i| {
            move |c: &mut DbConn, _tail: &mut Tail| {
                put(c, format!("group-panic-{i}"))?;
                if i == 1 {
                    panic!("a piece panics after writing");
                }
                Ok(i)
            }
        })
        .collect();
    let results = run_together(&app, pieces).await;
    assert_eq!(results[0].as_ref().ok(), Some(&0));
    assert!(
        matches!(results[1], Err(AppError::Internal(_))),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2].as_ref().ok(), Some(&2));
    assert_eq!(
        stored_keys(&app, "group-panic-").await,
        vec!["group-panic-0", "group-panic-2"]
    );
}
