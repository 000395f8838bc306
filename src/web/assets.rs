//! The stylesheet, compiled into the binary and served under a name carrying its hash, so
//! it can be cached for a year and a new release is never shown with an old style.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("assets/app.css");

fn css_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("app-{}.css", &digest[..12])
    })
}

pub fn css_url() -> String {
    format!("/app/static/{}", css_name())
}

pub async fn serve(name: web::Path<String>) -> HttpResponse {
    if name.as_str() == css_name() {
        HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(CSS)
    } else {
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found")
    }
}
