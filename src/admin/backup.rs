//! `jemput backup` and `jemput restore` for the embedded SQLite database.
//!
//! A backup is `VACUUM INTO`: SQLite copies one read transaction's snapshot into a new
//! file, so a server may keep writing meanwhile (WAL readers never block writers), and the
//! copy is never a torn file copy. The copy is fsynced (SQLite does not), checked with
//! `PRAGMA integrity_check`, counted table by table, and only then given its name.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`); the commands say how to use them
//! instead of re-implementing them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::Backend;

/// Rows per table of a database file, by table name.
pub type Counts = Vec<(String, i64)>;

/// What a backup or restore wrote and found.
#[derive(Debug)]
pub struct Verified {
    pub file: PathBuf,
    pub bytes: u64,
    /// Rows of every table (the copy's, after it was checked).
    pub counts: Counts,
    /// The newest migration the copy has.
    pub schema: String,
}

impl Verified {
    /// The rows of `table`, 0 when absent.
    pub fn rows(&self, table: &str) -> i64 {
        self.counts
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

/// What to do instead on PostgreSQL (the URL's password never printed).
pub const PG_BACKUP_HELP: &str = "\
jemput backup copies the embedded SQLite database; this installation uses PostgreSQL, whose
own tools take a consistent copy of a running database:

  pg_dump --format=custom --file=jemput-$(date +%F).dump \"$DATABASE_URL\"

Restore it into a new, empty database with:

  createdb jemput_restored
  pg_restore --no-owner --dbname=jemput_restored jemput-YYYY-MM-DD.dump

then point DATABASE_URL at that database and start jemput (it migrates an older dump).";

/// What to do instead on PostgreSQL.
pub const PG_RESTORE_HELP: &str = "\
jemput restore restores the embedded SQLite database; this installation uses PostgreSQL.
Restore a pg_dump file into a new, empty database with PostgreSQL's own tools:

  createdb jemput_restored
  pg_restore --no-owner --dbname=jemput_restored jemput-YYYY-MM-DD.dump

then point DATABASE_URL at that database and start jemput (it migrates an older dump).";

/// Copies the SQLite database at `url` (running or not) into `target`, which must not
/// exist, and verifies the copy.
pub fn backup(url: &str, target: &Path) -> anyhow::Result<Verified> {
    if Backend::from_url(url) == Backend::Postgres {
        bail!("{PG_BACKUP_HELP}");
    }
    let source = Path::new(url);
    if !source.is_file() {
        bail!(
            "there is no database at {} (check JEMPUT_DATA_DIR or DATABASE_URL)",
            source.display()
        );
    }
    if target.is_dir() {
        bail!(
            "{} is a directory; give the backup a file name (e.g. {}/jemput-YYYY-MM-DD.db)",
            target.display(),
            target.display()
        );
    }
    if target.exists() {
        bail!(
            "{} exists already; a backup never overwrites a file",
            target.display()
        );
    }
    let partial = partial_name(target)?;
    let _ = std::fs::remove_file(&partial);
    create_private(&partial)?;
    let mut conn = open(source, false)?;
    // Ten seconds for a writer of another process to let go of a lock the copy needs.
    conn.batch_execute("PRAGMA busy_timeout = 10000")?;
    vacuum_into(&mut conn, &partial)
        .with_context(|| format!("the copy into {} failed", partial.display()))?;
    drop(conn);
    let verified = match verify(&partial) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.context("the copy did not verify; nothing was kept"));
        }
    };
    sync_path(&partial)?;
    std::fs::rename(&partial, target)
        .with_context(|| format!("cannot rename the copy to {}", target.display()))?;
    sync_parent(target)?;
    Ok(Verified {
        file: target.to_path_buf(),
        ..verified
    })
}

/// Restores the backup `file` as the SQLite database at `url`, whose directory must be
/// empty (a `tls` folder of certificates aside) or not exist yet.
pub fn restore(url: &str, file: &Path) -> anyhow::Result<Verified> {
    if Backend::from_url(url) == Backend::Postgres {
        bail!("{PG_RESTORE_HELP}");
    }
    let target = Path::new(url);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let found = non_empty(&dir)?;
    if !found.is_empty() {
        bail!(
            "restore only writes into an empty data directory, and {} holds {}; \
             restore into a new directory (e.g. JEMPUT_DATA_DIR=restored) and move it in \
             place with the server stopped",
            dir.display(),
            found.join(", ")
        );
    }
    if !file.is_file() {
        bail!("there is no backup file at {}", file.display());
    }
    let checked = verify(file).context("the backup file did not verify; nothing was restored")?;
    newer_than_this_binary(file)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let partial = partial_name(target)?;
    let _ = std::fs::remove_file(&partial);
    create_private(&partial)?;
    let mut conn = open(file, true)?;
    vacuum_into(&mut conn, &partial)
        .with_context(|| format!("the copy into {} failed", partial.display()))?;
    drop(conn);
    sync_path(&partial)?;
    std::fs::rename(&partial, target)
        .with_context(|| format!("cannot rename the copy to {}", target.display()))?;
    sync_parent(target)?;
    let bytes = std::fs::metadata(target)?.len();
    Ok(Verified {
        file: target.to_path_buf(),
        bytes,
        ..checked
    })
}

/// Opens an SQLite file, read-only when asked (a backup is never changed by reading it).
fn open(path: &Path, read_only: bool) -> anyhow::Result<SqliteConnection> {
    let url = if read_only {
        format!("file:{}?mode=ro", uri_path(path))
    } else {
        format!("file:{}", uri_path(path))
    };
    SqliteConnection::establish(&url)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))
}

/// A path as an SQLite URI path: `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    path.to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}

/// `VACUUM INTO` a file name given as a bound parameter (never spliced into the SQL).
fn vacuum_into(conn: &mut SqliteConnection, target: &Path) -> anyhow::Result<()> {
    let name = target
        .to_str()
        .context("the backup path is not valid UTF-8")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(name)
        .execute(conn)?;
    Ok(())
}

/// `<target>.partial`, beside the target (so the rename stays on one file system).
fn partial_name(target: &Path) -> anyhow::Result<PathBuf> {
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", target.display()))?;
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(target.with_file_name(partial))
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Checks a database file and counts its rows: `integrity_check` says ok, foreign keys
/// hold, and it is a jemput database (its migrations table is there).
pub fn verify(path: &Path) -> anyhow::Result<Verified> {
    let mut conn = open(path, true)?;
    let problems: Vec<TextRow> =
        diesel::sql_query("SELECT integrity_check AS v FROM pragma_integrity_check")
            .load(&mut conn)
            .with_context(|| format!("{} is not a readable SQLite database", path.display()))?;
    if problems.len() != 1 || problems[0].v != "ok" {
        let first: Vec<String> = problems.into_iter().take(5).map(|r| r.v).collect();
        bail!("integrity_check failed: {}", first.join("; "));
    }
    let broken: Vec<TextRow> =
        diesel::sql_query("SELECT \"table\" AS v FROM pragma_foreign_key_check GROUP BY \"table\"")
            .load(&mut conn)?;
    if !broken.is_empty() {
        let tables: Vec<String> = broken.into_iter().map(|r| r.v).collect();
        bail!("foreign keys do not hold in {}", tables.join(", "));
    }
    let tables: Vec<TextRow> = diesel::sql_query(
        "SELECT name AS v FROM sqlite_schema WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load(&mut conn)?;
    if !tables.iter().any(|t| t.v == "__diesel_schema_migrations") {
        bail!("{} is not a jemput database", path.display());
    }
    let mut counts = Vec::new();
    for t in tables {
        // Table names come from the file's own schema; quoted as identifiers.
        let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", t.v.replace('"', "\"\""));
        let row: CountRow = diesel::sql_query(sql).get_result(&mut conn)?;
        counts.push((t.v, row.n));
    }
    let schema: TextRow =
        diesel::sql_query("SELECT MAX(version) AS v FROM __diesel_schema_migrations")
            .get_result(&mut conn)
            .context("the database has no migrations")?;
    let bytes = std::fs::metadata(path)?.len();
    Ok(Verified {
        file: path.to_path_buf(),
        bytes,
        counts,
        schema: schema.v,
    })
}

/// Refuses a backup made by a newer jemput: this binary would not know its migrations.
fn newer_than_this_binary(path: &Path) -> anyhow::Result<()> {
    use diesel::migration::MigrationSource;
    let known: Vec<String> =
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&crate::db::migrations::SQLITE)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
    let mut conn = open(path, true)?;
    let stored: Vec<TextRow> =
        diesel::sql_query("SELECT version AS v FROM __diesel_schema_migrations").load(&mut conn)?;
    let unknown: Vec<String> = stored
        .into_iter()
        .map(|r| r.v)
        .filter(|v| !known.contains(v))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "the backup was made by a newer jemput (migrations {}); restore it with that version",
            unknown.join(", ")
        );
    }
    Ok(())
}

/// What a directory holds besides a `tls` folder; empty when it does not exist.
fn non_empty(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != "tls" {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// Creates the empty file `VACUUM INTO` fills, readable by its owner only: a copy holds the
/// installation's signing keys and NIK key, and password hashes.
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .with_context(|| format!("cannot create {}", path.display()))
}

fn sync_path(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {} to disk", path.display()))
}

/// fsyncs the directory of `path`, so its new name survives a power cut too.
fn sync_parent(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        sync_path(dir)?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
