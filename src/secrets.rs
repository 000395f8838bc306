//! Per-installation secrets, generated on first start and kept in the `settings` table, so
//! every server on one database shares them and no two installs share a default.

use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::settings;

pub const NIK_KEY: &str = "nik_hmac_key";
pub const JWT_KEYS: &str = "jwt_signing_keys";

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<String>, AppError> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Stores `value` under `key` unless a value is there already; returns the stored one, so
/// servers racing to create a secret all end up with the first.
pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> Result<String, AppError> {
    let row = (
        settings::key.eq(key),
        settings::value.eq(value),
        settings::created_at.eq(crate::db::now()),
    );
    crate::with_conn!(conn, |c| diesel::insert_into(settings::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    get(conn, key)?.ok_or_else(|| AppError::internal(anyhow::anyhow!("setting {key} vanished")))
}

pub fn set(conn: &mut DbConn, key: &str, value: &str) -> Result<(), AppError> {
    let n = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if n == 0 {
        get_or_insert(conn, key, value)?;
    }
    Ok(())
}

/// The key of the NIK HMAC (32 random bytes).
pub fn nik_key(conn: &mut DbConn) -> Result<Vec<u8>, AppError> {
    let stored = get_or_insert(conn, NIK_KEY, &b64(&random_bytes(32)))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(stored)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad nik key in settings: {e}")))
}
