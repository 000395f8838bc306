//! Outreach channels: the built-in ones every office shares, and an office's own (visible to
//! it and every office below it).

pub mod dto;
pub mod repo;
pub mod routes;
pub mod service;

/// The built-in channels: key, English name, Indonesian name.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("expo_stand", "Expo stand", "Stan pameran (expo)"),
    ("village_visit", "Village visit", "Kunjungan desa"),
    ("pkk_visit", "PKK visit", "Kunjungan PKK"),
    (
        "office_walk_in",
        "Office walk-in",
        "Layanan langsung di kantor",
    ),
    (
        "village_office_desk",
        "Village office desk",
        "Layanan di kantor desa",
    ),
    ("agency_drive", "Agency drive", "Jemput bola di instansi"),
    ("hospital_desk", "Hospital desk", "Layanan di rumah sakit"),
    ("socialization", "Socialization meeting", "Sosialisasi"),
    (
        "ktp_service",
        "With e-KTP service",
        "Bersama layanan KTP-el",
    ),
    ("partner_event", "Partner event", "Acara mitra"),
    ("other", "Other", "Lainnya"),
];

/// A built-in channel's id is the same on every installation.
pub fn builtin_id(key: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("jemput.channel.{key}").as_bytes(),
    )
    .to_string()
}

/// Inserts the built-in channels that are missing.
pub fn seed_builtin(conn: &mut crate::db::DbConn) -> Result<(), crate::error::AppError> {
    use crate::schema::channels as ch;
    use diesel::prelude::*;
    let now = crate::db::now();
    for (key, name, name_id) in BUILTIN {
        let row = (
            ch::id.eq(builtin_id(key)),
            ch::office_id.eq(None::<String>),
            ch::key.eq(*key),
            ch::name.eq(*name),
            ch::name_id.eq(*name_id),
            ch::builtin.eq(true),
            ch::created_at.eq(now),
            ch::updated_at.eq(now),
        );
        crate::with_conn!(conn, |c| diesel::insert_into(ch::table)
            .values(row.clone())
            .on_conflict(ch::id)
            .do_nothing()
            .execute(c))?;
    }
    Ok(())
}
