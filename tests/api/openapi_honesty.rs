//! The OpenAPI document says what the server does (issue 16, finding 10): enums spelled as
//! the server spells them, and the statuses the server's extractors and pool answer listed
//! on every operation they can reach.

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::*;

async fn served_document(app: &TestApp) -> Value {
    let answer = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    answer.assert_status(200).clone()
}

fn documented_statuses(doc: &Value, path: &str, method: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is documented"))
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn enums_are_documented_as_the_server_spells_them() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Role"]["enum"],
        serde_json::json!(["admin", "supervisor", "field_staff"])
    );
    assert_eq!(
        schemas["AreaLevel"]["enum"],
        serde_json::json!(["province", "regency", "district", "village"])
    );
    // What the server answers is one of the documented values.
    let me = app.get("/me", &app.root_token).await;
    let role = me.assert_status(200)["role"].clone();
    assert!(
        schemas["Role"]["enum"]
            .as_array()
            .is_some_and(|values| values.contains(&role)),
        "role {role} is not in the documented enum"
    );
}

#[tokio::test]
async fn statuses_the_server_answers_are_documented() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;

    // DELETE with no body: 415, documented.
    let answer = app
        .request(
            Method::DELETE,
            &format!("/activations/{}", Uuid::now_v7()),
            Some(&app.root_token),
            None,
        )
        .await;
    answer.assert_problem(415, "unsupported_media_type");
    assert!(
        documented_statuses(&doc, "/api/v1/activations/{id}", "delete").contains(&"415".into())
    );

    // An unknown query parameter: 400, documented.
    let answer = app
        .get("/reports/channels?no_such_parameter=1", &app.root_token)
        .await;
    answer.assert_problem(400, "malformed_request");
    assert!(documented_statuses(&doc, "/api/v1/reports/channels", "get").contains(&"400".into()));

    // Every operation that needs the database documents its 503 with Retry-After, and
    // every one behind a token its 401.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let statuses: Vec<&String> = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .collect();
            if path != "/healthz" && path != "/metrics" {
                assert!(
                    statuses.contains(&&"503".to_string()),
                    "{method} {path}: 503"
                );
            }
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            if !public {
                assert!(
                    statuses.contains(&&"401".to_string()),
                    "{method} {path}: 401"
                );
            }
        }
    }
    assert!(doc["components"]["responses"]["Unavailable"]["headers"]["Retry-After"].is_object());
}

#[tokio::test]
async fn a_user_update_requires_no_field() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    let schema = &doc["components"]["schemas"]["UpdateUserRequest"];
    assert!(schema["properties"]["full_name"].is_object());
    assert!(
        schema.get("required").is_none(),
        "UpdateUserRequest documents required fields: {schema}"
    );
    // As documented: a body without full_name (or anything else) is a valid update.
    let office = app.root_office_id.clone();
    let user = app.create_user(&office, "supervisor").await;
    let answer = app
        .patch(
            &format!("/users/{}", user.id),
            &app.root_token,
            serde_json::json!({"active": true}),
        )
        .await;
    answer.assert_status(200);
}
