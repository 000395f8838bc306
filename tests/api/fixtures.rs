//! A small world shared by the event, channel and sync tests: a province and a regency of
//! Kalimantan Selatan (WITA, UTC+8) with staff, and a province elsewhere (out of scope).

use serde_json::{json, Value};

use crate::helpers::*;

pub struct World {
    pub app: TestApp,
    /// Province 63 (Kalimantan Selatan), Asia/Makassar.
    pub kalsel: String,
    /// Regency 63.01 (Tanah Laut), below `kalsel`.
    pub tala: String,
    /// Province 32 (Jawa Barat), Asia/Jakarta: outside every Kalsel user's scope.
    pub jabar: String,
    pub kalsel_sup: TestUser,
    pub tala_sup: TestUser,
    pub staff: TestUser,
    pub staff2: TestUser,
    pub jabar_sup: TestUser,
    pub jabar_staff: TestUser,
}

impl World {
    pub async fn new() -> World {
        let app = spawn_app().await;
        // Events and activations name real districts and villages of these provinces.
        app.load_areas_within(&["63", "32"]).await;
        let root = app.root_office_id.clone();
        let kalsel = app
            .create_office(&root, "63", "province", "Asia/Makassar")
            .await;
        let tala = app
            .create_office(&kalsel, "63.01", "regency", "Asia/Makassar")
            .await;
        let jabar = app
            .create_office(&root, "32", "province", "Asia/Jakarta")
            .await;
        World {
            kalsel_sup: app.create_user(&kalsel, "supervisor").await,
            tala_sup: app.create_user(&tala, "supervisor").await,
            staff: app.create_user(&tala, "field_staff").await,
            staff2: app.create_user(&tala, "field_staff").await,
            jabar_sup: app.create_user(&jabar, "supervisor").await,
            jabar_staff: app.create_user(&jabar, "field_staff").await,
            app,
            kalsel,
            tala,
            jabar,
        }
    }

    /// A valid event body for Tanah Laut.
    pub fn event_body(&self) -> Value {
        json!({
            "channel_key": "village_visit",
            "title": "Tilik Desa Pelaihari",
            "starts_at": "2024-03-18T09:00:00+08:00",
            "ends_at": "2024-03-18T15:00:00+08:00",
            "area_code": "63.01.01.2001",
            "venue": "Balai desa",
            "latitude": -3.8,
            "longitude": 114.77,
            "cost_idr": 1500000,
            "notes": "Bersama PKK"
        })
    }

    /// Creates an event in Tanah Laut as `token`'s user; returns its id.
    pub async fn event(&self, token: &str) -> String {
        let a = self.app.post("/events", token, self.event_body()).await;
        a.assert_status(201)["id"].as_str().expect("id").to_string()
    }

    /// An event in Tanah Laut moved to `approved` by its supervisor.
    pub async fn approved_event(&self) -> String {
        let id = self.event(&self.staff.token).await;
        self.app
            .post(
                &format!("/events/{id}/submit"),
                &self.staff.token,
                json!({}),
            )
            .await
            .assert_status(200);
        self.app
            .post(
                &format!("/events/{id}/approve"),
                &self.tala_sup.token,
                json!({}),
            )
            .await
            .assert_status(200);
        id
    }
}

/// A valid activated item at `event_id`, with a fresh id.
pub fn activated(event_id: &str) -> Value {
    json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "event_id": event_id,
        "recorded_at": "2024-03-18T10:15:00+08:00",
        "outcome": "activated",
        "age_band": "25-39",
        "sex": "female",
        "area_code": "63.01.01.2001"
    })
}

/// A valid failed item at `event_id`, with a fresh id.
pub fn failed(event_id: &str) -> Value {
    json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "event_id": event_id,
        "recorded_at": "2024-03-18T11:00:00+08:00",
        "outcome": "failed",
        "failure_reason": "no_smartphone",
        "age_band": "60+"
    })
}

/// The `status` of each result of a sync answer.
pub fn statuses(answer: &Answer) -> Vec<String> {
    answer.assert_status(200)["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("").to_string())
        .collect()
}
