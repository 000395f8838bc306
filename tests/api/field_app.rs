//! The field app's files under `/field/`: served from the binary with their types, a CSP
//! that lets its own script, worker and manifest run (and only there), revalidation by
//! ETag, and a version that changes with the release label. Its behaviour offline is tested
//! in a real browser (tests/browser/test_field.py).

use crate::helpers::*;

async fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(tag) = etag {
        req = req.header("If-None-Match", tag);
    }
    req.send().await.expect("sent")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_field_app_is_served_with_types_csp_and_etags() {
    let app = spawn_app().await;
    let mut total = 0;
    for (path, kind) in [
        ("/field/", "text/html; charset=utf-8"),
        ("/field/app.js", "text/javascript; charset=utf-8"),
        ("/field/sw.js", "text/javascript; charset=utf-8"),
        ("/field/app.css", "text/css; charset=utf-8"),
        ("/field/manifest.webmanifest", "application/manifest+json"),
        ("/field/icon.svg", "image/svg+xml"),
        ("/field/icon-192.png", "image/png"),
        ("/field/icon-512.png", "image/png"),
    ] {
        let r = fetch(&app, path, None).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), kind, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        let csp = header(&r, "content-security-policy");
        for rule in [
            "script-src 'self'",
            "worker-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(rule), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        let etag = header(&r, "etag");
        assert!(etag.starts_with('"') && etag.len() > 2, "{path}: {etag}");
        if path != "/field/icon-512.png" {
            total += r.bytes().await.expect("body").len();
        }
        // Unchanged: 304 without a body, so a phone online revalidates cheaply.
        let again = fetch(&app, path, Some(&etag)).await;
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.bytes().await.expect("body").is_empty());
    }
    // What a first visit loads (the page, script, style, manifest and an icon).
    assert!(total < 150_000, "{total} bytes");

    let manifest: serde_json::Value = fetch(&app, "/field/manifest.webmanifest", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(manifest["scope"], "/field/");
    assert_eq!(manifest["start_url"], "/field/");

    let r = fetch(&app, "/field", None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(header(&r, "location"), "/field/");
    let r = fetch(&app, "/field/secret.txt", None).await;
    assert_eq!(r.status(), 404);
    let r = fetch(&app, "/field/../Cargo.toml", None).await;
    assert_eq!(r.status(), 404);

    // The supervisors' app keeps its own CSP: no worker, no manifest.
    let r = fetch(&app, "/app/login", None).await;
    let csp = header(&r, "content-security-policy");
    assert!(!csp.contains("worker-src"), "{csp}");
}

#[tokio::test]
async fn a_release_label_gives_the_service_worker_a_new_version() {
    let plain = spawn_app().await;
    let labelled = spawn_app_with(|s| s.field_release = Some("r2".into())).await;
    let version = |js: &str| {
        js.lines()
            .find(|l| l.starts_with("const VERSION = '"))
            .map(|l| {
                l.trim_start_matches("const VERSION = '")
                    .trim_end_matches("';")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let a = fetch(&plain, "/field/sw.js", None)
        .await
        .text()
        .await
        .expect("text");
    let b = fetch(&labelled, "/field/sw.js", None)
        .await
        .text()
        .await
        .expect("text");
    let (va, vb) = (version(&a), version(&b));
    assert_eq!(va.len(), 12, "{a}");
    assert_eq!(vb, format!("{va}-r2"));
    // The page shows the same version as its worker.
    let page = fetch(&labelled, "/field/", None)
        .await
        .text()
        .await
        .expect("text");
    assert!(page.contains(&format!("<span id=\"version\">{vb}</span>")));
}
