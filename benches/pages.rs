//! The web app's pages at the nation's scope, over the report benchmark's data.
//!
//! ```text
//! cargo bench --bench pages -- --activations 1000000 [--database-url postgres://…/postgres] [--iterations 20]
//! ```
//! Generates the same activations as `benches/reports.rs` (514 regencies under 38
//! provinces, 11 channels, one year) straight into a fresh database, or reuses the one
//! `--keep` names (as `benches/reports.rs` does, so both can share one), signs the national
//! admin in through `/app/login`, then times every page (p50/p99 of `--iterations` loads
//! over loopback, the HTML only: the server's time plus a loopback transfer) and measures
//! what a first visit transfers (the page and its stylesheet, gzip as a browser asks).

use std::time::{Duration, Instant};

use jemput::config::Settings;
use jemput::db::{Backend, Db};

#[allow(dead_code)]
#[path = "reports.rs"]
mod data;

fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("jemput_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // reqwest is built without a TLS provider of its own (the tests and benches share
    // jemput's aws-lc-rs): install it before the first client, as reports.rs does.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = data::args_with(20);
    let (url, _dir, kept) = data::bench_database(&args.database_url, &args.keep);
    let backend = Backend::from_url(&url);
    let db = Db::connect(&url, 8).expect("open");
    let (gen_db, n, rebuild) = (db.clone(), args.activations, args.rebuild);
    let started = Instant::now();
    let generated =
        tokio::task::spawn_blocking(move || data::ready_data(&gen_db, n, kept, rebuild))
            .await
            .expect("generate");
    eprintln!("  data ready in {:.1?}", started.elapsed());

    let mut settings = Settings::for_database(&url);
    settings.workers = Some(2);
    let app = jemput::startup::Application::build_with_db(settings, db.clone())
        .await
        .expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .post(format!("{base}/app/login"))
        .header("origin", base.clone())
        .form(&[
            ("username", "root"),
            ("password", data::PASSWORD),
            ("next", "/app/"),
        ])
        .send()
        .await
        .expect("sign in");
    let cookie = session_cookie(&login).expect("signed in");

    // One event of the nation, for its review page.
    let events_page = client
        .get(format!("{base}/app/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("events")
        .text()
        .await
        .expect("text");
    let event = events_page
        .split("href=\"/app/events/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|id| format!("/app/events/{id}"))
        .expect("an event");

    let nation = &generated.nation;
    let year = "from=2025-01-01&to=2025-12-31";
    let pages: Vec<(&str, String)> = vec![
        (
            "overview",
            format!("/app/?office_id={nation}&{year}&year=2025&as_of=2025-12-31"),
        ),
        (
            "channels",
            format!("/app/reports/channels?office_id={nation}&{year}"),
        ),
        (
            "progress",
            format!("/app/reports/progress?office_id={nation}&year=2025&as_of=2025-12-31"),
        ),
        (
            "daily",
            format!("/app/reports/daily?office_id={nation}&{year}"),
        ),
        (
            "offices",
            format!("/app/reports/offices?office_id={nation}&{year}&year=2025&as_of=2025-12-31"),
        ),
        (
            "failures",
            format!("/app/reports/failures?office_id={nation}&{year}"),
        ),
        (
            "staff",
            format!("/app/reports/staff?office_id={nation}&{year}"),
        ),
        (
            "coverage",
            format!("/app/reports/coverage?office_id={nation}&{year}"),
        ),
        ("events", "/app/events".to_string()),
        ("event", event),
        ("users", "/app/users".to_string()),
        ("offices-admin", "/app/offices".to_string()),
        ("targets", "/app/targets".to_string()),
        (
            "xlsx channels",
            format!("/app/reports/channels/download?format=xlsx&office_id={nation}&{year}"),
        ),
    ];
    println!();
    println!(
        "backend: {}   activations: {}   scope: nation   iterations: {}",
        backend.name(),
        args.activations,
        args.iterations
    );
    println!(
        "{:<14} {:>9} {:>9} {:>10} {:>10} {:>6}",
        "page", "p50 ms", "p99 ms", "HTML KB", "gzip KB", "loads"
    );
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(args.iterations);
        let begun = Instant::now();
        let mut size = 0usize;
        for i in 0..args.iterations + 2 {
            // Slow pages get fewer samples: at least five, at most ~20 s each.
            if i >= 7 && begun.elapsed() > Duration::from_secs(20) {
                break;
            }
            let t = Instant::now();
            let resp = client
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await
                .expect("send");
            let status = resp.status();
            let body = resp.bytes().await.expect("body");
            assert!(status.is_success(), "{url}: {status}");
            size = body.len();
            if i >= 2 {
                times.push(t.elapsed());
            }
        }
        times.sort();
        let gzip = client
            .get(&url)
            .header("cookie", &cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body")
            .len();
        println!(
            "{:<14} {:>9.2} {:>9.2} {:>10.1} {:>10.1} {:>6}",
            name,
            data::pct(&times, 0.5),
            data::pct(&times, 0.99),
            size as f64 / 1024.0,
            gzip as f64 / 1024.0,
            times.len()
        );
    }

    // A first visit: the sign-in page and the stylesheet, then the overview.
    let gz = |path: String| {
        let client = client.clone();
        let cookie = cookie.clone();
        async move {
            client
                .get(path)
                .header("cookie", cookie)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body")
                .len()
        }
    };
    let login_html = client
        .get(format!("{base}/app/login"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("send")
        .bytes()
        .await
        .expect("body")
        .len();
    let overview_html = gz(format!("{base}{}", pages[0].1)).await;
    let css_path = events_page
        .split("href=\"/app/static/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|name| format!("{base}/app/static/{name}"))
        .expect("stylesheet");
    let css = gz(css_path).await;
    println!();
    println!(
        "first load (gzip): sign-in page {:.1} KB + stylesheet {:.1} KB; then the overview {:.1} KB; total {:.1} KB (no script, no font, no image files)",
        login_html as f64 / 1024.0,
        css as f64 / 1024.0,
        overview_html as f64 / 1024.0,
        (login_html + css + overview_html) as f64 / 1024.0
    );
}
