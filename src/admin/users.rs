//! `jemput users list` and `jemput users reset-password`: the way back in when the admin's
//! password is lost, on the database directly, with the server running or not.

use diesel::prelude::*;
use rand::distributions::{Alphanumeric, DistString};

use crate::auth::password;
use crate::db::{Db, DbConn};
use crate::domain::{NewPassword, Role};
use crate::error::AppError;
use crate::schema::{offices, users};

/// One line of `jemput users list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub role: String,
    pub office_code: String,
    pub office_name: String,
    pub active: bool,
}

/// Every account of every office (the machine's operator is above any office), by
/// username; only `role`'s when given.
pub fn list(conn: &mut DbConn, role: Option<Role>) -> Result<Vec<Account>, AppError> {
    let mut q = users::table
        .inner_join(offices::table)
        .select((
            users::username,
            users::role,
            offices::code,
            offices::name,
            users::active,
        ))
        .order(users::username_key.asc())
        .into_boxed();
    if let Some(r) = role {
        q = q.filter(users::role.eq(r.as_str()));
    }
    let rows: Vec<(String, String, String, String, bool)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(username, role, office_code, office_name, active)| Account {
                username,
                role,
                office_code,
                office_name,
                active,
            },
        )
        .collect())
}

/// The outcome of a reset, for the command to print.
#[derive(Debug)]
pub struct Reset {
    pub username: String,
    /// The generated password, when none was given: shown once, stored nowhere.
    pub generated: Option<String>,
    pub active: bool,
}

/// Sets a new password for `username` (any case): `given`, or a generated one. The same
/// change as `PATCH /users/{id}` with a password (`users::service::reset_password`).
pub fn reset_password(db: &Db, username: &str, given: Option<&str>) -> anyhow::Result<Reset> {
    let (new_password, generated) = match given {
        Some(p) => {
            let p = NewPassword::parse("JEMPUT_NEW_PASSWORD", p)
                .map_err(|e| anyhow::anyhow!("JEMPUT_NEW_PASSWORD: {}", e.message.en))?;
            (p.expose().to_string(), None)
        }
        None => {
            let p = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 20);
            (p.clone(), Some(p))
        }
    };
    let hash = password::hash_blocking(&new_password)?;
    let name = username.to_string();
    let user = db
        .write_blocking(move |c| crate::users::service::reset_password(c, &name, hash))
        .map_err(|e| match e {
            AppError::NotFound => anyhow::anyhow!(
                "no account named {username:?}; `jemput users list` shows who exists"
            ),
            other => anyhow::anyhow!("the reset failed: {other}"),
        })?;
    Ok(Reset {
        username: user.username,
        generated,
        active: user.active,
    })
}
