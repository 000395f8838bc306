//! Report latency at the scale of a province and a nation.
//!
//! ```text
//! cargo bench --bench reports -- --activations 1000000 [--database-url postgres://…/postgres] [--iterations 30]
//! ```
//! Generates the activations (514 regencies under 38 provinces, 11 channels, one year,
//! about 50 attempts an event) straight into a fresh database, with the roll-ups the sync
//! would have kept, then times every report endpoint through HTTP (p50/p99 over
//! `--iterations` calls) for one regency and for the nation, beside the same figures
//! computed by one hand-written SQL query over the raw activations (median of 5 runs).
//!
//! `--keep <sqlite file | postgres database name>` keeps the generated database and reuses
//! it on the next run (migrated first; `--rebuild` recounts its monthly roll-ups),
//! `--raw-runs N` sets the hand-written queries' runs (0: skip them), `--only a,b` measures
//! only those reports.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use jemput::config::{InitArgs, Settings};
use jemput::db::{Backend, Db, DbConn};
use jemput::schema::{events, offices, targets, users};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CHANNELS: [&str; 11] = [
    "expo_stand",
    "village_visit",
    "pkk_visit",
    "office_walk_in",
    "village_office_desk",
    "agency_drive",
    "hospital_desk",
    "socialization",
    "ktp_service",
    "partner_event",
    "other",
];
const TZS: [&str; 3] = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"];
pub(crate) const PASSWORD: &str = "bench-password-123";

pub(crate) struct Args {
    pub(crate) activations: usize,
    pub(crate) database_url: Option<String>,
    pub(crate) iterations: usize,
    /// Keep the generated database under this name (SQLite: a file path; PostgreSQL: a
    /// database of the `--database-url` cluster) and reuse it when it is there already.
    pub(crate) keep: Option<String>,
    /// Runs of each hand-written query (their median is printed); 0 skips them.
    pub(crate) raw_runs: usize,
    /// Only these reports (comma-separated names), all when empty.
    pub(crate) only: Vec<String>,
    /// Recompute the roll-ups of a kept database before measuring.
    pub(crate) rebuild: bool,
}

fn args() -> Args {
    args_with(30)
}

/// `--activations`, `--database-url` and `--iterations` (the page benchmark reads them too,
/// with its own default number of loads).
pub(crate) fn args_with(iterations: usize) -> Args {
    let mut a = Args {
        activations: 1_000_000,
        database_url: std::env::var("BENCH_DATABASE_URL").ok(),
        iterations,
        keep: None,
        raw_runs: 5,
        only: Vec::new(),
        rebuild: false,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "--activations" => {
                a.activations = argv
                    .get(i + 1)
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .unwrap_or(a.activations);
                i += 1;
            }
            "--database-url" => {
                a.database_url = argv.get(i + 1).cloned();
                i += 1;
            }
            "--keep" => {
                a.keep = argv.get(i + 1).cloned();
                i += 1;
            }
            "--raw-runs" => {
                a.raw_runs = argv
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.raw_runs);
                i += 1;
            }
            "--only" => {
                a.only = argv
                    .get(i + 1)
                    .map(|v| v.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                i += 1;
            }
            "--rebuild" => a.rebuild = true,
            "--iterations" => {
                a.iterations = argv
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.iterations);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    a
}

/// The database to generate into, and whether it holds a kept generation already.
pub(crate) fn bench_database(
    admin: &Option<String>,
    keep: &Option<String>,
) -> (String, Option<tempfile::TempDir>, bool) {
    let Some(name) = keep else {
        let (url, dir) = fresh_database(admin);
        return (url, dir, false);
    };
    match admin {
        Some(url) if Backend::from_url(url) == Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(url).expect("connect");
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: N = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"
            ))
            .get_result(&mut c)
            .expect("pg_database");
            if found.n == 0 {
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create database");
            }
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
            (format!("{base}/{name}"), None, found.n > 0)
        }
        _ => (name.clone(), None, std::path::Path::new(name).exists()),
    }
}

/// Migrates the database, then reuses its kept generation (recounting the roll-ups first
/// when asked) or generates `n` activations under a fresh national admin.
pub(crate) fn ready_data(db: &Db, n: usize, kept: bool, rebuild: bool) -> Generated {
    // A kept database is upgraded by the same migrations as a deployment's.
    jemput::bootstrap::prepare(db).expect("migrate");
    if kept {
        if rebuild {
            let t = Instant::now();
            let mut c = db.conn().expect("conn");
            c.batch_execute("BEGIN").expect("begin");
            jemput::tallies::rebuild_months(&mut c).expect("rebuild");
            c.batch_execute("COMMIT").expect("commit");
            eprintln!("  roll-ups rebuilt in {:.1?}", t.elapsed());
        }
        spread_areas(&mut db.conn().expect("conn"));
        eprintln!("  reusing the kept database");
        return generated_in(db);
    }
    let init = InitArgs {
        admin_username: "root".into(),
        office_code: "ID".into(),
        office_name: "Nasional".into(),
        office_level: "national".into(),
        timezone: "Asia/Jakarta".into(),
        admin_full_name: "Root".into(),
    };
    jemput::bootstrap::init(db, &init, PASSWORD).expect("init");
    generate(db, n)
}

/// The regency and the nation of a kept generation (the first regency is staff0's).
pub(crate) fn generated_in(db: &Db) -> Generated {
    let mut conn = db.conn().expect("conn");
    let nation: String = offices::table
        .filter(offices::parent_id.is_null())
        .select(offices::id)
        .first(&mut **conn)
        .expect("root");
    let regency: String = users::table
        .filter(users::username.eq("staff0"))
        .select(users::office_id)
        .first(&mut **conn)
        .expect("staff0: the kept database was not fully generated");
    Generated { regency, nation }
}

pub(crate) fn fresh_database(admin: &Option<String>) -> (String, Option<tempfile::TempDir>) {
    match admin {
        Some(url) if Backend::from_url(url) == Backend::Postgres => {
            let name = format!("jemput_bench_{}", uuid::Uuid::new_v4().simple());
            let mut c = diesel::PgConnection::establish(url).expect("connect");
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create database");
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            (
                dir.path().join("bench.db").to_string_lossy().into_owned(),
                Some(dir),
            )
        }
    }
}

fn ts(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_hms_opt(h, m, 0).expect("time")
}

/// Multi-row inserts in chunks, through the inner connection (one code path per backend).
macro_rules! bulk {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {
        for chunk in $rows.chunks($chunk) {
            jemput::with_conn!($conn, |c| diesel::insert_into($table)
                .values(chunk)
                .execute(c))
            .expect("insert");
        }
    };
}

pub(crate) struct Generated {
    pub(crate) regency: String,
    pub(crate) nation: String,
}

pub(crate) fn generate(db: &Db, n: usize) -> Generated {
    let mut rng = StdRng::seed_from_u64(7);
    let mut conn = db.conn().expect("conn");
    let conn: &mut DbConn = &mut conn;
    let started = Instant::now();
    // Generated data needs no power-cut safety: load it fast.
    match &mut *conn {
        DbConn::Pg(c) => c
            .batch_execute("SET synchronous_commit = off")
            .expect("pragma"),
        DbConn::Sqlite(c) => c
            .batch_execute(
                "PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY",
            )
            .expect("pragma"),
    }
    let root: (String, String) = offices::table
        .filter(offices::parent_id.is_null())
        .select((offices::id, offices::path))
        .first(conn)
        .expect("root");
    let now = jemput::db::now();
    let year = 2025;
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");

    // 38 provinces, 514 regencies spread over them.
    let mut office_rows = Vec::new();
    let mut regencies: Vec<(String, &str)> = Vec::new();
    let mut regency_codes: Vec<String> = Vec::new();
    for p in 0..38usize {
        let pid = uuid::Uuid::new_v4().to_string();
        let ppath = format!("{}{pid}/", root.1);
        let tz = TZS[p % 3];
        office_rows.push((
            offices::id.eq(pid.clone()),
            offices::code.eq(format!("{}", 11 + p)),
            offices::name.eq(format!("Provinsi {p}")),
            offices::level.eq("province"),
            offices::parent_id.eq(Some(root.0.clone())),
            offices::timezone.eq(tz),
            offices::path.eq(ppath.clone()),
            offices::created_at.eq(now),
            offices::updated_at.eq(now),
        ));
        let count = 514 / 38 + usize::from(p < 514 % 38);
        for r in 0..count {
            let rid = uuid::Uuid::new_v4().to_string();
            office_rows.push((
                offices::id.eq(rid.clone()),
                offices::code.eq(format!("{}.{:02}", 11 + p, r + 1)),
                offices::name.eq(format!("Kabupaten {p}.{r}")),
                offices::level.eq("regency"),
                offices::parent_id.eq(Some(pid.clone())),
                offices::timezone.eq(tz),
                offices::path.eq(format!("{ppath}{rid}/")),
                offices::created_at.eq(now),
                offices::updated_at.eq(now),
            ));
            regencies.push((rid, tz));
            regency_codes.push(format!("{}.{:02}", 11 + p, r + 1));
        }
    }
    conn.batch_execute("BEGIN").expect("begin");
    bulk!(conn, offices::table, office_rows, 500);
    let hash = jemput::auth::password::hash_blocking(PASSWORD).expect("hash");
    let user_rows: Vec<_> = regencies
        .iter()
        .enumerate()
        .map(|(i, (rid, _))| {
            (
                users::id.eq(format!("00000000-0000-4000-8000-{:012}", i)),
                users::username.eq(format!("staff{i}")),
                users::username_key.eq(format!("staff{i}")),
                users::full_name.eq(format!("Staff {i}")),
                users::password_hash.eq(hash.clone()),
                users::role.eq(if i == 0 { "supervisor" } else { "field_staff" }),
                users::office_id.eq(rid.clone()),
                users::active.eq(true),
                users::auth_epoch.eq(0),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        })
        .collect();
    bulk!(conn, users::table, user_rows, 500);
    // A second field officer per regency: events are staffed by two.
    let user_rows: Vec<_> = regencies
        .iter()
        .enumerate()
        .map(|(i, (rid, _))| {
            (
                users::id.eq(format!("00000000-0000-4000-9000-{:012}", i)),
                users::username.eq(format!("staffb{i}")),
                users::username_key.eq(format!("staffb{i}")),
                users::full_name.eq(format!("Staff B {i}")),
                users::password_hash.eq(hash.clone()),
                users::role.eq("field_staff"),
                users::office_id.eq(rid.clone()),
                users::active.eq(true),
                users::auth_epoch.eq(0),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        })
        .collect();
    bulk!(conn, users::table, user_rows, 500);
    let target_rows: Vec<_> = regencies
        .iter()
        .map(|(rid, _)| {
            (
                targets::office_id.eq(rid.clone()),
                targets::year.eq(year),
                targets::eligible_population.eq(rng.gen_range(150_000i64..900_000)),
                targets::target_percent.eq(25.0),
                targets::baseline_activations.eq(rng.gen_range(0i64..5000)),
                targets::baseline_date.eq(Some(jan1)),
                targets::updated_at.eq(now),
            )
        })
        .collect();
    bulk!(conn, targets::table, target_rows, 500);
    conn.batch_execute("COMMIT").expect("commit");

    // Events: about 50 attempts each, spread over the year and the channels.
    let n_events = (n / 50).max(regencies.len());
    let mut ev: Vec<String> = Vec::with_capacity(n_events);
    let mut event_rows = Vec::with_capacity(n_events);
    for i in 0..n_events {
        let r = i % regencies.len();
        let day = jan1 + chrono::Duration::days(rng.gen_range(0..365));
        let channel = CHANNELS[rng.gen_range(0..CHANNELS.len())];
        let id = uuid::Uuid::new_v4().to_string();
        // A village (one in seven: a whole district) of one of the regency's 20 districts of
        // 10 villages: the coverage report groups by these.
        let (district, village) = (rng.gen_range(1..=20), rng.gen_range(1..=10));
        let area = if rng.gen_range(0..7) == 0 {
            format!("{}.{district:02}", regency_codes[r])
        } else {
            format!("{}.{district:02}.{:04}", regency_codes[r], 2000 + village)
        };
        event_rows.push((
            events::id.eq(id.clone()),
            events::office_id.eq(regencies[r].0.clone()),
            events::channel_key.eq(channel),
            events::title.eq("Bench event"),
            events::starts_at.eq(ts(day, 1, 0)),
            events::ends_at.eq(ts(day, 8, 0)),
            events::local_date.eq(day),
            events::area_code.eq(Some(area)),
            events::cost_idr.eq(if rng.gen_bool(0.5) {
                Some(rng.gen_range(0i64..2_000_000))
            } else {
                None
            }),
            events::status.eq("approved"),
            events::content_hash.eq("bench"),
            events::created_by.eq(format!("00000000-0000-4000-8000-{:012}", r)),
            events::created_at.eq(now),
            events::updated_at.eq(now),
        ));
        ev.push(id);
    }
    conn.batch_execute("BEGIN").expect("begin");
    bulk!(conn, events::table, event_rows, 1000);
    conn.batch_execute("COMMIT").expect("commit");

    // Activations and roll-ups are generated inside the database: a numbered series joined
    // to the events, outcome, reason and age band drawn by arithmetic on the row number
    // (70 % activated, 2 % of activations repeat citizens).
    let pg = matches!(conn, DbConn::Pg(_));
    conn.batch_execute(
        "CREATE TEMP TABLE ev_idx AS SELECT (ROW_NUMBER() OVER (ORDER BY e.id)) - 1 AS i, e.id, e.office_id, \
         e.channel_key, e.local_date, e.created_by, o.code FROM events e JOIN offices o ON o.id = e.office_id; \
         CREATE INDEX ev_idx_i ON ev_idx (i)",
    )
    .expect("event index");
    // Two staff members an event, 4 to 7.75 hours each.
    conn.batch_execute(
        "INSERT INTO event_staff (event_id, user_id, hours, updated_at) \
         SELECT id, created_by, 4.0 + (i % 16) * 0.25, '2025-12-31 00:00:00' FROM ev_idx; \
         INSERT INTO event_staff (event_id, user_id, hours, updated_at) \
         SELECT id, replace(created_by, '-4000-8000-', '-4000-9000-'), 3.0 + (i % 8) * 0.5, \
         '2025-12-31 00:00:00' FROM ev_idx",
    )
    .expect("staff");
    // The activations' secondary indexes are built once after the load, not row by row.
    let index_sql = if pg {
        "SELECT indexname AS name, indexdef AS sql FROM pg_indexes \
         WHERE tablename = 'activations' AND indexname NOT LIKE '%pkey'"
    } else {
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activations' \
         AND sql IS NOT NULL"
    };
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let indexes: Vec<Index> =
        jemput::with_conn!(conn, |c| diesel::sql_query(index_sql).load(c)).expect("indexes");
    for ix in &indexes {
        conn.batch_execute(&format!("DROP INDEX {}", ix.name))
            .expect("drop index");
    }
    let n_ev = ev.len();
    let chunk = 1_000_000usize;
    let mut done = 0usize;
    while done < n {
        let (lo, hi) = (done, (done + chunk).min(n) - 1);
        // Ids in insertion order, as the phones' UUIDv7 ids nearly are: the primary key
        // grows at its end instead of splitting pages all over the index.
        let (series, id, at, district) = if pg {
            (
                format!("generate_series({lo}::bigint, {hi}::bigint) AS s(g)"),
                "'00000000-0000-7000-8000-' || lpad(g::text, 12, '0')",
                "e.local_date + time '03:00'",
                "lpad(((g / 7) % 20 + 1)::text, 2, '0')",
            )
        } else {
            (
                "s".to_string(),
                "printf('00000000-0000-7000-8000-%012d', g)",
                "e.local_date || ' 03:00:00'",
                "printf('%02d', (g / 7) % 20 + 1)",
            )
        };
        // 85 % residents of one of the regency's 20 districts, 10 % from another province's
        // district, 5 % without a NIK.
        let home = format!(
            "CASE WHEN g % 20 = 3 THEN NULL WHEN g % 10 = 7 THEN '99.01.' || {district} \
             ELSE e.code || '.' || {district} END"
        );
        let with = if pg {
            String::new()
        } else {
            format!("WITH RECURSIVE s(g) AS (SELECT {lo} UNION ALL SELECT g + 1 FROM s WHERE g < {hi}) ")
        };
        let sql = format!(
            "{with}INSERT INTO activations (id, event_id, office_id, channel_key, staff_id, recorded_at, local_date, \
             outcome, failure_reason, age_band, home_district, repeat_citizen, content_hash, created_by, created_at) \
             SELECT {id}, e.id, e.office_id, e.channel_key, e.created_by, {at}, e.local_date, \
               CASE WHEN (g * 40503 + 977) % 100 < 70 THEN 'activated' ELSE 'failed' END, \
               CASE WHEN (g * 40503 + 977) % 100 < 70 THEN NULL ELSE \
                 CASE (g * 7 + g / 9) % 9 WHEN 0 THEN 'no_smartphone' WHEN 1 THEN 'phone_no_camera' \
                 WHEN 2 THEN 'no_signal' WHEN 3 THEN 'ektp_not_recorded' WHEN 4 THEN 'data_mismatch' \
                 WHEN 5 THEN 'no_email' WHEN 6 THEN 'declined' WHEN 7 THEN 'app_error' ELSE 'other' END END, \
               CASE (g * 13 + g / 4) % 4 WHEN 0 THEN '17-24' WHEN 1 THEN '25-39' WHEN 2 THEN '40-59' ELSE '60+' END, \
               {home}, \
               (g * 40503 + 977) % 100 < 70 AND g % 50 = 0, 'bench', e.created_by, '2025-12-31 00:00:00' \
             FROM {series} JOIN ev_idx e ON e.i = (g * 2654435761 + 12345) % 4294967296 % {n_ev}"
        );
        conn.batch_execute("BEGIN").expect("begin");
        conn.batch_execute(&sql).expect("generate activations");
        conn.batch_execute("COMMIT").expect("commit");
        done = hi + 1;
        eprint!("\r  {done}/{n} activations");
    }
    eprintln!();
    for ix in &indexes {
        conn.batch_execute(&ix.sql).expect("create index");
    }
    let counted = "CASE WHEN outcome = 'activated' AND NOT repeat_citizen THEN 1 ELSE 0 END";
    let failed = "CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END";
    let reasons: String = jemput::tallies::REASONS
        .iter()
        .map(|r| format!(", SUM(CASE WHEN failure_reason = '{r}' THEN 1 ELSE 0 END)"))
        .collect();
    let reason_cols: String = jemput::tallies::REASONS
        .iter()
        .map(|r| format!(", failed_{r}"))
        .collect();
    conn.batch_execute("BEGIN").expect("begin");
    conn.batch_execute(&format!(
        "INSERT INTO event_tallies (event_id, activated, failed{reason_cols}) \
         SELECT event_id, SUM({counted}), SUM({failed}){reasons} FROM activations \
         WHERE voided_at IS NULL GROUP BY event_id"
    ))
    .expect("event tallies");
    conn.batch_execute(&format!(
        "INSERT INTO daily_tallies (office_id, local_date, activated, failed) \
         SELECT office_id, local_date, SUM({counted}), SUM({failed}) FROM activations \
         WHERE voided_at IS NULL GROUP BY office_id, local_date"
    ))
    .expect("daily tallies");
    conn.batch_execute(
        "INSERT INTO event_outcome_tallies (event_id, outcome, failure_reason, age_band, n) \
         SELECT event_id, outcome, COALESCE(failure_reason, ''), COALESCE(age_band, 'unknown'), COUNT(*) \
         FROM activations WHERE voided_at IS NULL AND NOT (outcome = 'activated' AND repeat_citizen) \
         GROUP BY event_id, outcome, COALESCE(failure_reason, ''), COALESCE(age_band, 'unknown')",
    )
    .expect("outcome tallies");
    // Every local date of the generated year is in 2025.
    conn.batch_execute(&format!(
        "INSERT INTO residence_tallies (office_id, year, home_district, activated) \
         SELECT office_id, 2025, COALESCE(home_district, ''), SUM({counted}) FROM activations \
         WHERE voided_at IS NULL AND outcome = 'activated' AND NOT repeat_citizen \
         GROUP BY office_id, COALESCE(home_district, '')"
    ))
    .expect("residence tallies");
    jemput::tallies::rebuild_months(conn).expect("monthly roll-ups");
    conn.batch_execute("COMMIT").expect("commit");
    match conn {
        DbConn::Pg(c) => c.batch_execute("ANALYZE").expect("analyze"),
        DbConn::Sqlite(c) => c.batch_execute("ANALYZE").expect("analyze"),
    }
    eprintln!(
        "  generated {n} activations, {} events in {:.1?}",
        ev.len(),
        started.elapsed()
    );
    Generated {
        regency: regencies[0].0.clone(),
        nation: root.0,
    }
}

/// Databases generated before the events had areas: spreads their events over villages and
/// districts of their regency as `generate` does (from the event id's last hex digits rather
/// than the generator's random draws), then recounts the per-day roll-ups. Does nothing when
/// every event has an area.
pub(crate) fn spread_areas(conn: &mut DbConn) {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let missing: N = jemput::with_conn!(conn, |c| diesel::sql_query(
        "SELECT COUNT(*) AS n FROM events WHERE area_code IS NULL"
    )
    .get_result(c))
    .expect("count");
    if missing.n == 0 {
        return;
    }
    let started = Instant::now();
    let pg = matches!(conn, DbConn::Pg(_));
    let (pos, pad2, pad4) = if pg {
        (
            "strpos",
            "lpad(({x})::text, 2, '0')",
            "lpad(({x})::text, 4, '0')",
        )
    } else {
        ("instr", "printf('%02d', {x})", "printf('%04d', {x})")
    };
    let hex = |i: usize| format!("({pos}('0123456789abcdef', substr(events.id, {i}, 1)) - 1)");
    let v = format!("({} * 256 + {} * 16 + {})", hex(34), hex(35), hex(36));
    let district = pad2.replace("{x}", &format!("{v} % 20 + 1"));
    let village = pad4.replace("{x}", &format!("2000 + ({v} / 20) % 10 + 1"));
    let sql = format!(
        "UPDATE events SET area_code = (SELECT o.code FROM offices o WHERE o.id = events.office_id) \
         || '.' || {district} || CASE WHEN {v} % 7 = 0 THEN '' ELSE '.' || {village} END \
         WHERE area_code IS NULL"
    );
    conn.batch_execute("BEGIN").expect("begin");
    conn.batch_execute(&sql).expect("spread areas");
    jemput::tallies::rebuild_days(conn).expect("day roll-ups");
    conn.batch_execute("COMMIT").expect("commit");
    eprintln!(
        "  {} events spread over areas, day roll-ups recounted in {:.1?}",
        missing.n,
        started.elapsed()
    );
}

pub(crate) fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The same figures as each report, by one hand-written query over the raw activations.
fn raw_sql(kind: &str, subtree: &str, from: &str, to: &str) -> String {
    let scope = format!("(SELECT id FROM offices WHERE path LIKE '{subtree}%')");
    let counted = "CASE WHEN a.outcome = 'activated' AND NOT a.repeat_citizen THEN 1 ELSE 0 END";
    let failed = "CASE WHEN a.outcome = 'failed' THEN 1 ELSE 0 END";
    match kind {
        "channels" | "channels-mid" => format!(
            "SELECT e.channel_key, COUNT(DISTINCT e.id), SUM({counted}), SUM({failed}) FROM events e \
             LEFT JOIN activations a ON a.event_id = e.id AND a.voided_at IS NULL \
             WHERE e.office_id IN {scope} AND e.local_date BETWEEN '{from}' AND '{to}' GROUP BY e.channel_key"
        ),
        "progress" => format!(
            "SELECT SUM({counted}) FROM activations a WHERE a.office_id IN {scope} AND a.voided_at IS NULL \
             AND a.local_date BETWEEN '{from}' AND '{to}'"
        ),
        "offices" => format!(
            "SELECT a.office_id, SUM({counted}), SUM({failed}) FROM activations a JOIN events e ON e.id = a.event_id \
             WHERE a.office_id IN {scope} AND a.voided_at IS NULL AND e.local_date BETWEEN '{from}' AND '{to}' \
             GROUP BY a.office_id"
        ),
        "daily" | "weekly" | "monthly" => format!(
            "SELECT a.local_date, SUM({counted}), SUM({failed}) FROM activations a WHERE a.office_id IN {scope} \
             AND a.voided_at IS NULL AND a.local_date BETWEEN '{from}' AND '{to}' GROUP BY a.local_date"
        ),
        "coverage" => format!(
            "SELECT e.area_code, COUNT(DISTINCT e.id), SUM({counted}), SUM({failed}), MAX(e.local_date) FROM events e \
             LEFT JOIN activations a ON a.event_id = e.id AND a.voided_at IS NULL \
             WHERE e.office_id IN {scope} AND e.local_date BETWEEN '{from}' AND '{to}' GROUP BY e.area_code"
        ),
        "failures" => format!(
            "SELECT e.channel_key, a.failure_reason, a.age_band, COUNT(*) FROM activations a JOIN events e ON e.id = a.event_id \
             WHERE a.office_id IN {scope} AND a.voided_at IS NULL AND e.local_date BETWEEN '{from}' AND '{to}' \
             GROUP BY e.channel_key, a.failure_reason, a.age_band"
        ),
        _ => format!(
            "SELECT a.staff_id, SUM({counted}), SUM({failed}) FROM activations a JOIN events e ON e.id = a.event_id \
             WHERE a.office_id IN {scope} AND a.voided_at IS NULL AND e.local_date BETWEEN '{from}' AND '{to}' \
             GROUP BY a.staff_id"
        ),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    let (url, _dir, kept) = bench_database(&args.database_url, &args.keep);
    let backend = Backend::from_url(&url);
    let db = Db::connect(&url, 8).expect("open");
    let (gen_db, n, rebuild) = (db.clone(), args.activations, args.rebuild);
    let generated = tokio::task::spawn_blocking(move || ready_data(&gen_db, n, kept, rebuild))
        .await
        .expect("generate");

    let mut settings = Settings::for_database(&url);
    settings.workers = Some(2);
    // A 10M run's nation-wide hand-written queries outlast the 15-minute default token.
    settings.access_token_ttl = 24 * 3600;
    let app = jemput::startup::Application::build_with_db(settings, db.clone())
        .await
        .expect("app");
    let base = format!("http://127.0.0.1:{}/api/v1", app.port());
    tokio::spawn(app.server());
    // reqwest's rustls has no provider of its own here: the one jemput uses (aws-lc-rs).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    let token = login["access_token"].as_str().expect("token").to_string();

    let paths: Vec<(&str, String)> = vec![
        ("channels", "/reports/channels?office_id={o}&from=2025-01-01&to=2025-12-31".into()),
        // Starts and ends mid-month: those two partial months are read per event.
        ("channels-mid", "/reports/channels?office_id={o}&from=2025-01-15&to=2025-12-15".into()),
        ("progress", "/reports/progress?office_id={o}&year=2025&as_of=2025-12-31".into()),
        ("offices", "/reports/offices?office_id={o}&from=2025-01-01&to=2025-12-31&year=2025&as_of=2025-12-31".into()),
        ("daily", "/reports/daily?office_id={o}&from=2025-01-01&to=2025-12-31".into()),
        ("failures", "/reports/failures?office_id={o}&from=2025-01-01&to=2025-12-31".into()),
        ("staff", "/reports/staff?office_id={o}&from=2025-01-01&to=2025-12-31".into()),
        ("weekly", "/reports/daily?office_id={o}&from=2025-01-01&to=2025-12-31&bucket=week".into()),
        ("monthly", "/reports/daily?office_id={o}&from=2025-01-01&to=2025-12-31&bucket=month".into()),
        ("coverage", "/reports/coverage?office_id={o}&from=2025-01-01&to=2025-12-31".into()),
    ];
    println!();
    println!(
        "backend: {}   activations: {}   iterations: {}",
        backend.name(),
        args.activations,
        args.iterations
    );
    println!(
        "{:<12} {:<8} {:>10} {:>10} {:>12} {:>8} {:>6}",
        "report", "scope", "p50 ms", "p99 ms", "raw SQL ms", "p50/raw", "calls"
    );
    let raw_runs = args.raw_runs;
    for (scope_name, office) in [
        ("regency", &generated.regency),
        ("nation", &generated.nation),
    ] {
        let path_of: String = {
            let mut c = db.conn().expect("conn");
            offices::table
                .find(office)
                .select(offices::path)
                .first(&mut **c)
                .expect("path")
        };
        for (name, template) in &paths {
            if *name == "offices" && scope_name == "regency" {
                continue; // a regency has no offices below it
            }
            if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
                continue;
            }
            let url = format!("{base}{}", template.replace("{o}", office));
            let mut times = Vec::with_capacity(args.iterations);
            let started = Instant::now();
            for i in 0..args.iterations + 3 {
                // Slow reports get fewer samples: at least five, at most ~20 s each.
                if i >= 8 && started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                let t = Instant::now();
                let resp = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("send");
                let status = resp.status();
                let _ = resp.bytes().await;
                assert!(status.is_success(), "{url}: {status}");
                if i >= 3 {
                    times.push(t.elapsed());
                }
            }
            times.sort();
            let sql = if *name == "channels-mid" {
                raw_sql(name, &path_of, "2025-01-15", "2025-12-15")
            } else {
                raw_sql(name, &path_of, "2025-01-01", "2025-12-31")
            };
            let raw_db = db.clone();
            let raw = tokio::task::spawn_blocking(move || {
                if raw_runs == 0 {
                    return Duration::ZERO;
                }
                let mut c = raw_db.conn().expect("conn");
                let mut runs: Vec<Duration> = (0..raw_runs)
                    .map(|_| {
                        let t = Instant::now();
                        c.batch_execute(&sql).expect("raw sql");
                        t.elapsed()
                    })
                    .collect();
                runs.sort();
                runs[runs.len() / 2]
            })
            .await
            .expect("raw");
            let p50 = pct(&times, 0.5);
            let raw_ms = raw.as_secs_f64() * 1000.0;
            let (raw_col, ratio) = if raw_runs == 0 {
                ("-".to_string(), "-".to_string())
            } else {
                (format!("{raw_ms:.2}"), format!("{:.3}", p50 / raw_ms))
            };
            println!(
                "{:<12} {:<8} {:>10.2} {:>10.2} {:>12} {:>8} {:>6}",
                name,
                scope_name,
                p50,
                pct(&times, 0.99),
                raw_col,
                ratio,
                times.len()
            );
        }
    }
}
