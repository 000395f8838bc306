//! What a database needs before the server answers: migrations, per-installation secrets,
//! built-in channels, and a first admin. Also the `init` command.

use anyhow::{bail, Context};
use rand::distributions::{Alphanumeric, DistString};

use crate::audit::{self, AuditEvent};
use crate::auth::{keys, password};
use crate::config::InitArgs;
use crate::db::{migrations, Db, DbConn};
use crate::domain::{NewPassword, OfficeCode, OfficeLevel, TimeZone, Username};
use crate::error::AppError;
use crate::offices::repo::{self as offices_repo, Office};
use crate::users::repo::{self as users_repo, User};
use crate::{channels, secrets};

/// Migrates and creates what every installation needs; several servers starting together
/// on PostgreSQL take turns under an advisory lock. Returns the migrations applied.
pub fn prepare(db: &Db) -> anyhow::Result<Vec<String>> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    migrations::with_bootstrap_lock(&mut conn, |c| {
        let applied = migrations::run_pending(c)?;
        backfill_rollups(c, &applied)?;
        keys::load_or_create(c)?;
        secrets::nik_key(c)?;
        channels::seed_builtin(c)?;
        Ok(applied)
    })
}

/// The migration that created the report roll-ups made them empty: a database that had
/// activations before it (an upgrade from the first release) gets them counted once, in
/// one transaction, or every report of its past would show zero.
fn backfill_rollups(conn: &mut DbConn, applied: &[String]) -> anyhow::Result<()> {
    use diesel::prelude::*;
    const ROLLUPS: &str = "20261122000005";
    if !applied.iter().any(|v| v == ROLLUPS) {
        return Ok(());
    }
    let rows: i64 = crate::schema::activations::table.count().get_result(conn)?;
    if rows == 0 {
        return Ok(());
    }
    conn.transaction(|c| crate::tallies::rebuild(c).map(|_| ()))
        .map_err(|e: AppError| {
            anyhow::anyhow!("counting the roll-ups of {rows} activations failed: {e}")
        })?;
    tracing::info!(
        activations = rows,
        "counted the report roll-ups of an upgraded database"
    );
    Ok(())
}

fn root_office(conn: &mut DbConn) -> Result<Option<Office>, AppError> {
    use crate::schema::offices;
    use diesel::prelude::*;
    Ok(offices::table
        .filter(offices::parent_id.is_null())
        .order(offices::created_at.asc())
        .select(Office::as_select())
        .first(conn)
        .optional()?)
}

fn new_office(code: &str, name: &str, level: OfficeLevel, tz: &str) -> Office {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::db::now();
    Office {
        path: offices_repo::child_path(None, &id),
        id,
        code: code.to_string(),
        name: name.to_string(),
        level: level.as_str().to_string(),
        parent_id: None,
        timezone: tz.to_string(),
        created_at: now,
        updated_at: now,
    }
}

fn new_admin(username: &str, full_name: &str, hash: String, office_id: &str) -> User {
    let now = crate::db::now();
    User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.to_string(),
        username_key: username.to_ascii_lowercase(),
        full_name: full_name.to_string(),
        password_hash: hash,
        role: "admin".into(),
        office_id: office_id.to_string(),
        active: true,
        auth_epoch: 0,
        created_at: now,
        updated_at: now,
    }
}

fn record_bootstrap(conn: &mut DbConn, user: &User, how: &str) -> Result<(), AppError> {
    audit::record(
        conn,
        AuditEvent {
            actor_id: None,
            office_id: Some(&user.office_id),
            action: "user_created",
            subject_type: "user",
            subject_id: Some(&user.id),
            detail: Some(
                serde_json::json!({ "username": user.username, "role": "admin", "by": how }),
            ),
            client_addr: None,
        },
    )
}

/// On a database with no admin, creates the root office (national) if there is none and an
/// `admin` account with a random password, returned so `serve` can print it once.
pub fn ensure_admin(db: &Db) -> anyhow::Result<Option<(String, String)>> {
    let pw = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 20);
    let hash = password::hash_blocking(&pw)?;
    let created = db.write_blocking(move |c| {
        if users_repo::admin_exists(c)? {
            return Ok(None);
        }
        let office = match root_office(c)? {
            Some(o) => o,
            None => {
                let o = new_office(
                    "ID",
                    "Ditjen Dukcapil (national)",
                    OfficeLevel::National,
                    "Asia/Jakarta",
                );
                offices_repo::insert(c, &o)?;
                o
            }
        };
        let username = if users_repo::find_by_username(c, "admin")?.is_none() {
            "admin".to_string()
        } else {
            format!("admin-{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
        };
        let user = new_admin(&username, "Administrator", hash, &office.id);
        users_repo::insert(c, &user)?;
        record_bootstrap(c, &user, "serve")?;
        Ok(Some(username))
    })?;
    Ok(created.map(|u| (u, pw)))
}

/// `jemput init`: the root office and its first admin, refusing when an admin exists.
pub fn init(db: &Db, args: &InitArgs, admin_password: &str) -> anyhow::Result<()> {
    let username = Username::parse("admin_username", &args.admin_username).map_err(field_msg)?;
    let password =
        NewPassword::parse("JEMPUT_ADMIN_PASSWORD", admin_password).map_err(field_msg)?;
    let code = OfficeCode::parse("office_code", &args.office_code).map_err(field_msg)?;
    let level = OfficeLevel::parse("office_level", &args.office_level).map_err(field_msg)?;
    let tz = TimeZone::parse("timezone", &args.timezone).map_err(field_msg)?;
    let name =
        crate::domain::required_text("office_name", &args.office_name, 200).map_err(field_msg)?;
    let full_name = crate::domain::required_text("admin_full_name", &args.admin_full_name, 200)
        .map_err(field_msg)?;
    {
        let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        if users_repo::admin_exists(&mut conn)? {
            bail!("an admin already exists in this database; init only runs on an empty one");
        }
    }
    let hash = password::hash_blocking(password.expose())?;
    let username_s = username.as_str().to_string();
    let result = db.write_blocking(move |c| {
        if users_repo::admin_exists(c)? {
            return Ok(false);
        }
        let office = new_office(code.as_str(), &name, level, tz.name());
        offices_repo::insert(c, &office)?;
        let user = new_admin(&username_s, &full_name, hash, &office.id);
        users_repo::insert(c, &user)?;
        record_bootstrap(c, &user, "init")?;
        Ok(true)
    });
    match result {
        Ok(true) => Ok(()),
        Ok(false) => {
            bail!("an admin already exists in this database; init only runs on an empty one")
        }
        Err(AppError::Conflict(_)) => bail!(
            "an office with code {} or a user named {} already exists",
            args.office_code,
            args.admin_username
        ),
        Err(e) => Err(anyhow::anyhow!("{e}")).context("init failed"),
    }
}

fn field_msg(e: crate::error::FieldError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.field, e.message.en)
}
