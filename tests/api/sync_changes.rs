//! The phone's pull: channels, the office's working events and their staff, incrementally.

use serde_json::{json, Value};

use crate::fixtures::*;

/// Pulls until `has_more` is false; returns (channels, events, staff, last cursor).
async fn pull(
    w: &World,
    token: &str,
    cursor: Option<String>,
    limit: u32,
) -> (Vec<Value>, Vec<Value>, Vec<Value>, String) {
    let (mut channels, mut events, mut staff) = (Vec::new(), Vec::new(), Vec::new());
    let mut cursor = cursor;
    loop {
        let path = match &cursor {
            Some(c) => format!("/sync/changes?limit={limit}&cursor={c}"),
            None => format!("/sync/changes?limit={limit}"),
        };
        let body = w.app.get(&path, token).await.assert_status(200).clone();
        channels.extend(body["channels"].as_array().cloned().unwrap_or_default());
        events.extend(body["events"].as_array().cloned().unwrap_or_default());
        staff.extend(body["staff"].as_array().cloned().unwrap_or_default());
        cursor = body["next_cursor"].as_str().map(str::to_string);
        if body["has_more"] != true {
            return (channels, events, staff, cursor.unwrap_or_default());
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| e["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn a_first_pull_brings_channels_working_events_and_staff() {
    let w = World::new().await;
    w.app
        .post(
            "/channels",
            &w.kalsel_sup.token,
            json!({"key": "ramadhan_expo", "name": "Ramadhan Expo"}),
        )
        .await
        .assert_status(201);
    let open = w.event(&w.staff.token).await;
    let submitted = w.event(&w.staff.token).await;
    let returned = w.event(&w.staff2.token).await;
    let approved = w.approved_event().await;
    w.app
        .post(
            &format!("/events/{submitted}/submit"),
            &w.staff.token,
            json!({}),
        )
        .await
        .assert_status(200);
    w.app
        .post(
            &format!("/events/{returned}/submit"),
            &w.staff2.token,
            json!({}),
        )
        .await
        .assert_status(200);
    w.app
        .post(
            &format!("/events/{returned}/return"),
            &w.tala_sup.token,
            json!({"comment": "Tambahkan biaya"}),
        )
        .await
        .assert_status(200);
    w.app
        .put(
            &format!("/events/{open}/staff/{}", w.staff.id),
            &w.staff.token,
            json!({"hours": 5}),
        )
        .await
        .assert_status(200);

    let (channels, events, staff, _) = pull(&w, &w.staff.token, None, 1).await;
    assert_eq!(channels.len(), 12);
    assert!(channels.iter().any(|c| c["key"] == "ramadhan_expo"));
    let mut got = ids(&events);
    got.sort();
    let mut want = vec![open.clone(), returned.clone()];
    want.sort();
    assert_eq!(got, want, "open and returned only");
    assert!(!got.contains(&approved) && !got.contains(&submitted));
    let ret = events
        .iter()
        .find(|e| e["id"] == returned)
        .expect("returned");
    assert_eq!(ret["review_comment"], "Tambahkan biaya");
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0]["event_id"], open);
    assert_eq!(staff[0]["user_id"], w.staff.id);
    assert_eq!(staff[0]["hours"], 5.0);

    // Another office's phone sees none of it.
    let (_, events, _, _) = pull(&w, &w.jabar_staff.token, None, 50).await;
    assert!(events.is_empty());
}

#[tokio::test]
async fn later_pulls_bring_review_outcomes_and_staff_changes() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    w.app
        .put(
            &format!("/events/{event}/staff/{}", w.staff.id),
            &w.staff.token,
            json!({"hours": 4}),
        )
        .await
        .assert_status(200);
    let (_, events, _, cursor) = pull(&w, &w.staff.token, None, 50).await;
    assert_eq!(ids(&events), vec![event.clone()]);

    // The phone submits; the supervisor returns it with a comment.
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
            &format!("/events/{event}/return"),
            &w.tala_sup.token,
            json!({"comment": "Foto kegiatan belum ada"}),
        )
        .await
        .assert_status(200);
    w.app
        .delete(
            &format!("/events/{event}/staff/{}", w.staff.id),
            &w.staff.token,
            None,
        )
        .await
        .assert_status(204);
    let other = w.event(&w.staff2.token).await;
    let (channels, events, staff, cursor) = pull(&w, &w.staff.token, Some(cursor), 50).await;
    // Channels did not change since the first pull (the built-ins are older than it).
    assert!(channels.len() <= 11);
    let ev = events
        .iter()
        .find(|e| e["id"] == event)
        .expect("changed event");
    assert_eq!(ev["status"], "returned");
    assert_eq!(ev["review_comment"], "Foto kegiatan belum ada");
    assert!(ids(&events).contains(&other));
    assert!(
        staff.iter().all(|s| s["event_id"] != event),
        "the event's staff list is now empty"
    );

    // An approval reaches the phone too, so it can drop the event.
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
    let (_, events, _, _) = pull(&w, &w.staff.token, Some(cursor), 1).await;
    let ev = events
        .iter()
        .rev()
        .find(|e| e["id"] == event)
        .expect("approved event");
    assert_eq!(ev["status"], "approved");
}

#[tokio::test]
async fn a_bad_cursor_or_limit_is_refused() {
    let w = World::new().await;
    for q in ["cursor=nonsense", "limit=0", "cursor=WyJhIiwiYiJd"] {
        w.app
            .get(&format!("/sync/changes?{q}"), &w.staff.token)
            .await
            .assert_problem(422, "validation_failed");
    }
    w.app
        .request(reqwest::Method::GET, "/sync/changes", None, None)
        .await
        .assert_problem(401, "unauthorized");
}
