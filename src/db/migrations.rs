//! Embedded migrations, one folder per backend with the same names.

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock that serialises migration and bootstrap when several
/// servers start at once against one database.
pub const PG_BOOTSTRAP_LOCK: i64 = 0x6a656d707574;

/// Applies pending migrations; returns the names applied.
pub fn run_pending(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Holds PostgreSQL's advisory lock while `f` runs; on SQLite the file lock of the first write
/// does the same job.
pub fn with_bootstrap_lock<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let is_pg = matches!(conn, DbConn::Pg(_));
    if is_pg {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({PG_BOOTSTRAP_LOCK})"))?;
    }
    let result = f(conn);
    if is_pg {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({PG_BOOTSTRAP_LOCK})"))?;
    }
    result
}
