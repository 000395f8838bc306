//! The offline sync of activation attempts: every result status, re-sent and overlapping
//! batches, scope, approved events, NIK handling, repeat citizens, voiding, concurrency
//! and durability.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

/// Each listed activation's `repeat_citizen`, by id.
fn repeat_by_id(page: &Value) -> std::collections::HashMap<String, bool> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["repeat_citizen"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn result(answer: &Answer, i: usize) -> Value {
    answer.json["results"][i].clone()
}

#[tokio::test]
async fn each_item_gets_its_own_result_in_order() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let a = activated(&event);
    let f = failed(&event);
    let first = w
        .app
        .sync_items(&w.staff.token, &[a.clone(), f.clone()])
        .await;
    assert_eq!(statuses(&first), vec!["created", "created"]);
    assert_eq!(result(&first, 0)["id"], a["id"]);
    assert!(result(&first, 0).get("error").is_none());

    let mut changed = a.clone();
    changed["outcome"] = json!("failed");
    changed["failure_reason"] = json!("declined");
    let mut invalid = activated(&event);
    invalid["outcome"] = json!("maybe");
    let fresh = activated(&event);
    let second = w
        .app
        .sync_items(
            &w.staff.token,
            &[f.clone(), changed, invalid.clone(), fresh],
        )
        .await;
    assert_eq!(
        statuses(&second),
        vec!["duplicate", "conflict", "rejected", "created"]
    );
    let err = &result(&second, 2)["error"];
    assert_eq!(err["code"], "validation_failed");
    assert_eq!(err["status"], 422);
    assert_eq!(err["errors"][0]["field"], "outcome");
    assert!(err["request_id"].is_string());
    assert_eq!(result(&second, 2)["id"], invalid["id"]);

    // Nothing changed for the conflicting id.
    let list = w
        .app
        .get(&format!("/events/{event}/activations"), &w.staff.token)
        .await;
    let items = list.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 3);
    let stored = items.iter().find(|i| i["id"] == a["id"]).expect("stored");
    assert_eq!(stored["outcome"], "activated");
    assert_eq!(stored["staff_id"], w.staff.id);
    assert_eq!(stored["office_id"], w.tala);
    assert_eq!(stored["channel_key"], "village_visit");
    assert_eq!(stored["recorded_at"], "2024-03-18T02:15:00Z");
    assert_eq!(stored["local_date"], "2024-03-18");
    assert_eq!(stored["age_band"], "25-39");
    assert_eq!(stored["sex"], "female");
    assert_eq!(stored["has_nik"], false);
    assert_eq!(stored["repeat_citizen"], false);
    assert!(stored["voided_at"].is_null());
    assert!(stored.get("nik").is_none() && stored.get("nik_hash").is_none());
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        3
    );
    // One audit entry per event per batch that stored something.
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'activations_synced'")
            .await,
        2
    );
}

#[tokio::test]
async fn resent_and_half_overlapping_batches_store_each_item_once() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let items: Vec<Value> = (0..20)
        .map(|i| {
            if i % 3 == 0 {
                failed(&event)
            } else {
                activated(&event)
            }
        })
        .collect();
    let first = w.app.sync_items(&w.staff.token, &items[..10]).await;
    assert!(statuses(&first).iter().all(|s| s == "created"));
    // The same batch three times (a phone that never saw the answer).
    for _ in 0..3 {
        let again = w.app.sync_items(&w.staff.token, &items[..10]).await;
        assert!(statuses(&again).iter().all(|s| s == "duplicate"));
    }
    // Half of it again with ten new ones, in another order and another time offset.
    let mut overlap: Vec<Value> = items[5..20].to_vec();
    overlap.reverse();
    overlap[14]["recorded_at"] = json!(match overlap[14]["outcome"].as_str() {
        Some("failed") => "2024-03-18T03:00:00Z",
        _ => "2024-03-18T02:15:00Z",
    });
    let second = w.app.sync_items(&w.staff.token, &overlap).await;
    let s = statuses(&second);
    assert_eq!(s.iter().filter(|s| *s == "created").count(), 10);
    assert_eq!(s.iter().filter(|s| *s == "duplicate").count(), 5);
    assert!(s[10..].iter().all(|s| s == "duplicate"));
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        20
    );
    // The same id twice in one batch: the second is a duplicate (or a conflict).
    let one = activated(&event);
    let mut other = one.clone();
    other["sex"] = json!("male");
    let dup = w
        .app
        .sync_items(&w.staff.token, &[one.clone(), one, other])
        .await;
    assert_eq!(statuses(&dup), vec!["created", "duplicate", "conflict"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        21
    );
}

#[tokio::test]
async fn items_for_missing_or_out_of_scope_events_are_rejected_not_found() {
    let w = World::new().await;
    let jabar_body = json!({
        "channel_key": "other",
        "title": "Car free day",
        "starts_at": "2024-03-18T06:00:00+07:00",
        "ends_at": "2024-03-18T10:00:00+07:00"
    });
    let jabar_event = w
        .app
        .post("/events", &w.jabar_staff.token, jabar_body)
        .await
        .assert_status(201)["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let event = w.event(&w.staff.token).await;
    let answer = w
        .app
        .sync_items(
            &w.staff.token,
            &[
                activated(&jabar_event),
                activated(&uuid::Uuid::new_v4().to_string()),
                activated(&event),
            ],
        )
        .await;
    assert_eq!(statuses(&answer), vec!["rejected", "rejected", "created"]);
    assert_eq!(result(&answer, 0)["error"]["code"], "not_found");
    assert_eq!(result(&answer, 1)["error"]["code"], "not_found");
    assert_eq!(result(&answer, 0)["error"], result(&answer, 1)["error"]);
    // The province supervisor reaches the regency's event; the other province does not.
    let sup_item = json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "event_id": event,
        "staff_id": w.staff.id,
        "recorded_at": "2024-03-18T12:00:00+08:00",
        "outcome": "activated"
    });
    let a = w
        .app
        .sync_items(&w.jabar_sup.token, std::slice::from_ref(&sup_item))
        .await;
    assert_eq!(result(&a, 0)["error"]["code"], "not_found");
    let a = w.app.sync_items(&w.kalsel_sup.token, &[sup_item]).await;
    assert_eq!(statuses(&a), vec!["created"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        2
    );
}

#[tokio::test]
async fn approved_events_take_no_new_items_but_confirm_stored_ones() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let stored = activated(&event);
    w.app
        .sync_items(&w.staff.token, std::slice::from_ref(&stored))
        .await
        .assert_status(200);
    w.app
        .post(
            &format!("/events/{event}/submit"),
            &w.staff.token,
            json!({}),
        )
        .await
        .assert_status(200);
    // Submitted events still take items (the phone may sync late).
    let late = w.app.sync_items(&w.staff.token, &[activated(&event)]).await;
    assert_eq!(statuses(&late), vec!["created"]);
    w.app
        .post(
            &format!("/events/{event}/approve"),
            &w.tala_sup.token,
            json!({}),
        )
        .await
        .assert_status(200);
    let a = w
        .app
        .sync_items(&w.staff.token, &[stored, activated(&event)])
        .await;
    assert_eq!(statuses(&a), vec!["duplicate", "rejected"]);
    assert_eq!(result(&a, 1)["error"]["code"], "conflict");
    assert_eq!(result(&a, 1)["error"]["status"], 409);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        2
    );
}

#[tokio::test]
async fn field_staff_record_for_themselves_and_staff_belong_to_the_office() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mut for_other = activated(&event);
    for_other["staff_id"] = json!(w.staff2.id);
    let mut self_named = activated(&event);
    self_named["staff_id"] = json!(w.staff.id);
    let a = w
        .app
        .sync_items(&w.staff.token, &[for_other.clone(), self_named])
        .await;
    assert_eq!(statuses(&a), vec!["rejected", "created"]);
    assert_eq!(result(&a, 0)["error"]["code"], "forbidden");
    // A supervisor records for a staff member of the event's office...
    let a = w.app.sync_items(&w.tala_sup.token, &[for_other]).await;
    assert_eq!(statuses(&a), vec!["created"]);
    // ...but not for someone of another office, nor for themselves from the province.
    let mut outsider = activated(&event);
    outsider["staff_id"] = json!(w.jabar_staff.id);
    let a = w
        .app
        .sync_items(&w.kalsel_sup.token, &[outsider, activated(&event)])
        .await;
    assert_eq!(statuses(&a), vec!["rejected", "rejected"]);
    for i in 0..2 {
        assert_eq!(result(&a, i)["error"]["code"], "validation_failed");
        assert_eq!(result(&a, i)["error"]["errors"][0]["field"], "staff_id");
    }
}

#[tokio::test]
async fn invalid_items_name_their_fields_and_one_bad_item_never_fails_the_batch() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let nik = "6301011203900001";
    let items = vec![
        json!({}),
        json!({
            "id": "x", "event_id": "y", "staff_id": "z", "recorded_at": "today",
            "outcome": "failed", "age_band": "teen", "sex": "x", "area_code": "63-01",
            "nik": "1234"
        }),
        json!({
            "id": uuid::Uuid::now_v7().to_string(), "event_id": event,
            "recorded_at": "2024-03-18T10:00:00+08:00", "outcome": "activated",
            "failure_reason": "declined"
        }),
        json!({
            "id": uuid::Uuid::now_v7().to_string(), "event_id": event,
            "recorded_at": "2999-01-01T00:00:00Z", "outcome": "failed",
            "failure_reason": "bored"
        }),
        // A wrong JSON type in one item: that item is malformed, the rest goes on.
        json!({"id": uuid::Uuid::now_v7().to_string(), "event_id": event, "outcome": 3, "nik": 6301011203900001u64}),
        json!({"id": uuid::Uuid::now_v7().to_string(), "event_id": event, "recorded_at": "2024-03-18T10:00:00+08:00", "outcome": "activated", "nick": nik}),
        json!(42),
        json!({"id": uuid::Uuid::now_v7().to_string(), "event_id": event,
               "recorded_at": "2024-03-18T10:00:00+08:00", "outcome": "activated",
               "area_code": "63.02.01"}),
        activated(&event),
    ];
    let a = w.app.sync_items(&w.staff.token, &items).await;
    let s = statuses(&a);
    assert_eq!(
        s,
        vec![
            "rejected", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected",
            "rejected", "created"
        ]
    );
    let fields = |i: usize| -> Vec<String> {
        let mut f: Vec<String> = result(&a, i)["error"]["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|x| x["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        f.sort();
        f
    };
    assert_eq!(fields(0), vec!["event_id", "id", "outcome", "recorded_at"]);
    assert_eq!(
        fields(1),
        vec![
            "age_band",
            "area_code",
            "event_id",
            "failure_reason",
            "id",
            "nik",
            "recorded_at",
            "sex",
            "staff_id"
        ]
    );
    assert!(result(&a, 1)["id"].is_null());
    assert_eq!(fields(2), vec!["failure_reason"]);
    assert_eq!(fields(3), vec!["failure_reason", "recorded_at"]);
    for i in [4, 5, 6] {
        assert_eq!(
            result(&a, i)["error"]["code"],
            "malformed_request",
            "item {i}"
        );
        assert_eq!(result(&a, i)["error"]["status"], 400);
    }
    assert_eq!(fields(7), vec!["area_code"]);
    // The NIK, even misplaced, is never echoed.
    assert!(!a.text.contains(nik), "{}", a.text);
    assert!(!a.text.contains("1234\""));
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        1
    );

    // Bad NIKs: wrong length, non-digits, unknown province, impossible birth dates.
    for bad in [
        "630101120390001",
        "63010112039000011",
        "63010112039000a1",
        "2001011203900001",
        "6301011213900001",
        "6301013203900001",
        "6301017203900001",
        "6301013002010001",
    ] {
        let mut item = activated(&event);
        item["nik"] = json!(bad);
        let a = w.app.sync_items(&w.staff.token, &[item]).await;
        assert_eq!(statuses(&a), vec!["rejected"], "{bad}");
        assert_eq!(result(&a, 0)["error"]["errors"][0]["field"], "nik");
        assert_eq!(result(&a, 0)["error"]["errors"][0]["code"], "invalid_nik");
        assert!(!a.text.contains(bad), "{bad} echoed");
    }
}

#[tokio::test]
async fn more_than_500_items_are_refused_whole() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let items: Vec<Value> = (0..501).map(|_| activated(&event)).collect();
    let a = w.app.sync_items(&w.staff.token, &items).await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["items"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        0
    );
    // A body that is not a batch at all.
    w.app
        .post("/sync/activations", &w.staff.token, json!({"items": {}}))
        .await
        .assert_problem(400, "malformed_request");
    w.app
        .post("/sync/activations", &w.staff.token, json!([]))
        .await
        .assert_problem(400, "malformed_request");
    let empty = w.app.sync_items(&w.staff.token, &[]).await;
    assert_eq!(empty.assert_status(200)["results"], json!([]));
}

/// Whether `needle` appears anywhere in the database: the raw SQLite files (with the WAL),
/// or the text of every row of every table on PostgreSQL.
async fn database_contains(app: &TestApp, needle: &str) -> bool {
    match backend_under_test() {
        jemput::db::Backend::Sqlite => {
            let mut found = false;
            for suffix in ["", "-wal", "-shm", "-journal"] {
                if let Ok(bytes) = std::fs::read(format!("{}{suffix}", app.database_url)) {
                    found |= bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
                }
            }
            found
        }
        jemput::db::Backend::Postgres => {
            let mut n = 0;
            for table in [
                "settings",
                "offices",
                "targets",
                "users",
                "refresh_tokens",
                "login_throttle",
                "audit_log",
                "channels",
                "events",
                "event_staff",
                "activations",
                "citizens",
            ] {
                n += app
                    .count(&format!(
                        "SELECT COUNT(*) AS n FROM {table} t WHERE t::text LIKE '%{needle}%'"
                    ))
                    .await;
            }
            n > 0
        }
    }
}

#[tokio::test]
async fn a_nik_is_kept_only_as_a_keyed_hash_and_never_answered() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let nik = test_nik(4711);
    let mut item = activated(&event);
    item["nik"] = json!(nik);
    let a = w
        .app
        .sync_items(&w.staff.token, std::slice::from_ref(&item))
        .await;
    assert_eq!(statuses(&a), vec!["created"]);
    assert!(!a.text.contains(&nik));
    let list = w
        .app
        .get(&format!("/events/{event}/activations"), &w.staff.token)
        .await;
    assert!(!list.text.contains(&nik));
    let row = &list.assert_status(200)["items"][0];
    assert_eq!(row["has_nik"], true);
    assert!(row.get("nik_hash").is_none());
    assert!(row.get("home_district").is_none());

    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) AS n FROM activations WHERE nik_hash IS NOT NULL \
                 AND length(nik_hash) = 64 AND home_district = '63.01.01' AND id = '{}'",
                item["id"].as_str().unwrap_or("")
            ))
            .await,
        1
    );
    assert!(
        !database_contains(&w.app, &nik).await,
        "the NIK is in the database in clear"
    );
    // The test itself can find text it knows is there.
    assert!(database_contains(&w.app, &w.staff.username).await);
}

#[tokio::test]
async fn a_citizen_activated_twice_in_an_office_is_a_repeat() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let second_event = w.event(&w.staff2.token).await;
    let with_nik = |mut item: Value, n: u32| {
        item["nik"] = json!(test_nik(n));
        item
    };
    // A failed attempt first does not make the later activation a repeat.
    let batch = vec![
        with_nik(failed(&event), 1),
        with_nik(activated(&event), 1),
        with_nik(activated(&event), 2),
        // The same citizen again in the same batch.
        with_nik(activated(&event), 2),
    ];
    let a = w.app.sync_items(&w.staff.token, &batch).await;
    assert!(statuses(&a).iter().all(|s| s == "created"));
    // At another event of the same office, later.
    let later = with_nik(activated(&second_event), 1);
    w.app
        .sync_items(&w.staff2.token, std::slice::from_ref(&later))
        .await
        .assert_status(200);
    // In another office the same citizen counts again.
    let jabar_event = w
        .app
        .post(
            "/events",
            &w.jabar_staff.token,
            json!({"channel_key": "other", "title": "x",
                   "starts_at": "2024-03-18T06:00:00+07:00",
                   "ends_at": "2024-03-18T10:00:00+07:00"}),
        )
        .await
        .assert_status(201)["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let mut jabar_item = with_nik(activated(&jabar_event), 1);
    jabar_item["area_code"] = json!("32.01.01");
    let a = w.app.sync_items(&w.jabar_staff.token, &[jabar_item]).await;
    assert_eq!(statuses(&a), vec!["created"]);

    let repeats = |rows: &Value| -> Vec<bool> {
        rows["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["repeat_citizen"].as_bool().unwrap_or(false))
            .collect()
    };
    let rows = w
        .app
        .get(&format!("/events/{event}/activations"), &w.tala_sup.token)
        .await;
    let by_id = repeat_by_id(rows.assert_status(200));
    let id = |i: usize| batch[i]["id"].as_str().unwrap_or("").to_string();
    assert!(!by_id[&id(0)] && !by_id[&id(1)] && !by_id[&id(2)]);
    assert!(by_id[&id(3)]);
    let second = w
        .app
        .get(
            &format!("/events/{second_event}/activations"),
            &w.tala_sup.token,
        )
        .await;
    assert_eq!(repeats(second.assert_status(200)), vec![true]);
    let jabar = w
        .app
        .get(
            &format!("/events/{jabar_event}/activations"),
            &w.jabar_sup.token,
        )
        .await;
    assert_eq!(repeats(jabar.assert_status(200)), vec![false]);
    assert_eq!(w.app.count("SELECT COUNT(*) AS n FROM citizens").await, 3);
}

#[tokio::test]
async fn voiding_keeps_the_row_and_follows_role_scope_and_state() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let own = activated(&event);
    let mut others = activated(&event);
    others["staff_id"] = json!(w.staff2.id);
    w.app
        .sync_items(&w.staff.token, std::slice::from_ref(&own))
        .await
        .assert_status(200);
    w.app
        .sync_items(&w.tala_sup.token, std::slice::from_ref(&others))
        .await
        .assert_status(200);
    let path = |item: &Value| format!("/activations/{}", item["id"].as_str().unwrap_or(""));

    let bad = w
        .app
        .delete(&path(&own), &w.staff.token, Some(json!({})))
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), vec!["reason"]);
    w.app
        .delete(
            &path(&others),
            &w.staff.token,
            Some(json!({"reason": "typo"})),
        )
        .await
        .assert_problem(403, "forbidden");
    w.app
        .delete(
            &path(&own),
            &w.jabar_sup.token,
            Some(json!({"reason": "typo"})),
        )
        .await
        .assert_problem(404, "not_found");
    w.app
        .delete(
            &format!("/activations/{}", uuid::Uuid::new_v4()),
            &w.tala_sup.token,
            Some(json!({"reason": "typo"})),
        )
        .await
        .assert_problem(404, "not_found");

    let v = w
        .app
        .delete(
            &path(&own),
            &w.staff.token,
            Some(json!({"reason": "Salah input"})),
        )
        .await;
    let row = v.assert_status(200).clone();
    assert_eq!(row["id"], own["id"]);
    assert!(row["voided_at"].is_string());
    assert_eq!(row["voided_by"], w.staff.id);
    assert_eq!(row["void_reason"], "Salah input");
    // Again: unchanged.
    let again = w
        .app
        .delete(
            &path(&own),
            &w.tala_sup.token,
            Some(json!({"reason": "other"})),
        )
        .await;
    assert_eq!(again.assert_status(200)["void_reason"], "Salah input");
    // A re-sent voided item is still a duplicate, and stays voided.
    let a = w
        .app
        .sync_items(&w.staff.token, std::slice::from_ref(&own))
        .await;
    assert_eq!(statuses(&a), vec!["duplicate"]);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM activations WHERE voided_at IS NOT NULL")
            .await,
        1
    );

    // Approved: no more voids.
    w.app
        .post(
            &format!("/events/{event}/submit"),
            &w.staff.token,
            json!({}),
        )
        .await
        .assert_status(200);
    w.app
        .post(
            &format!("/events/{event}/approve"),
            &w.tala_sup.token,
            json!({}),
        )
        .await
        .assert_status(200);
    w.app
        .delete(
            &path(&others),
            &w.tala_sup.token,
            Some(json!({"reason": "late"})),
        )
        .await
        .assert_problem(409, "conflict");
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        2
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'activation_voided'")
            .await,
        1
    );
}

#[tokio::test]
async fn voiding_a_citizens_first_activation_makes_the_next_one_count() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mut first = activated(&event);
    first["nik"] = json!(test_nik(7));
    let mut second = activated(&event);
    second["nik"] = json!(test_nik(7));
    second["recorded_at"] = json!("2024-03-18T13:00:00+08:00");
    w.app
        .sync_items(&w.staff.token, &[first.clone(), second.clone()])
        .await
        .assert_status(200);
    w.app
        .delete(
            &format!("/activations/{}", first["id"].as_str().unwrap_or("")),
            &w.tala_sup.token,
            Some(json!({"reason": "wrong citizen"})),
        )
        .await
        .assert_status(200);
    let rows = w
        .app
        .get(&format!("/events/{event}/activations"), &w.staff.token)
        .await;
    let items = rows.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let second_row = items
        .iter()
        .find(|r| r["id"] == second["id"])
        .expect("second");
    assert_eq!(second_row["repeat_citizen"], false);
    // A third activation of the citizen is a repeat of the second.
    let mut third = activated(&event);
    third["nik"] = json!(test_nik(7));
    w.app
        .sync_items(&w.staff.token, std::slice::from_ref(&third))
        .await
        .assert_status(200);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT COUNT(*) AS n FROM activations WHERE id = '{}' AND repeat_citizen = TRUE",
                third["id"].as_str().unwrap_or("")
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn field_staff_list_only_their_own_activations_in_pages() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mine: Vec<Value> = (0..5)
        .map(|i| {
            let mut item = activated(&event);
            item["recorded_at"] = json!(format!("2024-03-18T1{i}:00:00+08:00"));
            item
        })
        .collect();
    w.app
        .sync_items(&w.staff.token, &mine)
        .await
        .assert_status(200);
    w.app
        .sync_items(&w.staff2.token, &[activated(&event), activated(&event)])
        .await
        .assert_status(200);

    let mut seen = Vec::new();
    let mut path = format!("/events/{event}/activations?limit=2");
    loop {
        let body = w
            .app
            .get(&path, &w.staff.token)
            .await
            .assert_status(200)
            .clone();
        for r in body["items"].as_array().expect("items") {
            assert_eq!(r["staff_id"], w.staff.id);
            seen.push(r["id"].clone());
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/events/{event}/activations?limit=2&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<Value> = mine.iter().map(|i| i["id"].clone()).collect();
    assert_eq!(seen, expected, "oldest first, no skips or repeats");
    let all = w
        .app
        .get(
            &format!("/events/{event}/activations?limit=500"),
            &w.tala_sup.token,
        )
        .await;
    assert_eq!(
        all.assert_status(200)["items"].as_array().map(Vec::len),
        Some(7)
    );
    w.app
        .get(&format!("/events/{event}/activations"), &w.jabar_sup.token)
        .await
        .assert_problem(404, "not_found");
    w.app
        .get(
            &format!("/events/{event}/activations?cursor=zz"),
            &w.tala_sup.token,
        )
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn two_concurrent_syncs_of_the_same_500_items_store_each_once() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let items: Vec<Value> = (0..500u32)
        .map(|i| {
            let mut item = if i % 4 == 0 {
                failed(&event)
            } else {
                activated(&event)
            };
            if i % 2 == 1 {
                // 250 NIKs of 125 citizens: half of them activated twice.
                item["nik"] = json!(test_nik(i / 4));
            }
            item
        })
        .collect();
    let mut reversed = items.clone();
    reversed.reverse();
    // Two phones (or two servers behind a balancer) sending the same items at once; the
    // second sends them in the other order.
    let (a, b) = tokio::join!(
        w.app.sync_items(&w.staff.token, &items),
        w.app.sync_items(&w.staff.token, &reversed)
    );
    let sa = statuses(&a);
    let mut sb = statuses(&b);
    sb.reverse();
    for i in 0..500 {
        let mut pair = [sa[i].as_str(), sb[i].as_str()];
        pair.sort();
        assert_eq!(pair, ["created", "duplicate"], "item {i}");
    }
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        500
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(DISTINCT id) AS n FROM activations")
            .await,
        500
    );
    // Each citizen has exactly one first activation, and it is stored and not a repeat.
    let citizens = w.app.count("SELECT COUNT(*) AS n FROM citizens").await;
    let firsts = w
        .app
        .count(
            "SELECT COUNT(*) AS n FROM citizens c JOIN activations a \
             ON a.id = c.first_activation_id WHERE a.repeat_citizen = FALSE \
             AND a.outcome = 'activated'",
        )
        .await;
    assert_eq!(citizens, firsts);
    let counted = w
        .app
        .count(
            "SELECT COUNT(*) AS n FROM activations WHERE outcome = 'activated' \
             AND nik_hash IS NOT NULL AND repeat_citizen = FALSE",
        )
        .await;
    assert_eq!(counted, citizens);
    // Once more, both again: all duplicates.
    let (a, b) = tokio::join!(
        w.app.sync_items(&w.staff.token, &items),
        w.app.sync_items(&w.staff.token, &items)
    );
    assert!(statuses(&a)
        .iter()
        .chain(statuses(&b).iter())
        .all(|s| s == "duplicate"));
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        500
    );
}

#[tokio::test]
async fn a_created_item_is_readable_through_a_new_connection_at_once() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let item = activated(&event);
    let id = item["id"].as_str().unwrap_or("").to_string();
    let a = w.app.sync_items(&w.staff.token, &[item]).await;
    assert_eq!(statuses(&a), vec!["created"]);
    // No pooled connection of the app: a fresh one, opened after the answer arrived.
    let url = w.app.database_url.clone();
    let n = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use jemput::schema::activations;
        let db = jemput::db::Db::connect(&url, 1).expect("connect");
        let mut conn = db.conn().expect("connection");
        activations::table
            .filter(activations::id.eq(&id))
            .count()
            .get_result::<i64>(&mut **conn)
            .expect("count")
    })
    .await
    .expect("task");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_repeat_citizen_inside_a_full_insert_chunk_is_still_found() {
    // 30 citizens go in as one 25-row statement and 5 single rows; one of the 25 was
    // activated before, so that statement stores 24 rows and the sync must find which.
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let with_nik = |mut item: Value, n: u32| {
        item["nik"] = json!(test_nik(n));
        item
    };
    let first = with_nik(activated(&event), 7);
    let a = w.app.sync_items(&w.staff.token, &[first]).await;
    assert_eq!(statuses(&a), vec!["created"]);
    let batch: Vec<Value> = (0..30).map(|n| with_nik(activated(&event), n)).collect();
    let a = w.app.sync_items(&w.staff.token, &batch).await;
    assert!(statuses(&a).iter().all(|s| s == "created"), "{a:?}");

    let rows = w
        .app
        .get(
            &format!("/events/{event}/activations?limit=100"),
            &w.staff.token,
        )
        .await;
    let repeat = repeat_by_id(rows.assert_status(200));
    assert_eq!(repeat.len(), 31);
    for (n, item) in batch.iter().enumerate() {
        let id = item["id"].as_str().unwrap_or("");
        assert_eq!(repeat[id], n == 7, "item {n}");
    }
    // The event's yield counts each citizen once: 30, not 31.
    let y = w
        .app
        .get(&format!("/events/{event}/yield"), &w.staff.token)
        .await;
    assert_eq!(y.assert_status(200)["activated"], 30);
}

#[tokio::test]
async fn a_sync_item_of_the_wrong_shape_is_rejected_naming_its_field() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mut wrong = activated(&event);
    wrong["recorded_at"] = json!(20240501);
    let mut extra = activated(&event);
    extra["colour"] = json!("red");
    let a = w
        .app
        .sync_items(&w.staff.token, &[wrong, extra, activated(&event)])
        .await;
    assert_eq!(statuses(&a), vec!["rejected", "rejected", "created"]);
    assert_eq!(result(&a, 0)["error"]["code"], "malformed_request");
    assert_eq!(
        result(&a, 0)["error"]["detail"],
        "The value of `recorded_at` has the wrong type or shape."
    );
    assert_eq!(result(&a, 1)["error"]["detail"], "Unknown field `colour`.");
}
