//! Group commit (`Db::write_grouped`): pieces that share a transaction still succeed or fail
//! on their own, and each answer comes only after the commit.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use jemput::error::AppError;
use jemput::schema::settings;

use crate::helpers::*;

#[tokio::test]
async fn a_failing_piece_rolls_back_alone_and_the_others_are_durable() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let n = 24;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (db, barrier) = (db.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    db.write_grouped_blocking(move |c, _tail| {
                        diesel::insert_into(settings::table)
                            .values((
                                settings::key.eq(format!("group-test-{i}")),
                                settings::value.eq("x"),
                                settings::created_at.eq(jemput::db::now()),
                            ))
                            .execute(c)?;
                        if i % 3 == 0 {
                            // After writing: the savepoint must take the row back.
                            return Err(AppError::NotFound);
                        }
                        Ok(i)
                    })
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            let result = h.join().expect("thread");
            if i % 3 == 0 {
                assert!(
                    matches!(result, Err(AppError::NotFound)),
                    "piece {i}: {result:?}"
                );
            } else {
                assert_eq!(result.ok(), Some(i));
            }
        }
        // Read through a connection of its own: what was answered Ok is committed.
        let fresh = jemput::db::Db::connect(&url, 1).expect("connect");
        let mut conn = fresh.conn().expect("connection");
        let keys: Vec<String> = settings::table
            .filter(settings::key.like("group-test-%"))
            .select(settings::key)
            .load(&mut *conn)
            .expect("load");
        assert_eq!(keys.len(), n - n / 3);
        assert!(keys.iter().all(|k| {
            let i: usize = k.trim_start_matches("group-test-").parse().unwrap_or(0);
            i % 3 != 0
        }));
    })
    .await
    .expect("task");
}
