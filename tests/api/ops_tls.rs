//! HTTPS built in: `jemput tls self-signed` writes a local authority and a certificate, and
//! `serve` with `JEMPUT_TLS_CERT`/`JEMPUT_TLS_KEY` answers a TLS client that trusts it; the
//! redirect bind sends plain HTTP to HTTPS.

use std::path::Path;

use serde_json::json;

use crate::helpers::*;
use crate::ops_support::jemput;

/// Generates the certificate files with the command, into `dir/tls/`.
async fn generate(dir: &Path) -> String {
    let run = jemput(
        &[
            "--data-dir",
            &dir.to_string_lossy(),
            "tls",
            "self-signed",
            "--host",
            "jemput.kantor.local",
            "--host",
            "127.0.0.1",
        ],
        &[],
    )
    .await;
    run.assert_ok().to_string()
}

/// An app serving HTTPS with a generated certificate and a redirect bind, over a fresh
/// database of the backend under test.
async fn spawn_tls_app(dir: &Path) -> TestApp {
    let tls = dir.join("tls");
    spawn_app_with(|s| {
        s.tls_cert = Some(tls.join("cert.pem"));
        s.tls_key = Some(tls.join("key.pem"));
        s.http_redirect_bind = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await
}

#[tokio::test]
async fn https_serve_with_a_generated_certificate_answers_a_tls_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = generate(dir.path()).await;
    for (file, says) in [
        ("cert.pem", "JEMPUT_TLS_CERT="),
        ("key.pem", "JEMPUT_TLS_KEY="),
        ("ca.pem", "what phones trust"),
    ] {
        let path = std::path::absolute(dir.path().join("tls").join(file)).expect("path");
        assert!(path.is_file(), "{file} not written");
        assert!(
            out.contains(&path.to_string_lossy().to_string()),
            "{file}'s path not printed:\n{out}"
        );
        assert!(out.contains(says), "{says} missing:\n{out}");
    }
    assert!(
        out.contains("Android") && out.contains("CA certificate"),
        "{out}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
    }

    // spawn_app logged the root admin in over HTTPS already; the API and health answer.
    let app = spawn_tls_app(dir.path()).await;
    assert!(app.address.starts_with("https://"), "{}", app.address);
    let health = app
        .request(reqwest::Method::GET, "/healthz", None, None)
        .await;
    assert_eq!(health.assert_status(200)["status"], json!("ok"));
    let me = app.get("/me", &app.root_token).await;
    assert_eq!(me.assert_status(200)["username"], json!(ROOT_USER));
    let ready = app
        .request(reqwest::Method::GET, "/readyz", None, None)
        .await;
    ready.assert_status(200);

    // The web app's sign-in over jemput's own TLS: the session cookie is Secure and
    // `__Host-` named, with no proxy header involved.
    let signed_in = app
        .client
        .post(format!("{}/app/login", app.address))
        .header("origin", app.address.as_str())
        .form(&[("username", ROOT_USER), ("password", ROOT_PASSWORD)])
        .send()
        .await
        .expect("web sign-in over https");
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cookie.starts_with("__Host-"), "{cookie}");
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // A client that does not trust the local authority is refused.
    let untrusting = reqwest::Client::builder()
        .use_preconfigured_tls(
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        )
        .build()
        .expect("client");
    assert!(untrusting
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .is_err());

    // TLS 1.2 only: still served (TLS 1.2 is the floor, not 1.3).
    let mut tls12 = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .expect("versions")
    .with_root_certificates({
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        for c in CertificateDer::pem_file_iter(dir.path().join("tls/ca.pem")).expect("ca") {
            roots.add(c.expect("pem")).expect("add");
        }
        roots
    })
    .with_no_client_auth();
    tls12.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client12 = reqwest::Client::builder()
        .use_preconfigured_tls(tls12)
        .build()
        .expect("client");
    let resp = client12
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("TLS 1.2 request");
    assert_eq!(resp.status().as_u16(), 200);

    // Plain HTTP on the HTTPS port gets no answer of the app.
    install_crypto_provider();
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", app.port))
        .send()
        .await;
    assert!(
        plain
            .as_ref()
            .map(|r| r.status().as_u16() != 200)
            .unwrap_or(true),
        "plain HTTP was served on the HTTPS port"
    );
}

#[tokio::test]
async fn the_redirect_bind_sends_plain_http_to_https() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path()).await;
    let app = spawn_tls_app(dir.path()).await;
    let redirect = app.redirect_port.expect("a redirect port");
    install_crypto_provider();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let get = plain
        .get(format!(
            "http://127.0.0.1:{redirect}/api/v1/reports/daily?from=2024-01-01&bucket=month"
        ))
        .send()
        .await
        .expect("redirect answer");
    assert_eq!(get.status().as_u16(), 308);
    let location = get
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert_eq!(
        location,
        format!(
            "https://127.0.0.1:{}/api/v1/reports/daily?from=2024-01-01&bucket=month",
            app.port
        )
    );
    // The location works for a client that trusts the certificate.
    let followed = app
        .send(app.client.get(&location).bearer_auth(&app.root_token))
        .await;
    followed.assert_status(200);

    // A POST keeps its method through a 308, and nothing is served over plain HTTP.
    let post = plain
        .post(format!("http://127.0.0.1:{redirect}/api/v1/auth/login"))
        .json(&json!({"username": ROOT_USER, "password": ROOT_PASSWORD}))
        .send()
        .await
        .expect("redirect answer");
    assert_eq!(post.status().as_u16(), 308);
    assert!(post.headers().get("set-cookie").is_none());
    assert_eq!(post.text().await.expect("body"), "");

    // The Host header decides the name (how the phone reached the server); a hostile one is
    // refused with a problem, not echoed.
    let named = plain
        .get(format!("http://127.0.0.1:{redirect}/healthz"))
        .header("host", "jemput.kantor.local:8080")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        named
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("https://jemput.kantor.local:{}/healthz", app.port).as_str())
    );
    let hostile = plain
        .get(format!("http://127.0.0.1:{redirect}/healthz"))
        .header("host", "evil.example/x?")
        .send()
        .await
        .expect("answer");
    assert_eq!(hostile.status().as_u16(), 400);
    assert!(hostile.headers().get("location").is_none());
}

#[tokio::test]
async fn tls_settings_that_cannot_work_stop_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_string_lossy().to_string();
    let cert = dir
        .path()
        .join("tls/cert.pem")
        .to_string_lossy()
        .to_string();
    let key = dir.path().join("tls/key.pem").to_string_lossy().to_string();
    let serve = |env: Vec<(&'static str, String)>| {
        let data = data.clone();
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            jemput(
                &["--data-dir", &data, "--bind", "127.0.0.1:0", "serve"],
                &env,
            )
            .await
        }
    };
    // The files do not exist yet.
    serve(vec![
        ("JEMPUT_TLS_CERT", cert.clone()),
        ("JEMPUT_TLS_KEY", key.clone()),
    ])
    .await
    .assert_refused("JEMPUT_TLS_CERT");
    generate(dir.path()).await;
    serve(vec![("JEMPUT_TLS_CERT", cert.clone())])
        .await
        .assert_refused("set both JEMPUT_TLS_CERT and JEMPUT_TLS_KEY");
    serve(vec![("JEMPUT_HTTP_REDIRECT_BIND", "127.0.0.1:0".into())])
        .await
        .assert_refused("JEMPUT_HTTP_REDIRECT_BIND");
    // A key that is not the certificate's: the authority's chain with the server key swapped.
    let other = tempfile::tempdir().expect("tempdir");
    generate(other.path()).await;
    serve(vec![
        ("JEMPUT_TLS_CERT", cert.clone()),
        (
            "JEMPUT_TLS_KEY",
            other
                .path()
                .join("tls/key.pem")
                .to_string_lossy()
                .to_string(),
        ),
    ])
    .await
    .assert_refused("does not fit");

    // Generating again keeps what phones trust unless told otherwise.
    let again = jemput(
        &[
            "--data-dir",
            &data,
            "tls",
            "self-signed",
            "--host",
            "x.local",
        ],
        &[],
    )
    .await;
    again.assert_refused("--force");
    let bad = jemput(
        &[
            "--data-dir",
            &data,
            "tls",
            "self-signed",
            "--host",
            "bad host/",
        ],
        &[],
    )
    .await;
    bad.assert_refused("not a host name");
    let forced = jemput(
        &[
            "--data-dir",
            &data,
            "tls",
            "self-signed",
            "--host",
            "x.local",
            "--force",
        ],
        &[],
    )
    .await;
    assert!(forced.assert_ok().contains("x.local"));
}
