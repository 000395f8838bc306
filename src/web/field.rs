//! The field officers' offline app under `/field/`: a small installable web app (PWA) with a
//! service worker, compiled into the binary like the rest. It talks only to the JSON API
//! (`/api/v1`); this module only serves its files.
//!
//! Caching: every file is served with `Cache-Control: no-cache` and an `ETag`, so the
//! browser revalidates cheaply and the service worker's update check (it fetches `sw.js`)
//! sees a new version at once. `sw.js` carries the app's version (a hash of all the files,
//! plus `JEMPUT_FIELD_RELEASE` when set): a new binary with other files, or another release
//! label, is a new service worker, which caches the new shell beside the old one and waits
//! until the officer applies it (see `field/sw.js`, `field/app.js`).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::state::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// The files of the app; the shell the service worker caches is all of them.
const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("field/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("field/app.js"),
    },
    Asset {
        name: "sw.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("field/sw.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("field/app.css"),
    },
    Asset {
        name: "manifest.webmanifest",
        content_type: "application/manifest+json",
        body: include_bytes!("field/manifest.webmanifest"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("field/icon.svg"),
    },
    Asset {
        name: "icon-192.png",
        content_type: "image/png",
        body: include_bytes!("field/icon-192.png"),
    },
    Asset {
        name: "icon-512.png",
        content_type: "image/png",
        body: include_bytes!("field/icon-512.png"),
    },
];

/// Where the version goes in `index.html` and `sw.js`.
const VERSION_MARK: &str = "__JEMPUT_FIELD_VERSION__";

fn files_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.name.as_bytes());
            h.update((a.body.len() as u64).to_le_bytes());
            h.update(a.body);
        }
        hex::encode(h.finalize())[..12].to_string()
    })
}

/// The app's version: its files' hash, and the release label when one is set.
pub fn version(release: Option<&str>) -> String {
    match release {
        Some(r) => format!("{}-{r}", files_hash()),
        None => files_hash().to_string(),
    }
}

/// `/field/` and `/field/{name}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::redirect("/field", "/field/").see_other())
        .service(
            web::scope("/field")
                .route("/", web::get().to(index))
                .route("/{name}", web::get().to(file)),
        );
}

async fn index(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&req, &state, "index.html")
}

async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    serve(&req, &state, &name)
}

fn serve(req: &HttpRequest, state: &AppState, name: &str) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("not found");
    };
    let version = version(state.settings.field_release.as_deref());
    // The version is a hash of every file (and the release label), so it and the file's name
    // identify the body: nothing to hash per request.
    let etag = header::EntityTag::new_strong(format!("{version}.{}", asset.name));
    let fresh = match <header::IfNoneMatch as header::Header>::parse(req).ok() {
        Some(header::IfNoneMatch::Any) => true,
        Some(header::IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
        None => false,
    };
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header(header::ETag(etag))
        // Revalidate every time: a phone online always gets the current files, and the
        // service worker serves its own copy when offline.
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        return res.finish();
    }
    let body: Vec<u8> = if matches!(asset.name, "index.html" | "sw.js") {
        String::from_utf8_lossy(asset.body)
            .replace(VERSION_MARK, &version)
            .into_bytes()
    } else {
        asset.body.to_vec()
    };
    res.content_type(asset.content_type).body(body)
}
