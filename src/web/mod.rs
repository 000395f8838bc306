//! The supervisors' and admins' web app under `/app/`: server-rendered pages (askama templates
//! compiled into the binary), charts drawn as SVG on the server, no script at all, a
//! server-side session with CSRF protection. Pages call the same services as the API, so
//! they read the same roll-ups and apply the same role and scope rules.

pub mod admin;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod events;
pub mod field;
pub mod fmt;
pub mod page;
pub mod pages;
pub mod reports;
pub mod security;
pub mod session;

use actix_web::web;

/// Mounts `/app` (the caller adds it to the server beside the API).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(field::configure);
    cfg.service(web::redirect("/app", "/app/").see_other())
        .service(
            web::scope("/app")
                .route("/", web::get().to(pages::overview))
                .service(
                    web::resource("/login")
                        .route(web::get().to(pages::login_form))
                        .route(web::post().to(pages::login)),
                )
                .route("/logout", web::post().to(pages::logout))
                .route("/lang", web::get().to(pages::switch_lang))
                .route("/static/{name}", web::get().to(assets::serve))
                .route("/reports/{kind}", web::get().to(reports::page))
                .route("/reports/{kind}/download", web::get().to(reports::download))
                .route("/events", web::get().to(events::list))
                .route("/events/{id}", web::get().to(events::show))
                .route("/events/{id}/approve", web::post().to(events::approve))
                .route("/events/{id}/return", web::post().to(events::give_back))
                .service(
                    web::resource("/users")
                        .route(web::get().to(admin::users))
                        .route(web::post().to(admin::create_user)),
                )
                .route("/users/{id}", web::post().to(admin::update_user))
                .service(
                    web::resource("/offices")
                        .route(web::get().to(admin::offices))
                        .route(web::post().to(admin::create_office)),
                )
                .route("/offices/{id}", web::post().to(admin::update_office))
                .service(
                    web::resource("/targets")
                        .route(web::get().to(admin::targets))
                        .route(web::post().to(admin::set_target)),
                )
                .default_service(web::to(pages::not_found)),
        );
}
