//! The commands of the `jemput` binary: a module of the binary (`src/main.rs`), not of the
//! library, which it drives like any other user of it.

use std::io::IsTerminal;

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::demo;
use jemput::auth::keys;
use jemput::config::{
    Cli, Command, InitArgs, KeysAction, SeedKind, Settings, TlsAction, UsersAction,
};
use jemput::db::Db;
use jemput::startup::Application;
use jemput::{admin, areas, bootstrap, telemetry};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    telemetry::init_tracing(cli.settings.log_format);
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let db = open(&settings)?;
            let applied = blocking(move || bootstrap::prepare(&db)).await?;
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                println!(
                    "Applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
            Ok(())
        }
        Command::Init(args) => init(settings, args).await,
        Command::Seed { what } => match what {
            SeedKind::Demo => {
                let db = open(&settings)?;
                let summary = blocking(move || {
                    bootstrap::prepare(&db)?;
                    demo::load(&db)
                })
                .await?;
                print_demo(&summary);
                Ok(())
            }
            SeedKind::Wilayah => {
                let db = open(&settings)?;
                blocking(move || bootstrap::prepare(&db).map(|_| db))
                    .await
                    .and_then(|db| load_areas(&db))
            }
        },
        Command::Keys { action } => {
            let db = open(&settings)?;
            blocking(move || bootstrap::prepare(&db).map(|_| db)).await.and_then(|db| match action {
                KeysAction::Rotate => {
                    let stored = db.write_blocking(keys::rotate)?;
                    println!("Now signing with key {}; older keys stay valid until their tokens expire.", stored.current);
                    Ok(())
                }
                KeysAction::List => {
                    let stored = db.write_blocking(keys::load_or_create)?;
                    for k in stored.keys {
                        let mark = if k.kid == stored.current { " (current)" } else { "" };
                        println!("{}  created {}{mark}", k.kid, k.created_at);
                    }
                    Ok(())
                }
            })
        }
        Command::Backup { file } => {
            let url = settings.resolved_database_url()?;
            let done = blocking(move || admin::backup::backup(&url, &file)).await?;
            println!(
                "Backed up to {} ({} bytes, schema {}); integrity_check ok. Rows:",
                done.file.display(),
                thousands(done.bytes as i64),
                done.schema
            );
            print_counts(&done.counts);
            Ok(())
        }
        Command::Restore { file } => {
            let url = settings.resolved_database_url()?;
            let done = blocking(move || admin::backup::restore(&url, &file)).await?;
            println!(
                "Restored {} (schema {}); integrity_check ok. Rows:",
                done.file.display(),
                done.schema
            );
            print_counts(&done.counts);
            println!("Start the server on it: `jemput serve` (it applies newer migrations).");
            Ok(())
        }
        Command::Tls {
            action: TlsAction::SelfSigned { hosts, force },
        } => {
            let dir = settings.data_dir.clone();
            let made = jemput::tls::self_signed(&dir, &hosts, force)?;
            print_tls(&made, &settings);
            Ok(())
        }
        Command::Users { action } => users(settings, action).await,
    }
}

/// `jemput users ...`: works on the database directly, no login, server running or not.
async fn users(settings: Settings, action: UsersAction) -> anyhow::Result<()> {
    let url = settings.resolved_database_url()?;
    if jemput::db::Backend::from_url(&url) == jemput::db::Backend::Sqlite
        && !std::path::Path::new(&url).is_file()
    {
        anyhow::bail!("there is no database at {url} (check JEMPUT_DATA_DIR or DATABASE_URL)");
    }
    let db = open(&settings)?;
    match action {
        UsersAction::List { role } => {
            let role = match role {
                Some(r) => Some(
                    jemput::domain::Role::parse("--role", r.trim())
                        .map_err(|e| anyhow::anyhow!("--role: {}", e.message.en))?,
                ),
                None => None,
            };
            let accounts = blocking(move || {
                let mut conn = db.conn()?;
                Ok(admin::users::list(&mut conn, role)?)
            })
            .await?;
            let width = accounts.iter().map(|a| a.username.len()).max().unwrap_or(8);
            for a in &accounts {
                let inactive = if a.active { "" } else { "  (deactivated)" };
                println!(
                    "{:width$}  {:11}  {:6}  {}{inactive}",
                    a.username, a.role, a.office_code, a.office_name
                );
            }
            if accounts.is_empty() {
                println!("No accounts.");
            }
            Ok(())
        }
        UsersAction::ResetPassword { username } => {
            let given = std::env::var("JEMPUT_NEW_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            let reset =
                blocking(move || admin::users::reset_password(&db, &username, given.as_deref()))
                    .await?;
            println!(
                "Set a new password for {}; every token and session it had is revoked.",
                reset.username
            );
            if let Some(p) = reset.generated {
                println!("  new password (shown only this once): {p}");
            }
            if !reset.active {
                println!(
                    "  The account is deactivated: an admin must reactivate it before it can log in."
                );
            }
            Ok(())
        }
    }
}

/// Rows per table, in columns.
fn print_counts(counts: &[(String, i64)]) {
    let width = counts.iter().map(|(t, _)| t.len()).max().unwrap_or(8);
    for (table, n) in counts {
        println!("  {table:width$}  {:>12}", thousands(*n));
    }
}

/// Where the files went, how to serve them, and how to make phones trust them.
fn print_tls(made: &jemput::tls::Generated, settings: &Settings) {
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    println!(
        "Wrote a certificate for {} (valid until {}), signed by a new local authority:",
        made.hosts.join(", "),
        made.not_after
    );
    println!("  certificate chain: {}", abs(&made.cert).display());
    println!(
        "  private key:       {}  (keep it secret)",
        abs(&made.key).display()
    );
    println!(
        "  authority:         {}  (what phones trust)",
        abs(&made.ca_cert).display()
    );
    println!();
    println!("Serve HTTPS with them (e.g. in the environment file of the service):");
    println!("  JEMPUT_TLS_CERT={}", abs(&made.cert).display());
    println!("  JEMPUT_TLS_KEY={}", abs(&made.key).display());
    println!(
        "  JEMPUT_HTTP_REDIRECT_BIND=0.0.0.0:80   # optional: plain HTTP answers with a redirect"
    );
    let port = settings.bind.port();
    println!(
        "then open https://{}:{port}/healthz from a phone.",
        made.hosts[0]
    );
    println!();
    println!("Make an Android phone trust it (once per phone; Chrome and the field app follow):");
    println!("  1. Copy ca.pem to the phone (USB, or a shared folder).");
    println!("  2. Settings > Security and privacy > More security settings > Encryption and credentials");
    println!("     > Install a certificate > CA certificate (menu names vary a little by maker), confirm,");
    println!("     and pick ca.pem.");
    println!(
        "  3. It shows under Trusted credentials > User. Remove it there to stop trusting it."
    );
    println!("On a PC, import ca.pem as a trusted root authority of the browser or the system.");
}

/// Loads the embedded regions (replacing what the table held) and says what and how fast.
fn load_areas(db: &Db) -> anyhow::Result<()> {
    let report = areas::seed::load(db)?;
    println!("Loaded Indonesia's regions from {}:", areas::seed::SOURCE);
    println!(
        "  {} in {:.2} s (parse {:.2} s, database {:.2} s).",
        report.counts,
        (report.parse + report.write).as_secs_f64(),
        report.parse.as_secs_f64(),
        report.write.as_secs_f64()
    );
    if report.counts != areas::seed::Counts::EXPECTED {
        anyhow::bail!(
            "the database holds {}, expected {}",
            report.counts,
            areas::seed::Counts::EXPECTED
        );
    }
    Ok(())
}

/// Says what the demo load stored, the logins, and what to try first.
fn print_demo(s: &demo::Summary) {
    println!(
        "Loaded the demo data: {} offices, {} accounts, {} events and {} activation attempts in {}",
        s.offices,
        s.logins.len(),
        thousands(s.events as i64),
        thousands(s.attempts as i64),
        demo::data::YEAR
    );
    println!(
        "({} counted activations, {} failed attempts, {} repeat citizens, {} voided).",
        thousands(s.activated),
        thousands(s.failed),
        s.repeat_citizens,
        s.voided
    );
    println!();
    println!("Demo logins (every password: {}):", demo::data::PASSWORD);
    let width = s.logins.iter().map(|l| l.username.len()).max().unwrap_or(8);
    for l in &s.logins {
        println!("  {:width$}  {:11}  {}", l.username, l.role, l.office);
    }
    println!();
    println!(
        "Try: `jemput serve`, log in as tanahlaut.supervisor and GET \
         /api/v1/reports/channels?from=2024-03-11&to=2024-04-09 (Ramadan 2024 in Tanah Laut); \
         the README's \"Try it with the demo data\" goes on from there."
    );
}

/// 12345 -> "12,345".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn open(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.resolved_database_url()?;
    Db::connect(&url, 2)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    actix_web::web::block(f)
        .await
        .map_err(|e| anyhow::anyhow!("task failed: {e}"))?
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind;
    let app = Application::build(settings).await?;
    let db = app.state().db.clone();
    let backend = db.backend().name();
    // A database set up by `serve` alone (not `init`) still gets the regions, once.
    let loader = db.clone();
    match blocking(move || areas::seed::load_if_empty(&loader)).await {
        Ok(Some(report)) => tracing::info!(
            areas = report.counts.total(),
            seconds = (report.parse + report.write).as_secs_f64(),
            "loaded the embedded regions into an empty areas table"
        ),
        Ok(None) => {}
        // Another server starting at the same moment may have loaded them first.
        Err(e) => {
            tracing::warn!(error = %e, "could not load the embedded regions; run `jemput seed wilayah`")
        }
    }
    if let Some((username, password)) = blocking(move || bootstrap::ensure_admin(&db)).await? {
        println!();
        println!("  Created the first admin account (shown only this once):");
        println!("    username: {username}");
        println!("    password: {password}");
        println!(
            "  Log in and change it: PATCH /api/v1/users/{{id}} with {{\"password\": \"...\"}}."
        );
        println!();
    }
    let scheme = if app.is_tls() { "https" } else { "http" };
    match app.redirect_port() {
        Some(redirect) => tracing::info!(
            %bind, port = app.port(), backend, scheme, redirect_port = redirect,
            "jemput is listening; plain HTTP on the redirect port is sent to HTTPS"
        ),
        None => tracing::info!(%bind, port = app.port(), backend, scheme, "jemput is listening"),
    }
    app.run_until_stopped().await.context("server failed")
}

async fn init(settings: Settings, args: InitArgs) -> anyhow::Result<()> {
    let password = match std::env::var("JEMPUT_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => secrecy::SecretString::from(p),
        _ if std::io::stdin().is_terminal() => {
            eprint!("Password for {}: ", args.admin_username);
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            secrecy::SecretString::from(line.trim_end_matches(['\r', '\n']).to_string())
        }
        _ => anyhow::bail!("set JEMPUT_ADMIN_PASSWORD (or run init on a terminal to be asked)"),
    };
    let db = open(&settings)?;
    let username = args.admin_username.clone();
    let db = blocking(move || {
        bootstrap::prepare(&db)?;
        bootstrap::init(&db, &args, password.expose_secret()).map(|_| db)
    })
    .await?;
    println!("Created the root office and the admin account {username}.");
    blocking(move || load_areas(&db)).await?;
    println!("Start the server with `jemput serve`.");
    Ok(())
}
