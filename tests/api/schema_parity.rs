//! The two backends cannot drift apart: both migration folders hold the same migrations,
//! and migrated databases of both have the same tables, columns, types, nullability and
//! indexes.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use jemput::db::{Backend, Db, DbConn};

use crate::helpers::*;

#[derive(QueryableByName, Debug)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

#[derive(QueryableByName, Debug)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
}

fn normalise(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "timestamp without time zone" | "timestamp" => "timestamp".into(),
        "double precision" | "double" | "real" => "double".into(),
        "boolean" | "bool" => "bool".into(),
        other => other.to_string(),
    }
}

type Schema = (
    BTreeSet<(String, String, String, bool)>,
    BTreeSet<(String, String)>,
);

fn introspect(conn: &mut DbConn) -> Schema {
    let (cols, idx): (Vec<ColumnRow>, Vec<IndexRow>) = match conn {
        DbConn::Sqlite(c) => (
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                 p.\"notnull\" AS not_null FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("sqlite columns"),
            diesel::sql_query(
                "SELECT name AS index_name, tbl_name AS table_name FROM sqlite_master \
                 WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
            )
            .load(c)
            .expect("sqlite indexes"),
        ),
        DbConn::Pg(c) => (
            diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, (is_nullable = 'NO') AS not_null \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("pg columns"),
            diesel::sql_query(
                "SELECT indexname::text AS index_name, tablename::text AS table_name FROM pg_indexes \
                 WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' \
                 AND tablename <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("pg indexes"),
        ),
    };
    (
        cols.into_iter()
            .map(|c| {
                (
                    c.table_name,
                    c.column_name,
                    normalise(&c.data_type),
                    c.not_null,
                )
            })
            .collect(),
        idx.into_iter()
            .map(|i| (i.table_name, i.index_name))
            .collect(),
    )
}

fn migrated_schema(url: &str) -> Schema {
    let db = Db::connect(url, 1).expect("connect");
    jemput::bootstrap::prepare(&db).expect("migrate");
    let mut conn = db.conn().expect("conn");
    introspect(&mut conn)
}

fn migration_names(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("migrations dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let root = env!("CARGO_MANIFEST_DIR");
    let sqlite = migration_names(&format!("{root}/migrations/sqlite"));
    let pg = migration_names(&format!("{root}/migrations/postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, pg, "migration folders differ");
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let schemas = tokio::task::spawn_blocking(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = migrated_schema(&dir.path().join("parity.db").to_string_lossy());
        let pg = match backend_under_test() {
            Backend::Postgres => {
                let (url, _) = fresh_database();
                Some(migrated_schema(&url))
            }
            Backend::Sqlite => None,
        };
        (sqlite, pg)
    })
    .await
    .expect("task");
    let (sqlite, pg) = schemas;
    assert!(sqlite
        .0
        .iter()
        .any(|(t, c, _, _)| t == "activations" && c == "nik_hash"));
    match pg {
        Some(pg) => {
            let only_sqlite: Vec<_> = sqlite.0.difference(&pg.0).collect();
            let only_pg: Vec<_> = pg.0.difference(&sqlite.0).collect();
            assert!(only_sqlite.is_empty() && only_pg.is_empty(),
                "columns differ\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}");
            assert_eq!(sqlite.1, pg.1, "indexes differ");
        }
        None => eprintln!(
            "schema parity: SQLite checked; set TEST_DATABASE_URL to compare with PostgreSQL"
        ),
    }
}
