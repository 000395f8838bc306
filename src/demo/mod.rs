//! `jemput seed demo`: five regions from the 2023-2024 press reports with their targets, staff
//! and a year (2024) of outreach events and activation attempts, so a newcomer can try the
//! reports on figures that look like the real ones.
//!
//! Everything comes from a fixed-seed generator over [`data`] and the areas table, so two
//! fresh databases get the same rows (ids included) and the same report figures. The rows
//! go in through diesel in ONE transaction, with what the sync path would have written:
//! keyed NIK hashes, `citizens` claims, `repeat_citizen`, content hashes and the report
//! roll-ups. Loading refuses when any demo office or account already exists.
//!
//! A module of the binary (`src/main.rs`), not of the library: the server carries none of it,
//! and it writes only through the library's repositories, the API's write path. The tests
//! load it as a user does, by running `jemput seed demo`.

pub mod data;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use chrono_tz::Tz;
use diesel::prelude::*;

use self::data::{Attempts, Baseline, Days, Place, Programme, Regency};
use jemput::activations::repo::{self as activations_repo, Activation, Citizen};
use jemput::areas::repo::Area;
use jemput::audit::{self, AuditEvent};
use jemput::db::{Db, DbConn};
use jemput::domain::{AreaCode, EventStatus, Nik, Outcome};
use jemput::error::AppError;
use jemput::events::dto::EventDraft;
use jemput::events::repo::{self as events_repo, Event, StaffHours};
use jemput::offices::repo::{self as offices_repo, Office};
use jemput::schema::{areas, offices, users};
use jemput::tallies::Sink;
use jemput::targets::repo::{self as targets_repo, Target};
use jemput::users::repo::{self as users_repo, User};

/// A demo account, as printed after loading.
#[derive(Clone, Debug)]
pub struct Login {
    pub username: String,
    pub role: &'static str,
    pub office: String,
}

/// What a demo load stored.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The national root office and its admin were created too (the database had none).
    pub root_created: bool,
    pub offices: usize,
    pub logins: Vec<Login>,
    pub events: usize,
    /// Activation attempts stored (every row, voided and repeat ones included).
    pub attempts: usize,
    /// Counted activations (not voided, not a repeat citizen).
    pub activated: i64,
    /// Failed attempts (not voided).
    pub failed: i64,
    pub repeat_citizens: usize,
    pub voided: usize,
}

/// Why a load did not happen: the demo's offices or accounts clash with what is there.
#[derive(Debug)]
pub struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; load the demo into a fresh database \
             (e.g. `JEMPUT_DATA_DIR=demo-data jemput seed demo`)",
            self.0
        )
    }
}

/// Loads the demo: the areas first when that table is empty, then everything else in one
/// transaction. Refuses (an error naming the clash) when a demo office or account exists.
/// The database must be migrated (`bootstrap::prepare`).
pub fn load(db: &Db) -> anyhow::Result<Summary> {
    jemput::areas::seed::load_if_empty(db)?;
    // One hash for every account: they share the printed demo password anyway.
    let hash = jemput::auth::password::hash_blocking(data::PASSWORD)
        .map_err(|e| anyhow::anyhow!("hashing the demo password failed: {e}"))?;
    match db.write_blocking(|c| store(c, &hash)) {
        Ok(Ok(summary)) => Ok(summary),
        Ok(Err(refusal)) => anyhow::bail!("{refusal}"),
        Err(e) => Err(anyhow::anyhow!("loading the demo data failed: {e}")),
    }
}

fn internal(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("demo data: {what}"))
}

/// The transaction of a load.
fn store(c: &mut DbConn, password_hash: &str) -> Result<Result<Summary, Refusal>, AppError> {
    if let Some(refusal) = clash(c)? {
        return Ok(Err(refusal));
    }
    let now = founded()?;
    let mut summary = Summary::default();
    let root = match root_office(c)? {
        Some(root) if root.level == "national" => root,
        Some(root) => {
            return Ok(Err(Refusal(format!(
                "the root office {} is a {} office; the demo needs a national one",
                root.code, root.level
            ))))
        }
        None => {
            let mut rng = stream("national");
            let id = rng.uuid();
            let (code, name, tz) = data::NATIONAL;
            let root = Office {
                path: offices_repo::child_path(None, &id),
                id,
                code: code.into(),
                name: name.into(),
                level: "national".into(),
                parent_id: None,
                timezone: tz.into(),
                created_at: now,
                updated_at: now,
            };
            offices_repo::insert(c, &root)?;
            let admin = user(
                &mut rng,
                data::NATIONAL_ADMIN.username,
                data::NATIONAL_ADMIN.full_name,
                "admin",
                &root.id,
                password_hash,
                now,
            );
            users_repo::insert(c, &admin)?;
            summary.root_created = true;
            summary.logins.push(Login {
                username: admin.username,
                role: "admin",
                office: root.name.clone(),
            });
            root
        }
    };
    let nik_key = jemput::secrets::nik_key(c)?;
    let regions = region_areas(c)?;
    let plan = generate(&root, &regions, &nik_key, password_hash)?;

    for o in &plan.offices {
        offices_repo::insert(c, o)?;
    }
    for u in &plan.users {
        users_repo::insert(c, u)?;
    }
    for t in &plan.targets {
        targets_repo::upsert(c, t)?;
    }
    // Through the repositories' writes, as the API's: the tallies follow in this transaction.
    events_repo::insert_with_staff(c, &plan.events, &plan.staff)?;
    let mut rows = plan.activations.clone();
    rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    if activations_repo::insert_new(c, rows.clone(), Sink::Now)?.len() != rows.len() {
        return Err(internal("an activation id clashed"));
    }
    activations_repo::claim_citizens(c, &plan.citizens)?;

    summary.offices = plan.offices.len() + usize::from(summary.root_created);
    summary.logins.extend(plan.logins);
    summary.events = plan.events.len();
    summary.attempts = plan.activations.len();
    for a in &plan.activations {
        match (a.outcome, a.repeat_citizen, a.voided_at.is_some()) {
            (_, _, true) => summary.voided += 1,
            (Outcome::Activated, true, _) => summary.repeat_citizens += 1,
            (Outcome::Activated, false, _) => summary.activated += 1,
            _ => summary.failed += 1,
        }
    }
    audit::record(
        c,
        AuditEvent {
            actor_id: None,
            office_id: Some(&root.id),
            action: "demo_loaded",
            subject_type: "demo",
            subject_id: None,
            detail: Some(serde_json::json!({
                "offices": summary.offices,
                "users": summary.logins.len(),
                "events": summary.events,
                "activations": summary.attempts,
            })),
            client_addr: None,
        },
    )?;
    Ok(Ok(summary))
}

/// A demo office code or username that is already taken, if any.
fn clash(c: &mut DbConn) -> Result<Option<Refusal>, AppError> {
    let codes: Vec<&str> = data::PROVINCES
        .iter()
        .map(|p| p.code)
        .chain(data::REGENCIES.iter().map(|r| r.code))
        .collect();
    let taken: Vec<String> = offices::table
        .filter(offices::code.eq_any(&codes))
        .select(offices::code)
        .order(offices::code.asc())
        .load(c)?;
    if taken.len() == codes.len() {
        return Ok(Some(Refusal(
            "the demo data is already loaded in this database".into(),
        )));
    }
    if let Some(code) = taken.first() {
        return Ok(Some(Refusal(format!(
            "an office with code {code} already exists, and the demo brings its own"
        ))));
    }
    let names: Vec<String> = usernames();
    let taken: Vec<String> = users::table
        .filter(users::username_key.eq_any(&names))
        .select(users::username)
        .order(users::username_key.asc())
        .load(c)?;
    Ok(taken.first().map(|u| {
        Refusal(format!(
            "a user named {u} already exists, and the demo brings its own"
        ))
    }))
}

/// Every username the demo creates (lower case).
fn usernames() -> Vec<String> {
    let mut names = vec![data::NATIONAL_ADMIN.username.to_string()];
    names.extend(data::PROVINCES.iter().map(|p| p.admin.username.to_string()));
    for r in data::REGENCIES {
        names.push(format!("{}.supervisor", r.key));
        names.extend((1..=r.staff.len()).map(|i| format!("{}.petugas{i}", r.key)));
    }
    names
}

fn root_office(c: &mut DbConn) -> Result<Option<Office>, AppError> {
    Ok(offices::table
        .filter(offices::parent_id.is_null())
        .order(offices::created_at.asc())
        .select(Office::as_select())
        .first(c)
        .optional()?)
}

/// The districts and villages of each demo regency.
#[derive(Clone, Debug, Default)]
pub struct RegionAreas {
    /// (code, name) by regency code, in code order.
    pub districts: HashMap<String, Vec<(String, String)>>,
    /// (code, name, district code) by regency code, in code order.
    pub villages: HashMap<String, Vec<(String, String, String)>>,
}

impl RegionAreas {
    /// Picks the demo regencies' areas out of any list of areas.
    pub fn from_areas<'a>(rows: impl IntoIterator<Item = &'a Area>) -> RegionAreas {
        let mut out = RegionAreas::default();
        let prefixes: Vec<(String, &Regency)> = data::REGENCIES
            .iter()
            .map(|r| (format!("{}.", r.code), r))
            .collect();
        let mut rows: Vec<&Area> = rows.into_iter().collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        for a in rows {
            let Some((_, regency)) = prefixes.iter().find(|(p, _)| a.code.starts_with(p)) else {
                continue;
            };
            let key = regency.code.to_string();
            match a.level.as_str() {
                "district" => out
                    .districts
                    .entry(key)
                    .or_default()
                    .push((a.code.clone(), a.name.clone())),
                "village" => out.villages.entry(key).or_default().push((
                    a.code.clone(),
                    a.name.clone(),
                    a.parent_code.clone().unwrap_or_default(),
                )),
                _ => {}
            }
        }
        out
    }
}

fn region_areas(c: &mut DbConn) -> Result<RegionAreas, AppError> {
    let mut rows: Vec<Area> = Vec::new();
    for r in data::REGENCIES {
        rows.extend(
            areas::table
                .filter(areas::code.like(format!("{}.%", r.code)))
                .select(Area::as_select())
                .load(c)?,
        );
    }
    let regions = RegionAreas::from_areas(&rows);
    for r in data::REGENCIES {
        if regions.villages.get(r.code).is_none_or(Vec::is_empty) {
            return Err(internal(
                "the areas table lacks a demo regency; run `jemput seed wilayah`",
            ));
        }
    }
    Ok(regions)
}

/// Every row of a demo load, before it is written.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub offices: Vec<Office>,
    pub users: Vec<User>,
    pub logins: Vec<Login>,
    pub targets: Vec<Target>,
    pub events: Vec<Event>,
    pub staff: Vec<StaffHours>,
    pub activations: Vec<Activation>,
    pub citizens: Vec<Citizen>,
}

/// SplitMix64: tiny, and its sequence never changes with a dependency's version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// An index drawn with these weights.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// A version-4 UUID from the stream.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// A stream of its own for each named part, so changing one region leaves the others' rows
/// as they were.
fn stream(name: &str) -> Rng {
    // FNV-1a of the name.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(data::SEED ^ h)
}

fn user(
    rng: &mut Rng,
    username: &str,
    full_name: &str,
    role: &str,
    office_id: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> User {
    User {
        id: rng.uuid(),
        username: username.to_string(),
        username_key: username.to_ascii_lowercase(),
        full_name: full_name.to_string(),
        password_hash: password_hash.to_string(),
        role: role.to_string(),
        office_id: office_id.to_string(),
        active: true,
        auth_epoch: 0,
        created_at: now,
        updated_at: now,
    }
}

fn day(month: u32, d: u32) -> Result<NaiveDate, AppError> {
    NaiveDate::from_ymd_opt(data::YEAR, month, d).ok_or_else(|| internal("a bad date"))
}

/// A local wall-clock time in `tz` as naive UTC (Indonesia has no daylight saving time).
fn to_utc(tz: Tz, date: NaiveDate, hour: u32, minute: u32, second: u32) -> NaiveDateTime {
    let local = date.and_time(NaiveTime::from_hms_opt(hour, minute, second).unwrap_or_default());
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

const AGE_BANDS: [&str; 4] = ["17-24", "25-39", "40-59", "60+"];
/// How an age band scales the chance of success: the elderly often have no phone.
const AGE_SUCCESS: [f64; 4] = [1.08, 1.0, 0.85, 0.45];

/// When the demo's offices and accounts were set up: the first working day of the year, so
/// nothing in the demo predates the accounts that made it.
fn founded() -> Result<NaiveDateTime, AppError> {
    Ok(to_utc(chrono_tz::Asia::Jakarta, day(1, 2)?, 8, 0, 0))
}

/// Builds every row of the demo below `root` (no database needed: the tests call it twice).
pub fn generate(
    root: &Office,
    regions: &RegionAreas,
    nik_key: &[u8],
    password_hash: &str,
) -> Result<Plan, AppError> {
    let now = founded()?;
    let mut plan = Plan::default();
    let mut people = stream("people");
    let mut province_ids: HashMap<&str, Office> = HashMap::new();
    for p in data::PROVINCES {
        let id = people.uuid();
        let office = Office {
            path: offices_repo::child_path(Some(&root.path), &id),
            id,
            code: p.code.into(),
            name: p.name.into(),
            level: "province".into(),
            parent_id: Some(root.id.clone()),
            timezone: p.timezone.into(),
            created_at: now,
            updated_at: now,
        };
        let admin = user(
            &mut people,
            p.admin.username,
            p.admin.full_name,
            "admin",
            &office.id,
            password_hash,
            now,
        );
        plan.logins.push(Login {
            username: admin.username.clone(),
            role: "admin",
            office: office.name.clone(),
        });
        plan.users.push(admin);
        province_ids.insert(p.code, office.clone());
        plan.offices.push(office);
    }
    for r in data::REGENCIES {
        let parent = province_ids
            .get(r.province)
            .ok_or_else(|| internal("a regency without its province"))?
            .clone();
        let id = people.uuid();
        let office = Office {
            path: offices_repo::child_path(Some(&parent.path), &id),
            id,
            code: r.code.into(),
            name: r.name.into(),
            level: "regency".into(),
            parent_id: Some(parent.id.clone()),
            timezone: r.timezone.into(),
            created_at: now,
            updated_at: now,
        };
        let sup = user(
            &mut people,
            &format!("{}.supervisor", r.key),
            r.supervisor,
            "supervisor",
            &office.id,
            password_hash,
            now,
        );
        let staff: Vec<User> = r
            .staff
            .iter()
            .enumerate()
            .map(|(i, name)| {
                user(
                    &mut people,
                    &format!("{}.petugas{}", r.key, i + 1),
                    name,
                    "field_staff",
                    &office.id,
                    password_hash,
                    now,
                )
            })
            .collect();
        for u in std::iter::once(&sup).chain(&staff) {
            plan.logins.push(Login {
                username: u.username.clone(),
                role: if u.role == "supervisor" {
                    "supervisor"
                } else {
                    "field_staff"
                },
                office: office.name.clone(),
            });
        }
        let mut region = RegionGen {
            rng: stream(r.key),
            regency: r,
            tz: r.timezone.parse().unwrap_or(chrono_tz::Asia::Jakarta),
            office: &office,
            supervisor: &sup,
            staff: &staff,
            districts: regions.districts.get(r.code).cloned().unwrap_or_default(),
            villages: regions.villages.get(r.code).cloned().unwrap_or_default(),
            nik_key,
            niks: HashSet::new(),
            citizens: Vec::new(),
            plan: &mut plan,
        };
        region.run()?;
        plan.users.push(sup);
        plan.users.extend(staff);
        plan.offices.push(office);
    }
    targets(&mut plan, now)?;
    Ok(plan)
}

/// The 2024 targets: each regency's, and the province-wide ones over their regencies.
fn targets(plan: &mut Plan, now: NaiveDateTime) -> Result<(), AppError> {
    let office_of: HashMap<String, String> = plan
        .offices
        .iter()
        .map(|o| (o.code.clone(), o.id.clone()))
        .collect();
    let id_of = |code: &str| {
        office_of
            .get(code)
            .cloned()
            .ok_or_else(|| internal("a target without its office"))
    };
    let mut by_code: HashMap<&str, (i64, i64)> = HashMap::new();
    for r in data::REGENCIES {
        let office_id = id_of(r.code)?;
        let t = &r.target;
        let baseline = match t.baseline {
            Baseline::Activations(n) => n,
            Baseline::ReachTotal { total, by } => {
                let by = day(by.0, by.1)?;
                let tracked = plan
                    .activations
                    .iter()
                    .filter(|a| a.office_id == office_id && a.local_date <= by && counts(a))
                    .count() as i64;
                total - tracked
            }
        };
        by_code.insert(r.code, (t.eligible, baseline));
        plan.targets.push(Target {
            office_id,
            year: data::YEAR,
            eligible_population: t.eligible,
            target_percent: t.percent,
            baseline_activations: baseline,
            baseline_date: Some(day(t.baseline_date.0, t.baseline_date.1)?),
            updated_at: now,
        });
    }
    for p in data::PROVINCES {
        let Some(percent) = p.target_percent else {
            continue;
        };
        let (eligible, baseline) = data::REGENCIES
            .iter()
            .filter(|r| r.province == p.code)
            .filter_map(|r| by_code.get(r.code))
            .fold((0, 0), |acc, (e, b)| (acc.0 + e, acc.1 + b));
        plan.targets.push(Target {
            office_id: id_of(p.code)?,
            year: data::YEAR,
            eligible_population: eligible,
            target_percent: percent,
            baseline_activations: baseline,
            baseline_date: Some(day(1, 1)?),
            updated_at: now,
        });
    }
    Ok(())
}

/// Is the activation counted in yields (activated, first of its citizen, not voided)?
fn counts(a: &Activation) -> bool {
    a.outcome == Outcome::Activated && !a.repeat_citizen && a.voided_at.is_none()
}

/// A citizen activated earlier, who may come again.
#[derive(Clone)]
struct Citizen0 {
    nik_hash: String,
    home_district: String,
    age_band: Option<&'static str>,
    sex: Option<&'static str>,
    first_at: NaiveDateTime,
}

/// The generator of one regency's year.
struct RegionGen<'a> {
    rng: Rng,
    regency: &'static Regency,
    tz: Tz,
    office: &'a Office,
    supervisor: &'a User,
    staff: &'a [User],
    districts: Vec<(String, String)>,
    villages: Vec<(String, String, String)>,
    nik_key: &'a [u8],
    niks: HashSet<String>,
    citizens: Vec<Citizen0>,
    plan: &'a mut Plan,
}

/// One event of a programme before its rows are made.
struct Slot {
    n: usize,
    date: NaiveDate,
}

impl RegionGen<'_> {
    fn run(&mut self) -> Result<(), AppError> {
        let first_event = self.plan.events.len();
        let first_row = self.plan.activations.len();
        let regency = self.regency;
        for p in regency.programmes {
            for slot in self.slots(p)? {
                self.event(p, &slot)?;
            }
        }
        self.statuses(first_event);
        self.voids(first_event, first_row)?;
        Ok(())
    }

    /// The days a programme's events start on.
    fn slots(&self, p: &Programme) -> Result<Vec<Slot>, AppError> {
        let (from, to) = (day(p.from.0, p.from.1)?, day(p.to.0, p.to.1)?);
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            let wanted = match p.days {
                Days::Daily => true,
                Days::Weekly(days) => days.contains(&d.weekday()),
                Days::Monthly(nths, wd) => {
                    d.weekday() == wd && nths.contains(&((d.day() - 1) / 7 + 1))
                }
                Days::Dates(dates) => dates.contains(&(d.month(), d.day())),
            };
            let holiday = data::HOLIDAYS.contains(&(d.month(), d.day()));
            if wanted && !(p.skip_holidays && holiday) {
                out.push(Slot {
                    n: out.len() + 1,
                    date: d,
                });
            }
            d += Duration::days(1);
        }
        Ok(out)
    }

    fn district_name(&self, code: &str) -> String {
        self.districts
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }

    /// The event's area (code, village name, district code).
    fn place(&mut self, p: &Programme) -> (Option<String>, String, String) {
        match p.place {
            Place::Office => (None, String::new(), String::new()),
            Place::Fixed(code) => (Some(code.to_string()), String::new(), code.to_string()),
            Place::District => {
                let i = self.rng.below(self.districts.len());
                let code = self
                    .districts
                    .get(i)
                    .map(|d| d.0.clone())
                    .unwrap_or_default();
                (Some(code.clone()), String::new(), code)
            }
            Place::Village => {
                let i = self.rng.below(self.villages.len());
                let (code, name, district) = self.villages.get(i).cloned().unwrap_or_default();
                (Some(code), name, district)
            }
        }
    }

    fn event(&mut self, p: &'static Programme, slot: &Slot) -> Result<(), AppError> {
        let r = self.regency;
        let (area, village, district) = self.place(p);
        let blank = r.blank_spots.contains(&district.as_str());
        let name = match p.names.len() {
            0 => "",
            n => p.names[(slot.n - 1) % n],
        };
        let district_name = self.district_name(&district);
        let fill = |s: &str| {
            s.replace("{n}", &slot.n.to_string())
                .replace("{week}", &slot.date.iso_week().week().to_string())
                .replace("{name}", name)
                .replace("{village}", &village)
                .replace("{district}", &district_name)
        };
        let last_day = slot.date + Duration::days(i64::from(p.span_days.max(1)) - 1);
        let starts_at = to_utc(self.tz, slot.date, p.start.0, p.start.1, 0);
        let ends_at = to_utc(self.tz, last_day, p.end.0, p.end.1, 0);
        let (latitude, longitude) = match p.place {
            Place::Office => (Some(r.seat.0), Some(r.seat.1)),
            _ => (None, None),
        };
        let cost_idr = match p.cost {
            Some(c) if self.rng.chance(c.share) => {
                let steps = ((c.hi - c.lo) / 50_000).max(0) as u32;
                Some(c.lo + 50_000 * i64::from(self.rng.between(0, steps)))
            }
            _ => None,
        };
        let mut notes: Vec<&str> = p.notes.into_iter().collect();
        if blank {
            notes.push("Blank spot: tidak ada sinyal di lokasi; data disinkronkan setelah kembali ke kantor.");
        }
        let notes = (!notes.is_empty()).then(|| notes.join(" "));

        // Who works there: field staff in turn, and the supervisor for meetings.
        let mut team: Vec<&User> = Vec::new();
        let offset = self.rng.below(self.staff.len());
        for i in 0..p.staff.min(self.staff.len()) {
            team.push(&self.staff[(offset + i) % self.staff.len()]);
        }
        if p.with_supervisor || team.is_empty() {
            team.push(self.supervisor);
        }
        let creator = team[0].id.clone();
        let team_ids: Vec<String> = team.iter().map(|u| u.id.clone()).collect();

        let draft = EventDraft {
            channel_key: p.channel.to_string(),
            title: fill(p.title),
            starts_at,
            ends_at,
            area_code: area
                .as_deref()
                .and_then(|a| AreaCode::parse("area_code", a).ok()),
            venue: p.venue.map(fill),
            latitude,
            longitude,
            cost_idr,
            notes,
        };
        let id = self.rng.uuid();
        let created_at = starts_at - Duration::hours(i64::from(self.rng.between(20, 120)));
        let event = Event {
            content_hash: draft.content_hash(&self.office.id),
            id: id.clone(),
            office_id: self.office.id.clone(),
            channel_key: draft.channel_key,
            title: draft.title,
            starts_at,
            ends_at,
            local_date: slot.date,
            area_code: area.clone(),
            venue: draft.venue,
            latitude,
            longitude,
            cost_idr,
            notes: draft.notes,
            status: EventStatus::Open,
            review_comment: None,
            reviewed_by: None,
            reviewed_at: None,
            created_by: creator,
            created_at,
            updated_at: ends_at,
        };

        let per_day = p.hours_per_day.unwrap_or_else(|| {
            f64::from(p.end.0 * 60 + p.end.1 - p.start.0 * 60 - p.start.1) / 60.0
        });
        for uid in &team_ids {
            let mut hours = per_day * f64::from(p.span_days.max(1));
            if self.rng.chance(0.2) {
                hours -= 0.5;
            }
            self.plan.staff.push(StaffHours {
                event_id: id.clone(),
                user_id: uid.clone(),
                hours: hours.max(0.5),
                updated_at: ends_at + Duration::hours(1),
            });
        }

        // The attempts: (activated?, age band index).
        let mut attempts: Vec<(bool, Option<usize>)> = Vec::new();
        let age_weights: Vec<f64> = p.ages.iter().map(|w| f64::from(*w)).collect();
        match p.attempts {
            Attempts::Between(lo, hi) => {
                for _ in 0..self.rng.between(lo, hi) {
                    let age = self.rng.weighted(&age_weights);
                    let mut chance = p.success * AGE_SUCCESS[age];
                    if blank {
                        chance *= 0.6;
                    }
                    let ok = self.rng.chance(chance.min(0.97));
                    let recorded = self.rng.chance(0.92);
                    attempts.push((ok, recorded.then_some(age)));
                }
            }
            Attempts::Counted(per_event, lo, hi) => {
                let activated = per_event.get(slot.n - 1).copied().unwrap_or(0);
                let ok_weights: Vec<f64> = age_weights
                    .iter()
                    .zip(AGE_SUCCESS)
                    .map(|(w, s)| w * s)
                    .collect();
                let fail_weights: Vec<f64> = age_weights
                    .iter()
                    .zip(AGE_SUCCESS)
                    .map(|(w, s)| w * (1.1 - s))
                    .collect();
                for _ in 0..activated {
                    let age = self.rng.weighted(&ok_weights);
                    attempts.push((true, Some(age)));
                }
                for _ in 0..self.rng.between(lo, hi) {
                    let age = self.rng.weighted(&fail_weights);
                    attempts.push((false, Some(age)));
                }
            }
        }
        let days = p.span_days.max(1);
        let window = (p.end.0 * 60 + p.end.1)
            .saturating_sub(p.start.0 * 60 + p.start.1)
            .max(1);
        for (ok, age) in attempts {
            let on = slot.date + Duration::days(i64::from(self.rng.between(0, days - 1)));
            let minute = p.start.0 * 60 + p.start.1 + self.rng.between(0, window - 1);
            let recorded_at = to_utc(
                self.tz,
                on,
                minute / 60,
                minute % 60,
                self.rng.between(0, 59),
            );
            let staff_id = team_ids[self.rng.below(team_ids.len())].clone();
            let reason = (!ok).then(|| self.reason(p, age, blank));
            let with_nik = self
                .rng
                .chance(if ok { p.nik_share } else { p.nik_share / 2.0 });
            let band = age.map(|a| AGE_BANDS[a]);
            let (nik_hash, home_district, sex) = if with_nik {
                let (h, d, female) = self.new_nik(on, age)?;
                let sex = self
                    .rng
                    .chance(0.85)
                    .then_some(if female { "female" } else { "male" });
                (Some(h), Some(d), sex)
            } else {
                let female = self.rng.chance(p.female);
                let sex = self
                    .rng
                    .chance(0.85)
                    .then_some(if female { "female" } else { "male" });
                (None, None, sex)
            };
            let area_code = matches!(p.place, Place::Village)
                .then(|| area.clone())
                .flatten();
            let row = self.row(
                &event,
                staff_id.clone(),
                recorded_at,
                on,
                ok,
                reason,
                band,
                sex,
                area_code.clone(),
                nik_hash.clone(),
                home_district.clone(),
                blank,
            );
            if ok {
                if let (Some(h), Some(d)) = (nik_hash, home_district) {
                    // A citizen who comes back (a new phone, a reinstalled app) is stored
                    // again as a repeat and never counted twice.
                    if self.rng.chance(p.repeat_share) {
                        let earlier: Vec<Citizen0> = self
                            .citizens
                            .iter()
                            .filter(|c| c.first_at < recorded_at)
                            .cloned()
                            .collect();
                        if !earlier.is_empty() {
                            let c = earlier[self.rng.below(earlier.len())].clone();
                            let again = self.row(
                                &event,
                                staff_id,
                                recorded_at + Duration::minutes(3),
                                on,
                                true,
                                None,
                                c.age_band,
                                c.sex,
                                area_code,
                                Some(c.nik_hash),
                                Some(c.home_district),
                                blank,
                            );
                            self.plan.activations.push(again);
                        }
                    }
                    self.citizens.push(Citizen0 {
                        nik_hash: h,
                        home_district: d,
                        age_band: band,
                        sex,
                        first_at: recorded_at,
                    });
                }
            }
            self.plan.activations.push(row);
        }
        self.plan.events.push(event);
        Ok(())
    }

    /// A failure reason, weighted by the programme and the citizen's age.
    fn reason(&mut self, p: &Programme, age: Option<usize>, blank: bool) -> &'static str {
        let weights: Vec<f64> = p
            .failures
            .iter()
            .map(|(r, w)| {
                let mut w = f64::from(*w);
                match (*r, age) {
                    ("no_smartphone", Some(3)) => w *= 4.0,
                    ("phone_no_camera", Some(3)) => w *= 2.0,
                    ("no_smartphone", Some(0)) => w *= 0.3,
                    _ => {}
                }
                w
            })
            .collect();
        if blank && self.rng.chance(0.55) {
            return "no_signal";
        }
        let i = self.rng.weighted(&weights);
        p.failures.get(i).map(|(r, _)| *r).unwrap_or("other")
    }

    /// A new citizen of this regency: a valid NIK (a real district of the regency, a birth
    /// date matching the age band), its keyed hash and district, and whether female.
    fn new_nik(
        &mut self,
        on: NaiveDate,
        age: Option<usize>,
    ) -> Result<(String, String, bool), AppError> {
        for _ in 0..100 {
            let district = self
                .districts
                .get(self.rng.below(self.districts.len()))
                .map(|d| d.0.replace('.', ""))
                .unwrap_or_default();
            // Ages inside the band even when the birthday is later in the year.
            let years = match age {
                Some(0) => self.rng.between(18, 23),
                Some(1) => self.rng.between(26, 38),
                Some(2) => self.rng.between(41, 58),
                Some(_) => self.rng.between(61, 84),
                None => self.rng.between(18, 70),
            };
            let year = on.year() - years as i32;
            let female = self.rng.chance(0.5);
            let dd = self.rng.between(1, 28) + if female { 40 } else { 0 };
            let mm = self.rng.between(1, 12);
            let serial = self.rng.between(1, 9999);
            let nik = format!(
                "{district}{dd:02}{mm:02}{:02}{serial:04}",
                year.rem_euclid(100)
            );
            if self.niks.contains(&nik) {
                continue;
            }
            if let Ok(parsed) = Nik::parse("nik", &nik) {
                self.niks.insert(nik);
                return Ok((
                    parsed.keyed_hash(self.nik_key),
                    parsed.home_district(),
                    female,
                ));
            }
        }
        Err(internal("could not make a valid NIK"))
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        event: &Event,
        staff_id: String,
        recorded_at: NaiveDateTime,
        on: NaiveDate,
        ok: bool,
        reason: Option<&str>,
        band: Option<&str>,
        sex: Option<&str>,
        area_code: Option<String>,
        nik_hash: Option<String>,
        home_district: Option<String>,
        blank: bool,
    ) -> Activation {
        let id = self.rng.uuid();
        // Synced minutes later, or days later from a blank spot.
        let delay = if blank {
            Duration::hours(i64::from(self.rng.between(20, 72)))
        } else {
            Duration::minutes(i64::from(self.rng.between(5, 180)))
        };
        let outcome = if ok { "activated" } else { "failed" };
        let content_hash = activations_repo::content_hash(&activations_repo::Visible {
            id: &id,
            event_id: &event.id,
            staff_id: &staff_id,
            recorded_at,
            outcome,
            failure_reason: reason,
            age_band: band,
            sex,
            area_code: area_code.as_deref(),
        });
        Activation {
            id,
            event_id: event.id.clone(),
            office_id: event.office_id.clone(),
            channel_key: event.channel_key.clone(),
            created_by: staff_id.clone(),
            staff_id,
            recorded_at,
            local_date: on,
            outcome: if ok {
                Outcome::Activated
            } else {
                Outcome::Failed
            },
            failure_reason: reason.map(str::to_string),
            age_band: band.map(str::to_string),
            sex: sex.map(str::to_string),
            area_code,
            nik_hash,
            home_district,
            repeat_citizen: false,
            content_hash,
            voided_at: None,
            voided_by: None,
            void_reason: None,
            created_at: recorded_at + delay,
        }
    }

    /// Review states by how long ago the event ended (the demo stands at the end of 2024):
    /// the last three weeks are still open or waiting for review, the weeks before mostly
    /// reviewed, older ones approved but for a few returned with a comment.
    fn statuses(&mut self, first_event: usize) {
        let recent = NaiveDate::from_ymd_opt(data::YEAR, 12, 9).unwrap_or_default();
        let autumn = NaiveDate::from_ymd_opt(data::YEAR, 11, 11).unwrap_or_default();
        let sup = self.supervisor.id.clone();
        let tz = self.tz;
        for i in first_event..self.plan.events.len() {
            let x = self.rng.unit();
            let comment_i = self.rng.below(data::RETURN_COMMENTS.len());
            let days_later = i64::from(self.rng.between(1, 4));
            let e = &mut self.plan.events[i];
            let end_day = tz.from_utc_datetime(&e.ends_at).date_naive();
            let status = if end_day >= recent {
                if x < 0.6 {
                    "open"
                } else {
                    "submitted"
                }
            } else if end_day >= autumn {
                match x {
                    x if x < 0.4 => "submitted",
                    x if x < 0.55 => "returned",
                    _ => "approved",
                }
            } else {
                match x {
                    x if x < 0.03 => "submitted",
                    x if x < 0.07 => "returned",
                    x if x < 0.11 => "approved_after_return",
                    _ => "approved",
                }
            };
            let reviewed_at = to_utc(tz, end_day + Duration::days(days_later), 10, 0, 0);
            let comment = data::RETURN_COMMENTS[comment_i].to_string();
            match status {
                "open" => {}
                "submitted" => {
                    e.status = EventStatus::Submitted;
                    e.updated_at = e.ends_at + Duration::hours(20);
                }
                "returned" => {
                    e.status = EventStatus::Returned;
                    e.review_comment = Some(comment);
                    e.reviewed_by = Some(sup.clone());
                    e.reviewed_at = Some(reviewed_at);
                    e.updated_at = reviewed_at;
                }
                other => {
                    // Approving keeps the comment of an earlier return.
                    e.status = EventStatus::Approved;
                    e.review_comment = (other == "approved_after_return").then_some(comment);
                    e.reviewed_by = Some(sup.clone());
                    e.reviewed_at = Some(reviewed_at);
                    e.updated_at = reviewed_at;
                }
            }
        }
    }

    /// The regency's voided rows: an activation entered twice, then voided by the
    /// supervisor before the event was reviewed.
    fn voids(&mut self, first_event: usize, first_row: usize) -> Result<(), AppError> {
        for (key, channel, reason) in data::VOIDS {
            if *key != self.regency.key {
                continue;
            }
            let events: HashSet<&str> = self.plan.events[first_event..]
                .iter()
                .filter(|e| e.channel_key == *channel)
                .map(|e| e.id.as_str())
                .collect();
            let candidates: Vec<usize> = (first_row..self.plan.activations.len())
                .filter(|i| {
                    let a = &self.plan.activations[*i];
                    a.outcome == Outcome::Activated
                        && a.nik_hash.is_none()
                        && events.contains(a.event_id.as_str())
                })
                .collect();
            if candidates.is_empty() {
                return Err(internal("no activation to void"));
            }
            let original =
                self.plan.activations[candidates[self.rng.below(candidates.len())]].clone();
            let recorded_at = original.recorded_at + Duration::seconds(40);
            let event = self
                .plan
                .events
                .iter()
                .find(|e| e.id == original.event_id)
                .cloned()
                .ok_or_else(|| internal("a row without its event"))?;
            let mut twin = self.row(
                &event,
                original.staff_id.clone(),
                recorded_at,
                original.local_date,
                true,
                None,
                original
                    .age_band
                    .as_deref()
                    .and_then(|b| AGE_BANDS.iter().copied().find(|x| *x == b)),
                original
                    .sex
                    .as_deref()
                    .and_then(|s| ["male", "female"].into_iter().find(|x| *x == s)),
                original.area_code.clone(),
                None,
                None,
                false,
            );
            twin.voided_at = Some(twin.created_at + Duration::hours(2));
            twin.voided_by = Some(self.supervisor.id.clone());
            twin.void_reason = data::VOID_REASONS.get(*reason).map(|s| s.to_string());
            self.plan.activations.push(twin);
        }
        // Repeat citizens and citizen claims, as the sync would have set them had every row
        // arrived in the order it was recorded.
        let mut rows: Vec<usize> = (first_row..self.plan.activations.len()).collect();
        rows.sort_by(|a, b| {
            let (x, y) = (&self.plan.activations[*a], &self.plan.activations[*b]);
            (x.recorded_at, &x.id).cmp(&(y.recorded_at, &y.id))
        });
        let mut firsts: HashSet<String> = HashSet::new();
        for i in rows {
            let a = &mut self.plan.activations[i];
            let Some(h) = a.nik_hash.clone() else {
                continue;
            };
            if a.outcome != Outcome::Activated || a.voided_at.is_some() {
                continue;
            }
            if firsts.insert(h.clone()) {
                self.plan.citizens.push(Citizen {
                    office_id: a.office_id.clone(),
                    nik_hash: h,
                    first_activation_id: a.id.clone(),
                });
            } else {
                a.repeat_citizen = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Office {
        Office {
            id: "00000000-0000-4000-8000-000000000000".into(),
            code: "ID".into(),
            name: "root".into(),
            level: "national".into(),
            parent_id: None,
            timezone: "Asia/Jakarta".into(),
            path: "/00000000-0000-4000-8000-000000000000/".into(),
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
        }
    }

    /// The embedded areas of the demo regencies (parsed once: it takes a while unoptimised).
    fn regions() -> &'static RegionAreas {
        static REGIONS: std::sync::OnceLock<RegionAreas> = std::sync::OnceLock::new();
        REGIONS.get_or_init(|| {
            RegionAreas::from_areas(&jemput::areas::seed::parse().expect("embedded areas"))
        })
    }

    fn plan() -> Plan {
        generate(&root(), regions(), b"key", "hash").expect("plan")
    }

    #[test]
    fn the_same_seed_makes_the_same_rows() {
        let (a, b) = (plan(), plan());
        assert_eq!(a.activations.len(), b.activations.len());
        for (x, y) in a.activations.iter().zip(&b.activations) {
            assert_eq!(x.id, y.id);
            assert_eq!(x.content_hash, y.content_hash);
        }
        let ids = |p: &Plan| p.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn the_expo_stand_made_54_activations_in_ramadan() {
        let p = plan();
        let expo: HashSet<&str> = p
            .events
            .iter()
            .filter(|e| e.channel_key == "expo_stand")
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(expo.len(), 21);
        let counted = p
            .activations
            .iter()
            .filter(|a| expo.contains(a.event_id.as_str()) && counts(a))
            .count();
        assert_eq!(counted, 54);
    }

    #[test]
    fn repeats_voids_and_citizens_are_consistent() {
        let p = plan();
        let repeats = p.activations.iter().filter(|a| a.repeat_citizen).count();
        let voided = p
            .activations
            .iter()
            .filter(|a| a.voided_at.is_some())
            .count();
        assert!(repeats >= 3, "{repeats} repeat citizens");
        assert_eq!(voided, data::VOIDS.len());
        let firsts: HashSet<&str> = p
            .citizens
            .iter()
            .map(|c| c.first_activation_id.as_str())
            .collect();
        for a in &p.activations {
            let nik_activated =
                a.nik_hash.is_some() && a.outcome == Outcome::Activated && a.voided_at.is_none();
            assert_eq!(
                nik_activated && !a.repeat_citizen,
                firsts.contains(a.id.as_str()),
                "{a:?}"
            );
            assert!(a.created_at > a.recorded_at);
        }
    }
}
