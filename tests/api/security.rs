//! Holes found from outside (issue 16), each reproduced: NIK confirmation through sync
//! answers, inflated bodies, unbounded metrics labels and stored strings, tokens that outlive
//! their login, spreadsheet formulas, slow bodies, numbers past the domain's range.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

fn result(answer: &Answer, i: usize) -> Value {
    answer.json["results"][i].clone()
}

/// Finding 2: re-sending a stored id with its visible fields answers the same whatever NIK
/// comes with it, so no answer tells the stored NIK; a re-send with other content is a
/// conflict, and conflicts are audited.
#[tokio::test]
async fn a_resent_activation_does_not_confirm_its_nik() {
    let w = World::new().await;
    let event = w.event(&w.staff.token).await;
    let mut item = activated(&event);
    item["nik"] = json!(test_nik(1));
    w.app
        .sync_items(&w.staff.token, std::slice::from_ref(&item))
        .await
        .assert_status(200);

    // A supervisor who sees the activation re-sends it with guessed NIKs: the right one,
    // wrong ones, none. Every answer is the same.
    let mut probes = Vec::new();
    for guess in [Some(test_nik(1)), Some(test_nik(2)), Some(test_nik(3)), None] {
        let mut probe = item.clone();
        probe["staff_id"] = json!(w.staff.id);
        match guess {
            Some(n) => probe["nik"] = json!(n),
            None => {
                probe.as_object_mut().expect("object").remove("nik");
            }
        }
        probes.push(probe);
    }
    let a = w.app.sync_items(&w.tala_sup.token, &probes).await;
    assert_eq!(
        statuses(&a),
        vec!["duplicate", "duplicate", "duplicate", "duplicate"],
        "{}",
        a.text
    );
    // The phone's own re-send is a duplicate too, and nothing was stored twice.
    let again = w.app.sync_items(&w.staff.token, &[item.clone()]).await;
    assert_eq!(statuses(&again), vec!["duplicate"]);
    assert_eq!(
        w.app.count("SELECT COUNT(*) AS n FROM activations").await,
        1
    );
    assert!(w.app.audit_entries("sync_conflict").await.is_empty());

    // A visible field that differs is a conflict, and it is audited with who sent it.
    let mut other = item.clone();
    other["sex"] = json!("male");
    let c = w.app.sync_items(&w.tala_sup.token, &[other.clone(), other]).await;
    assert_eq!(statuses(&c), vec!["conflict", "conflict"]);
    assert!(result(&c, 0).get("error").is_none());
    let entries = w.app.audit_entries("sync_conflict").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor_id"], json!(w.tala_sup.id));
    assert_eq!(entries[0]["subject_id"], json!(event));
    assert_eq!(entries[0]["detail"]["count"], 2);
}

/// Finding 6: logging out ends the access tokens of that login at once, and so does a
/// reused refresh token; another login of the same user goes on working.
#[tokio::test]
async fn logout_and_refresh_reuse_end_the_logins_access_tokens_at_once() {
    let app = spawn_app().await;
    let tree = app.office_tree().await;
    let staff = app.create_user(&tree.regency, "field_staff").await;
    let (phone, phone_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    let (laptop, laptop_refresh) = app.login_tokens(&staff.username, &staff.password).await;
    app.get("/me", &phone).await.assert_status(200);
    app.get("/me", &laptop).await.assert_status(200);

    app.post(
        "/auth/logout",
        &phone,
        json!({ "refresh_token": phone_refresh }),
    )
    .await
    .assert_status(204);
    app.get("/me", &phone)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/me", &laptop).await.assert_status(200);

    // The laptop refreshes; someone replays the spent refresh token: the whole login ends,
    // the access tokens it gave out included.
    let renewed = app.refresh(&laptop_refresh).await;
    let renewed_access = renewed.assert_status(200)["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    app.get("/me", &renewed_access).await.assert_status(200);
    app.refresh(&laptop_refresh)
        .await
        .assert_problem(401, "unauthorized");
    for token in [&laptop, &renewed_access] {
        app.get("/me", token)
            .await
            .assert_problem(401, "unauthorized");
    }
    // The account itself is fine: a new login works.
    let fresh = app.token_for(&staff.username, &staff.password).await;
    app.get("/me", &fresh).await.assert_status(200);
}
