//! Login, refresh, logout, /me and token attacks.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_returns_tokens_and_the_user() {
    let app = spawn_app().await;
    let a = app.login(ROOT_USER, ROOT_PASSWORD).await;
    let body = a.assert_status(200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 40));
    assert_eq!(body["user"]["username"], ROOT_USER);
    assert_eq!(body["user"]["role"], "admin");
    let me = app
        .get("/me", body["access_token"].as_str().unwrap_or(""))
        .await;
    assert_eq!(me.assert_status(200)["username"], ROOT_USER);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_answer_the_same_401() {
    let app = spawn_app().await;
    let wrong = app.login(ROOT_USER, "not-the-password").await;
    let unknown = app.login("nobody-here", "not-the-password").await;
    wrong.assert_problem(401, "unauthorized");
    unknown.assert_problem(401, "unauthorized");
    assert_eq!(wrong.json["detail"], unknown.json["detail"]);
    assert_eq!(
        wrong.header("www-authenticate"),
        Some("Bearer realm=\"jemput\"")
    );
}

#[tokio::test]
async fn usernames_are_case_insensitive_at_login() {
    let app = spawn_app().await;
    app.login("ROOT", ROOT_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn me_needs_a_bearer_token() {
    let app = spawn_app().await;
    app.request(Method::GET, "/me", None, None)
        .await
        .assert_problem(401, "unauthorized");
    app.request(Method::GET, "/me", Some("garbage"), None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn refresh_rotates_and_a_spent_token_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.login(ROOT_USER, ROOT_PASSWORD).await;
    let r1 = first.json["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();

    let second = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(&json!({"refresh_token": r1})),
        )
        .await;
    let r2 = second.assert_status(200)["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_ne!(r1, r2);
    // Its successor used, r2 is spent too (the grace window is over for r1).
    let r3 = app.refresh(&r2).await.assert_status(200)["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();

    // Presenting the spent r1 again: 401, and its descendant r3 dies with it.
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(&json!({"refresh_token": r1})),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(&json!({"refresh_token": r3})),
    )
    .await
    .assert_problem(401, "unauthorized");

    // Another login (another family) is untouched.
    let other = app.login(ROOT_USER, ROOT_PASSWORD).await;
    let r4 = other.json["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(&json!({"refresh_token": r4})),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let login = app.login(ROOT_USER, ROOT_PASSWORD).await;
    let access = login.json["access_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let refresh = login.json["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let out = app
        .post("/auth/logout", &access, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(out.status, 204);
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(&json!({"refresh_token": refresh})),
    )
    .await
    .assert_problem(401, "unauthorized");
}

mod attacks {
    use base64::Engine;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn parts(token: &str) -> (String, String, String) {
        let mut it = token.split('.');
        (
            it.next().unwrap_or("").to_string(),
            it.next().unwrap_or("").to_string(),
            it.next().unwrap_or("").to_string(),
        )
    }

    fn payload(token: &str) -> serde_json::Value {
        let (_, p, _) = parts(token);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    async fn assert_rejected(app: &TestApp, token: &str) {
        app.get("/me", token)
            .await
            .assert_problem(401, "unauthorized");
    }

    #[tokio::test]
    async fn alg_none_is_rejected() {
        let app = spawn_app().await;
        let claims = payload(&app.root_token);
        let header = json!({"alg": "none", "typ": "at+jwt"});
        let token = format!(
            "{}.{}.",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        assert_rejected(&app, &token).await;
    }

    #[tokio::test]
    async fn a_tampered_payload_is_rejected() {
        let app = spawn_app().await;
        let (h, _, s) = parts(&app.root_token);
        let mut claims = payload(&app.root_token);
        claims["role"] = json!("admin");
        claims["sub"] = json!(uuid::Uuid::new_v4().to_string());
        let token = format!("{h}.{}.{s}", b64(claims.to_string().as_bytes()));
        assert_rejected(&app, &token).await;
    }

    #[tokio::test]
    async fn an_expired_token_is_rejected() {
        let app = spawn_app().await;
        let mut claims = payload(&app.root_token);
        let now = chrono::Utc::now().timestamp();
        claims["iat"] = json!(now - 7200);
        claims["nbf"] = json!(now - 7200);
        claims["exp"] = json!(now - 3600);
        // Signed with the real key, so only the expiry can reject it.
        let token = sign_with_installation_key(&app, &claims).await;
        assert_rejected(&app, &token).await;
        // The same claims with a future expiry pass: the key and shape are right.
        claims["exp"] = json!(now + 600);
        let ok = sign_with_installation_key(&app, &claims).await;
        app.get("/me", &ok).await.assert_status(200);
    }

    #[tokio::test]
    async fn a_token_signed_with_another_key_is_rejected() {
        let app = spawn_app().await;
        let claims = payload(&app.root_token);
        let (h, _, _) = parts(&app.root_token);
        let header: jsonwebtoken::Header = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap_or_default(),
        )
        .expect("header");
        let token = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&[7u8; 32]),
        )
        .expect("encode");
        assert_rejected(&app, &token).await;
    }

    /// Signs claims with the installation's current key, read from its database.
    async fn sign_with_installation_key(app: &TestApp, claims: &serde_json::Value) -> String {
        let db = app.db.clone();
        let stored = tokio::task::spawn_blocking(move || {
            let mut conn = db.conn().expect("conn");
            jemput::auth::keys::load_or_create(&mut conn).expect("keys")
        })
        .await
        .expect("task");
        let ring = jemput::auth::keys::KeyRing::new(&stored).expect("ring");
        ring.with_signing(|kid, key| {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some(kid.to_string());
            header.typ = Some("at+jwt".into());
            jsonwebtoken::encode(&header, claims, key).expect("encode")
        })
        .expect("sign")
    }
}
