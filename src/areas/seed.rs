//! The official list of Indonesia's regions, embedded in the binary, and its loader.
//!
//! The CSVs under `seeds/wilayah/` are those of the npm package idn-area-data 4.0.1 (data from
//! Kepmendagri No. 300.2.2-2L38 Tahun 2025, ODbL 1.0; see `seeds/wilayah/LICENSE-DATA.md`).
//! They are embedded, so `jemput seed wilayah` works from any directory after `cargo install`.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::repo::{self, Area};
use crate::db::Db;
use crate::domain::{AreaCode, AreaLevel};

/// Where the data comes from, for logs, the CLI and attribution.
pub const SOURCE: &str = "idn-area-data 4.0.1 (Kepmendagri No. 300.2.2-2L38 Tahun 2025), \
     © Fityan (fityannugroho), ODbL 1.0";

const PROVINCES: &[u8] = include_bytes!("../../seeds/wilayah/provinces.csv");
const REGENCIES: &[u8] = include_bytes!("../../seeds/wilayah/regencies.csv");
const DISTRICTS: &[u8] = include_bytes!("../../seeds/wilayah/districts.csv");
/// Gzip-compressed: the plain file is 2.8 MB.
const VILLAGES_GZ: &[u8] = include_bytes!("../../seeds/wilayah/villages.csv.gz");

/// Areas per level in the embedded data set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub provinces: i64,
    pub regencies: i64,
    pub districts: i64,
    pub villages: i64,
}

impl Counts {
    /// The counts of the embedded data set (Kepmendagri 2025).
    pub const EXPECTED: Counts = Counts {
        provinces: 38,
        regencies: 514,
        districts: 7_285,
        villages: 83_762,
    };

    pub fn total(&self) -> i64 {
        self.provinces + self.regencies + self.districts + self.villages
    }

    fn slot(&mut self, level: AreaLevel) -> &mut i64 {
        match level {
            AreaLevel::Province => &mut self.provinces,
            AreaLevel::Regency => &mut self.regencies,
            AreaLevel::District => &mut self.districts,
            AreaLevel::Village => &mut self.villages,
        }
    }

    /// Counts what the database holds now.
    pub fn in_database(conn: &mut crate::db::DbConn) -> Result<Counts, crate::error::AppError> {
        let mut counts = Counts::default();
        for (level, n) in repo::count_by_level(conn)? {
            *counts.slot(level) = n;
        }
        Ok(counts)
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} provinces, {} regencies/cities, {} districts, {} villages ({} in all)",
            self.provinces,
            self.regencies,
            self.districts,
            self.villages,
            self.total()
        )
    }
}

/// What a load did and how long it took.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Counted in the database after the load committed.
    pub counts: Counts,
    /// Decompressing and parsing the embedded CSVs.
    pub parse: Duration,
    /// The one transaction that replaced the table.
    pub write: Duration,
}

/// Every area of the embedded data set, provinces first, each checked: a well-formed code of
/// the file's level, a parent code that is the code's own prefix and a known area, a name.
pub fn parse() -> anyhow::Result<Vec<Area>> {
    let mut villages = Vec::new();
    flate2::read::GzDecoder::new(VILLAGES_GZ)
        .read_to_end(&mut villages)
        .context("villages.csv.gz does not decompress")?;
    let files: [(&str, &[u8], AreaLevel); 4] = [
        ("provinces.csv", PROVINCES, AreaLevel::Province),
        ("regencies.csv", REGENCIES, AreaLevel::Regency),
        ("districts.csv", DISTRICTS, AreaLevel::District),
        ("villages.csv", &villages, AreaLevel::Village),
    ];
    let mut rows: Vec<Area> = Vec::with_capacity(Counts::EXPECTED.total() as usize);
    let mut known = std::collections::HashSet::with_capacity(rows.capacity());
    for (file, bytes, level) in files {
        parse_file(file, bytes, level, &mut rows, &mut known)?;
    }
    Ok(rows)
}

fn parse_file(
    file: &str,
    bytes: &[u8],
    level: AreaLevel,
    rows: &mut Vec<Area>,
    known: &mut std::collections::HashSet<String>,
) -> anyhow::Result<()> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader
        .headers()
        .with_context(|| format!("{file}: header"))?
        .clone();
    let expected: &[&str] = match level {
        AreaLevel::Province => &["code", "name"],
        AreaLevel::Regency => &["code", "province_code", "name"],
        AreaLevel::District => &["code", "regency_code", "name"],
        AreaLevel::Village => &["code", "district_code", "name"],
    };
    if headers.iter().collect::<Vec<_>>() != expected {
        bail!("{file}: columns are {headers:?}, expected {expected:?}");
    }
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{file}:{line}"))?;
        let code = AreaCode::parse("code", &record[0])
            .ok()
            .filter(|c| c.level() == level)
            .with_context(|| format!("{file}:{line}: not a {level} code"))?;
        let parent_code = match level {
            AreaLevel::Province => None,
            _ => {
                let parent = &record[1];
                if code.parent().as_ref().map(AreaCode::as_str) != Some(parent) {
                    bail!("{file}:{line}: parent {parent} is not the code's prefix");
                }
                if !known.contains(parent) {
                    bail!("{file}:{line}: parent {parent} is unknown");
                }
                Some(parent.to_string())
            }
        };
        let name = record[expected.len() - 1].trim();
        if name.is_empty() {
            bail!("{file}:{line}: empty name");
        }
        if !known.insert(code.as_str().to_string()) {
            bail!("{file}:{line}: code {code} repeats");
        }
        rows.push(Area {
            code: code.into_string(),
            parent_code,
            level: level.as_str().to_string(),
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Replaces the `areas` table with the embedded data set in one transaction (readers see the
/// old set or the new one, never half) and counts the result. Re-running it changes nothing.
pub fn load(db: &Db) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let rows = parse()?;
    let parse = started.elapsed();
    let started = Instant::now();
    let counts = db
        .write_blocking(move |c| {
            repo::replace_all(c, &rows)?;
            Counts::in_database(c)
        })
        .map_err(|e| anyhow::anyhow!("loading the areas failed: {e}"))?;
    let write = started.elapsed();
    Ok(LoadReport {
        counts,
        parse,
        write,
    })
}

/// Loads the data set when the `areas` table is empty (a database set up without
/// `jemput init`); returns the report of the load, if one ran.
pub fn load_if_empty(db: &Db) -> anyhow::Result<Option<LoadReport>> {
    let counts = {
        let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        Counts::in_database(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?
    };
    if counts.total() > 0 {
        return Ok(None);
    }
    load(db).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_set_parses_with_the_published_counts() {
        let rows = parse().unwrap();
        let mut counts = Counts::default();
        for r in &rows {
            *counts.slot(AreaLevel::from_db(&r.level).unwrap()) += 1;
        }
        assert_eq!(counts, Counts::EXPECTED);
        let tanah_laut = rows.iter().find(|r| r.code == "63.01").unwrap();
        assert_eq!(tanah_laut.name, "Kabupaten Tanah Laut");
        assert_eq!(tanah_laut.parent_code.as_deref(), Some("63"));
        // RFC 4180 quoting: `"Soka""an"` in the file is the name Soka"an.
        assert!(rows.iter().any(|r| r.name == "Soka\"an"));
        assert!(rows.iter().any(|r| r.name == "Lubuk Pakam I,II"));
    }
}
