//! `jemput backup` and `jemput restore`: a consistent copy of a running SQLite database under
//! sync load restores to the same figures; restore writes only into an empty data directory.
//! On PostgreSQL both commands explain pg_dump/pg_restore instead, and do nothing.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use diesel::RunQueryDsl;
use jemput::config::Settings;
use jemput::db::{Backend, Db};
use jemput::startup::Application;
use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;
use crate::ops_support::jemput;

/// The reports of Tanah Laut and of one event, as the province's supervisor sees them.
async fn figures(client: &reqwest::Client, base: &str, w: &World, event: &str) -> Vec<Value> {
    let token = &w.kalsel_sup.token;
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/events/{event}/yield"),
        format!(
            "/api/v1/reports/channels?office_id={}&from=2024-01-01&to=2024-12-31",
            w.tala
        ),
        format!(
            "/api/v1/reports/daily?office_id={}&from=2024-03-01&to=2024-03-31&bucket=week",
            w.tala
        ),
        format!(
            "/api/v1/reports/failures?office_id={}&from=2024-01-01&to=2024-12-31",
            w.tala
        ),
        format!(
            "/api/v1/reports/offices?office_id={}&year=2024&from=2024-01-01&to=2024-12-31&as_of=2024-12-31",
            w.kalsel
        ),
    ] {
        let resp = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("report");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        out.push(resp.json().await.expect("json"));
    }
    out
}

/// A server over a restored database file; its address.
async fn serve_restored(path: &Path) -> String {
    let url = path.to_string_lossy().to_string();
    let db = Db::connect(&url, 4).expect("open the restored database");
    let prep = db.clone();
    tokio::task::spawn_blocking(move || jemput::bootstrap::prepare(&prep).expect("migrate"))
        .await
        .expect("task");
    let app = Application::build_with_db(Settings::for_database(&url), db)
        .await
        .expect("serve the restored database");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    address
}

/// The ids of the activations stored in an SQLite file.
fn stored_ids(path: &Path) -> HashSet<String> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    use diesel::Connection;
    let mut c =
        diesel::SqliteConnection::establish(&path.to_string_lossy()).expect("open the copy");
    diesel::sql_query("SELECT id FROM activations")
        .load::<Id>(&mut c)
        .expect("ids")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// The number a backup or restore printed for `table` ("  activations   1,234").
fn printed_rows(out: &str, table: &str) -> i64 {
    out.lines()
        .find_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next() == Some(table))
                .then(|| parts.next())
                .flatten()
                .map(|n| n.replace(',', "").parse::<i64>().expect("a count"))
        })
        .unwrap_or_else(|| panic!("no {table} line in:\n{out}"))
}

/// Batches of 10 items (activated and failed, some with NIKs of citizens who come back) sent
/// by 3 phones until told to stop; every acknowledged id is recorded.
struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn start_load(w: &World, event: &str) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let serial = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (stop, acked, serial) = (stop.clone(), acked.clone(), serial.clone());
        let client = w.app.client.clone();
        let url = w.app.url("/sync/activations");
        let token = w.staff.token.clone();
        let event = event.to_string();
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let items: Vec<Value> = (0..10)
                    .map(|i| {
                        let n = serial.fetch_add(1, Ordering::Relaxed);
                        let mut item = if i % 4 == 3 {
                            failed(&event)
                        } else {
                            activated(&event)
                        };
                        if i % 3 == 0 {
                            // 40 citizens: later ones come back and count once.
                            item["nik"] = json!(test_nik((n % 40) as u32));
                        }
                        item
                    })
                    .collect();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "items": items }))
                    .send()
                    .await
                    .expect("sync sent");
                assert_eq!(resp.status().as_u16(), 200);
                let body: Value = resp.json().await.expect("json");
                let mut acked = acked.lock().expect("lock");
                for r in body["results"].as_array().expect("results") {
                    assert_eq!(r["status"], json!("created"), "{r}");
                    acked.push(r["id"].as_str().expect("id").to_string());
                }
            }
        }));
    }
    Load { stop, acked, tasks }
}

impl Load {
    fn acked(&self) -> Vec<String> {
        self.acked.lock().expect("lock").clone()
    }

    async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.expect("load task");
        }
        let acked = self.acked.lock().expect("lock").clone();
        acked
    }
}

#[tokio::test]
async fn backup_of_a_running_server_under_sync_load_restores_to_the_same_figures() {
    let w = World::new().await;
    let url = w.app.database_url.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jemput-backup.db");
    let file_s = file.to_string_lossy().to_string();

    if backend_under_test() == Backend::Postgres {
        let run = jemput(&["backup", &file_s], &[("DATABASE_URL", url.as_str())]).await;
        run.assert_refused("pg_dump --format=custom");
        assert!(run.stderr.contains("pg_restore"), "{}", run.stderr);
        assert!(!run.stderr.contains(&url), "the URL is never printed");
        assert!(!file.exists());
        let run = jemput(&["restore", &file_s], &[("DATABASE_URL", url.as_str())]).await;
        run.assert_refused("pg_restore --no-owner");
        return;
    }

    let event = w.event(&w.staff.token).await;
    let load = start_load(&w, &event);
    // Let the load get going, then back up while it runs.
    let started = std::time::Instant::now();
    while load.acked().len() < 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60)
                && load.tasks.iter().all(|t| !t.is_finished()),
            "the sync load stopped before it got going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: HashSet<String> = load.acked().into_iter().collect();
    let backup = jemput(&["backup", &file_s], &[("DATABASE_URL", url.as_str())]).await;
    let during = load.acked().len() - before.len();
    let all: HashSet<String> = load.stop().await.into_iter().collect();
    let out = backup.assert_ok().to_string();
    assert!(out.contains("integrity_check ok"), "{out}");
    assert!(
        during > 0,
        "no sync was acknowledged while the backup ran: not a backup under load"
    );

    // Restore into an empty directory and serve it.
    let restored_dir = dir.path().join("restored");
    let restored_s = restored_dir.to_string_lossy().to_string();
    let restore = jemput(&["--data-dir", &restored_s, "restore", &file_s], &[]).await;
    let restore_out = restore.assert_ok().to_string();
    let restored_db = restored_dir.join("jemput.db");

    // The copy is one moment of the database: everything acknowledged before the backup
    // began, nothing that was never sent, and the counts the commands printed.
    let ids = stored_ids(&restored_db);
    assert!(
        before.is_subset(&ids),
        "{} acknowledged syncs missing from the backup",
        before.difference(&ids).count()
    );
    assert!(ids.is_subset(&all), "the backup holds rows nobody sent");
    assert_eq!(printed_rows(&out, "activations"), ids.len() as i64);
    assert_eq!(printed_rows(&restore_out, "activations"), ids.len() as i64);

    // Its reports are its rows' figures: roll-ups and rows come from the same moment.
    let restored = serve_restored(&restored_db).await;
    let restored_figures = figures(&w.app.client, &restored, &w, &event).await;
    let recount = restored_dir.join("recount.db");
    std::fs::copy(&restored_db, &recount).expect("copy");
    let recount_db = Db::connect(&recount.to_string_lossy(), 2).expect("open");
    let rdb = recount_db.clone();
    tokio::task::spawn_blocking(move || {
        rdb.write_blocking(jemput::tallies::rebuild)
            .expect("rebuild the roll-ups from the rows")
    })
    .await
    .expect("task");
    let recount_server = serve_restored(&recount).await;
    assert_eq!(
        restored_figures,
        figures(&w.app.client, &recount_server, &w, &event).await,
        "the restored roll-ups differ from a recount of the restored rows"
    );
    let yield_ = &restored_figures[0];
    let counted = yield_["activated"].as_i64().expect("activated")
        + yield_["failed"].as_i64().expect("failed");
    assert!(counted > 0 && counted <= ids.len() as i64, "{yield_}");

    // With the load stopped, a backup restores to exactly the live server's figures.
    let quiet = dir.path().join("quiet.db");
    let quiet_s = quiet.to_string_lossy().to_string();
    jemput(&["backup", &quiet_s], &[("DATABASE_URL", url.as_str())])
        .await
        .assert_ok();
    let quiet_dir = dir.path().join("quiet-restored");
    jemput(
        &[
            "--data-dir",
            &quiet_dir.to_string_lossy(),
            "restore",
            &quiet_s,
        ],
        &[],
    )
    .await
    .assert_ok();
    assert_eq!(stored_ids(&quiet_dir.join("jemput.db")), all);
    let quiet_server = serve_restored(&quiet_dir.join("jemput.db")).await;
    assert_eq!(
        figures(&w.app.client, &quiet_server, &w, &event).await,
        figures(&w.app.client, &w.app.address, &w, &event).await
    );
    // The restored server is the same installation: the supervisor's token, signed before
    // the backup, works on it (the keys came along).
    let me = w
        .app
        .client
        .get(format!("{quiet_server}/api/v1/me"))
        .bearer_auth(&w.tala_sup.token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status().as_u16(), 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "a backup holds keys: {mode:o}");
    }
}

#[tokio::test]
async fn restore_refuses_a_target_that_is_not_empty_and_changes_nothing() {
    let app = spawn_app().await;
    let url = app.database_url.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("b.db");
    let file_s = file.to_string_lossy().to_string();
    if backend_under_test() == Backend::Postgres {
        jemput(&["restore", &file_s], &[("DATABASE_URL", url.as_str())])
            .await
            .assert_refused("pg_restore");
        return;
    }
    jemput(&["backup", &file_s], &[("DATABASE_URL", url.as_str())])
        .await
        .assert_ok();

    // A directory with something in it.
    let busy = dir.path().join("busy");
    std::fs::create_dir_all(&busy).expect("dir");
    std::fs::write(busy.join("notes.txt"), "keep me").expect("write");
    jemput(
        &["--data-dir", &busy.to_string_lossy(), "restore", &file_s],
        &[],
    )
    .await
    .assert_refused("empty data directory");
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).expect("kept"),
        "keep me"
    );
    assert!(!busy.join("jemput.db").exists());

    // The running server's own database: refused, and the server keeps answering.
    jemput(&["restore", &file_s], &[("DATABASE_URL", url.as_str())])
        .await
        .assert_refused("empty data directory");
    app.get("/me", &app.root_token).await.assert_status(200);

    // A file that is not a backup: refused before anything is written.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all").expect("write");
    let empty = dir.path().join("empty");
    jemput(
        &[
            "--data-dir",
            &empty.to_string_lossy(),
            "restore",
            &junk.to_string_lossy(),
        ],
        &[],
    )
    .await
    .assert_refused("did not verify");
    assert!(
        std::fs::read_dir(&empty)
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "a refused restore left files behind"
    );

    // A backup never overwrites a file, and needs a database to copy.
    jemput(&["backup", &file_s], &[("DATABASE_URL", url.as_str())])
        .await
        .assert_refused("never overwrites");
    jemput(
        &[
            "--data-dir",
            &dir.path().join("none").to_string_lossy(),
            "backup",
            &dir.path().join("x.db").to_string_lossy(),
        ],
        &[],
    )
    .await
    .assert_refused("there is no database");

    // The same backup restores into an empty directory (a tls folder of certificates may
    // already be there).
    let fresh = dir.path().join("fresh");
    std::fs::create_dir_all(fresh.join("tls")).expect("dir");
    jemput(
        &["--data-dir", &fresh.to_string_lossy(), "restore", &file_s],
        &[],
    )
    .await
    .assert_ok();
    assert!(fresh.join("jemput.db").is_file());
}
