//! Every report as named tables of typed cells, with headers and codes in words. One
//! description serves the XLSX download (numbers stay numbers, see [`super::xlsx`]) and the
//! web app's `<table>`s, so a page and its spreadsheet cannot disagree.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::dto::*;
use crate::error::Lang;
use crate::tallies::REASONS;

/// One cell. Numbers keep full precision; the variant says how to show them.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    /// A decimal shown with this many decimals.
    Dec(f64, u8),
    /// A fraction (0.25) shown as a percentage (25,0 %).
    Fraction(f64),
    /// A percentage already (25.0) shown as one (25,00 %).
    Percent(f64),
    /// Rupiah, shown without decimals.
    Money(f64),
    Date(NaiveDate),
    Text(String),
    /// A figure that cannot be computed (shown as a dash, an empty spreadsheet cell).
    Empty,
}

impl Cell {
    pub fn opt_dec(v: Option<f64>, decimals: u8) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Dec(v, decimals))
    }
    pub fn opt_fraction(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Fraction)
    }
    pub fn opt_money(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Money)
    }
    pub fn opt_int(v: Option<i64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Int)
    }
    pub fn opt_date(v: Option<NaiveDate>) -> Cell {
        v.map_or(Cell::Empty, Cell::Date)
    }
    pub fn text(v: impl Into<String>) -> Cell {
        Cell::Text(v.into())
    }
    /// Right-aligned in a table.
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// A named table: a title row of column headers and rows of cells.
#[derive(Clone, Debug)]
pub struct Sheet {
    /// At most 31 characters (a spreadsheet's limit).
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    fn new(name: &str, columns: &[&str]) -> Sheet {
        Sheet {
            name: name.chars().take(31).collect(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }
}

/// Words for the codes in reports, in one language.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub lang: Lang,
    /// Names of an office's own channels, by key (the built-in ones are known here).
    pub channels: HashMap<String, String>,
}

impl Labels {
    pub fn new(lang: Lang) -> Labels {
        Labels {
            lang,
            channels: HashMap::new(),
        }
    }

    pub fn pick<'a>(&self, id: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    pub fn channel(&self, key: &str) -> String {
        if let Some((_, en, id)) = crate::channels::BUILTIN.iter().find(|(k, _, _)| *k == key) {
            return self.pick(id, en).to_string();
        }
        self.channels
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    pub fn reason(&self, key: &str) -> String {
        let (id, en) = match key {
            "no_smartphone" => ("Tidak punya ponsel Android", "No Android phone"),
            "phone_no_camera" => ("Ponsel tanpa kamera", "Phone without a camera"),
            "no_signal" => ("Tidak ada sinyal", "No signal"),
            "ektp_not_recorded" => ("KTP-el belum terekam", "e-KTP not recorded"),
            "data_mismatch" => ("Data tidak cocok", "Data mismatch"),
            "no_email" => ("Tidak punya e-mail", "No e-mail address"),
            "declined" => ("Menolak", "Declined"),
            "app_error" => ("Gangguan aplikasi/SIAK", "App or SIAK error"),
            "other" => ("Lainnya", "Other"),
            other => return other.to_string(),
        };
        self.pick(id, en).to_string()
    }

    pub fn status(&self, key: &str) -> String {
        let (id, en) = match key {
            "open" => ("Terbuka", "Open"),
            "submitted" => ("Menunggu tinjauan", "Awaiting review"),
            "approved" => ("Disetujui", "Approved"),
            "returned" => ("Dikembalikan", "Returned"),
            other => return other.to_string(),
        };
        self.pick(id, en).to_string()
    }

    pub fn age_band(&self, key: &str) -> String {
        match key {
            "unknown" => self.pick("Tidak diketahui", "Unknown").to_string(),
            "60+" => self.pick("60 tahun ke atas", "60 and over").to_string(),
            band => format!("{band} {}", self.pick("tahun", "years")),
        }
    }

    pub fn level(&self, key: &str) -> String {
        let (id, en) = match key {
            "national" => ("Nasional", "National"),
            "province" => ("Provinsi", "Province"),
            "regency" => ("Kabupaten/kota", "Regency/city"),
            other => return other.to_string(),
        };
        self.pick(id, en).to_string()
    }

    pub fn role(&self, key: &str) -> String {
        let (id, en) = match key {
            "admin" => ("Admin", "Admin"),
            "supervisor" => ("Supervisor", "Supervisor"),
            "field_staff" => ("Petugas lapangan", "Field staff"),
            other => return other.to_string(),
        };
        self.pick(id, en).to_string()
    }

    fn opt_reason(&self, key: Option<&str>) -> Cell {
        key.map_or(Cell::Empty, |k| Cell::Text(self.reason(k)))
    }
}

/// A report as sheets.
pub trait ToSheets {
    fn sheets(&self, l: &Labels) -> Vec<Sheet>;
}

impl ToSheets for YieldResponse {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut summary = Sheet::new(
            l.pick("Hasil kegiatan", "Event yield"),
            &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
        );
        let mut kv = |k: &str, v: Cell| summary.rows.push(vec![Cell::text(k), v]);
        kv(l.pick("Aktivasi", "Activations"), Cell::Int(self.activated));
        kv(l.pick("Gagal", "Failed"), Cell::Int(self.failed));
        kv(
            l.pick("Tingkat keberhasilan", "Success rate"),
            Cell::opt_fraction(self.success_rate),
        );
        kv(
            l.pick("Jam petugas", "Staff hours"),
            Cell::opt_dec(self.staff_hours, 1),
        );
        kv(
            l.pick("Aktivasi per jam petugas", "Activations per staff-hour"),
            Cell::opt_dec(self.activations_per_staff_hour, 2),
        );
        kv(
            l.pick("Biaya per aktivasi", "Cost per activation"),
            Cell::opt_money(self.cost_per_activation_idr),
        );
        for (reason, n) in &self.failure_reasons {
            kv(
                &format!("{}: {}", l.pick("Gagal", "Failed"), l.reason(reason)),
                Cell::Int(*n),
            );
        }
        let mut staff = Sheet::new(
            l.pick("Petugas", "Staff"),
            &[
                l.pick("Petugas", "Staff member"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Jam", "Hours"),
            ],
        );
        for s in &self.staff {
            staff.rows.push(vec![
                Cell::text(&s.user_id),
                Cell::Int(s.activated),
                Cell::Int(s.failed),
                Cell::opt_dec(s.hours, 1),
            ]);
        }
        vec![summary, staff]
    }
}

impl ToSheets for ChannelsReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut s = Sheet::new(
            l.pick("Kanal", "Channels"),
            &[
                l.pick("Kanal", "Channel"),
                l.pick("Kegiatan", "Events"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Tingkat keberhasilan", "Success rate"),
                l.pick(
                    "Median aktivasi per kegiatan",
                    "Median activations per event",
                ),
                l.pick("Jam petugas", "Staff hours"),
                l.pick("Aktivasi per jam petugas", "Activations per staff-hour"),
                l.pick("Biaya per aktivasi", "Cost per activation"),
                l.pick("Alasan gagal terbanyak", "Top failure reason"),
            ],
        );
        for r in &self.rows {
            s.rows.push(vec![
                Cell::Text(l.channel(&r.channel_key)),
                Cell::Int(r.events),
                Cell::Int(r.activated),
                Cell::Int(r.failed),
                Cell::opt_fraction(r.success_rate),
                Cell::Dec(r.median_activated_per_event, 1),
                Cell::opt_dec(r.staff_hours, 1),
                Cell::opt_dec(r.activations_per_staff_hour, 2),
                Cell::opt_money(r.cost_per_activation_idr),
                l.opt_reason(r.top_failure_reason.as_deref()),
            ]);
        }
        vec![s]
    }
}

impl ToSheets for ProgressReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut s = Sheet::new(
            l.pick("Capaian", "Progress"),
            &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
        );
        let mut kv = |k: &str, v: Cell| s.rows.push(vec![Cell::text(k), v]);
        kv(l.pick("Tahun", "Year"), Cell::Int(self.year.into()));
        kv(l.pick("Per tanggal", "As of"), Cell::Date(self.as_of));
        kv(
            l.pick("Wajib KTP", "Eligible population"),
            Cell::opt_int(self.eligible_population),
        );
        kv(
            l.pick("Target (%)", "Target (%)"),
            self.target_percent.map_or(Cell::Empty, Cell::Percent),
        );
        kv(
            l.pick("Target aktivasi", "Target activations"),
            Cell::opt_int(self.target_activations),
        );
        kv(
            l.pick("Aktivasi sebelum pencatatan", "Baseline activations"),
            Cell::opt_int(self.baseline_activations),
        );
        kv(
            l.pick("Aktivasi tercatat", "Tracked activations"),
            Cell::Int(self.tracked_activations),
        );
        kv(
            l.pick("Total aktivasi", "Total activations"),
            Cell::Int(self.total_activations),
        );
        kv(
            l.pick("Capaian (%)", "Achieved (%)"),
            self.achieved_percent.map_or(Cell::Empty, Cell::Percent),
        );
        kv(
            l.pick("Sisa menuju target", "Remaining"),
            Cell::opt_int(self.remaining),
        );
        kv(
            l.pick("Laju harian (28 hari)", "Daily rate (28 days)"),
            Cell::Dec(self.daily_rate_28d, 1),
        );
        kv(
            l.pick("Perkiraan tanggal target tercapai", "Projected target date"),
            Cell::opt_date(self.projected_target_date),
        );
        kv(
            l.pick("Penduduk wilayah sendiri", "Residents of the region"),
            Cell::Int(self.resident_activations),
        );
        kv(
            l.pick("Penduduk luar wilayah", "Non-residents"),
            Cell::Int(self.non_resident_activations),
        );
        kv(
            l.pick("Domisili tidak diketahui", "Residence unknown"),
            Cell::Int(self.unknown_residence_activations),
        );
        vec![s]
    }
}

impl ToSheets for DailyReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let first = match self.bucket.as_str() {
            "week" => l.pick("Minggu mulai", "Week from"),
            "month" => l.pick("Bulan mulai", "Month from"),
            _ => l.pick("Tanggal", "Date"),
        };
        let mut s = Sheet::new(
            l.pick("Tren", "Trend"),
            &[
                first,
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
            ],
        );
        for d in &self.days {
            s.rows.push(vec![
                Cell::Date(d.date),
                Cell::Int(d.activated),
                Cell::Int(d.failed),
            ]);
        }
        vec![s]
    }
}

impl ToSheets for StaffReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut s = Sheet::new(
            l.pick("Petugas", "Staff"),
            &[
                l.pick("Nama", "Name"),
                l.pick("Nama pengguna", "Username"),
                l.pick("Kegiatan", "Events"),
                l.pick("Jam", "Hours"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Tingkat keberhasilan", "Success rate"),
                l.pick("Aktivasi per jam", "Activations per hour"),
                l.pick("Alasan gagal terbanyak", "Top failure reason"),
            ],
        );
        for r in &self.rows {
            s.rows.push(vec![
                Cell::text(r.full_name.clone().unwrap_or_else(|| r.user_id.clone())),
                Cell::text(r.username.clone().unwrap_or_default()),
                Cell::Int(r.events),
                Cell::opt_dec(r.hours, 1),
                Cell::Int(r.activated),
                Cell::Int(r.failed),
                Cell::opt_fraction(r.success_rate),
                Cell::opt_dec(r.activations_per_staff_hour, 2),
                l.opt_reason(r.top_failure_reason.as_deref()),
            ]);
        }
        vec![s]
    }
}

impl ToSheets for OfficesReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut s = Sheet::new(
            l.pick("Kantor", "Offices"),
            &[
                l.pick("Peringkat", "Rank"),
                l.pick("Kode", "Code"),
                l.pick("Kantor", "Office"),
                l.pick("Kegiatan", "Events"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Tingkat keberhasilan", "Success rate"),
                l.pick("Jam petugas", "Staff hours"),
                l.pick("Aktivasi per jam petugas", "Activations per staff-hour"),
                l.pick("Target aktivasi", "Target activations"),
                l.pick("Total aktivasi", "Total activations"),
                l.pick("Capaian (%)", "Achieved (%)"),
                l.pick("Perkiraan target tercapai", "Projected target date"),
            ],
        );
        for r in &self.rows {
            s.rows.push(vec![
                Cell::Int(r.rank),
                Cell::text(&r.code),
                Cell::text(&r.name),
                Cell::Int(r.events),
                Cell::Int(r.activated),
                Cell::Int(r.failed),
                Cell::opt_fraction(r.success_rate),
                Cell::opt_dec(r.staff_hours, 1),
                Cell::opt_dec(r.activations_per_staff_hour, 2),
                Cell::opt_int(r.target_activations),
                Cell::opt_int(r.total_activations),
                r.achieved_percent.map_or(Cell::Empty, Cell::Percent),
                Cell::opt_date(r.projected_target_date),
            ]);
        }
        vec![s]
    }
}

impl ToSheets for FailuresReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let mut by_reason = Sheet::new(
            l.pick("Alasan gagal", "Failure reasons"),
            &[
                l.pick("Alasan", "Reason"),
                l.pick("Gagal", "Failed"),
                l.pick("Porsi", "Share"),
            ],
        );
        for r in &self.by_reason {
            by_reason.rows.push(vec![
                Cell::Text(l.reason(&r.reason)),
                Cell::Int(r.failed),
                Cell::Fraction(r.share),
            ]);
        }
        let breakdown =
            |name: &str, first: &str, rows: &[FailureBreakdown], key: &dyn Fn(&str) -> String| {
                let mut columns = vec![
                    first.to_string(),
                    l.pick("Percobaan", "Attempts").to_string(),
                    l.pick("Gagal", "Failed").to_string(),
                    l.pick("Tingkat kegagalan", "Failure rate").to_string(),
                ];
                columns.extend(REASONS.iter().map(|r| l.reason(r)));
                let mut s = Sheet::new(name, &[]);
                s.columns = columns;
                for b in rows {
                    let mut row = vec![
                        Cell::Text(key(&b.key)),
                        Cell::Int(b.attempts),
                        Cell::Int(b.failed),
                        Cell::opt_fraction(b.failure_rate),
                    ];
                    row.extend(
                        REASONS
                            .iter()
                            .map(|r| Cell::Int(b.reasons.get(*r).copied().unwrap_or(0))),
                    );
                    s.rows.push(row);
                }
                s
            };
        let by_channel = breakdown(
            l.pick("Per kanal", "By channel"),
            l.pick("Kanal", "Channel"),
            &self.by_channel,
            &|k| l.channel(k),
        );
        let by_age = breakdown(
            l.pick("Per kelompok umur", "By age band"),
            l.pick("Kelompok umur", "Age band"),
            &self.by_age_band,
            &|k| l.age_band(k),
        );
        vec![by_reason, by_channel, by_age]
    }
}

impl ToSheets for CoverageReport {
    fn sheets(&self, l: &Labels) -> Vec<Sheet> {
        let sm = &self.summary;
        let mut summary = Sheet::new(
            l.pick("Ringkasan", "Summary"),
            &[l.pick("Ukuran", "Measure"), l.pick("Nilai", "Value")],
        );
        let mut kv = |k: &str, v: Cell| summary.rows.push(vec![Cell::text(k), v]);
        kv(l.pick("Kecamatan", "Districts"), Cell::Int(sm.districts));
        kv(
            l.pick("Kecamatan dikunjungi", "Districts visited"),
            Cell::Int(sm.districts_visited),
        );
        kv(l.pick("Desa/kelurahan", "Villages"), Cell::Int(sm.villages));
        kv(
            l.pick("Desa dikunjungi", "Villages visited"),
            Cell::Int(sm.villages_visited),
        );
        kv(
            l.pick("Desa belum dikunjungi", "Villages never visited"),
            Cell::Int(sm.villages_never_visited),
        );
        kv(
            l.pick("Cakupan desa", "Village coverage"),
            Cell::opt_fraction(sm.village_coverage),
        );
        kv(l.pick("Kegiatan", "Events"), Cell::Int(sm.events));
        kv(
            l.pick("Kegiatan dengan wilayah", "Events with an area"),
            Cell::Int(sm.events_with_area),
        );
        let mut districts = Sheet::new(
            l.pick("Kecamatan", "Districts"),
            &[
                l.pick("Kode", "Code"),
                l.pick("Kecamatan", "District"),
                l.pick("Kegiatan", "Events"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Kunjungan terakhir", "Last visit"),
                l.pick("Desa", "Villages"),
                l.pick("Desa dikunjungi", "Villages visited"),
            ],
        );
        for d in &self.districts {
            districts.rows.push(vec![
                Cell::text(&d.code),
                Cell::text(&d.name),
                Cell::Int(d.events),
                Cell::Int(d.activated),
                Cell::Int(d.failed),
                Cell::opt_date(d.last_visit),
                Cell::Int(d.villages),
                Cell::Int(d.villages_visited),
            ]);
        }
        let mut villages = Sheet::new(
            l.pick("Desa", "Villages"),
            &[
                l.pick("Kode", "Code"),
                l.pick("Desa/kelurahan", "Village"),
                l.pick("Kegiatan", "Events"),
                l.pick("Aktivasi", "Activations"),
                l.pick("Gagal", "Failed"),
                l.pick("Kunjungan terakhir", "Last visit"),
            ],
        );
        for v in &self.villages {
            villages.rows.push(vec![
                Cell::text(&v.code),
                Cell::text(&v.name),
                Cell::Int(v.events),
                Cell::Int(v.activated),
                Cell::Int(v.failed),
                Cell::opt_date(v.last_visit),
            ]);
        }
        let mut never = Sheet::new(
            l.pick("Belum dikunjungi", "Never visited"),
            &[
                l.pick("Kode", "Code"),
                l.pick("Desa/kelurahan", "Village"),
                l.pick("Kecamatan", "District"),
            ],
        );
        for v in &self.never_visited {
            never.rows.push(vec![
                Cell::text(&v.code),
                Cell::text(&v.name),
                Cell::text(&v.district_name),
            ]);
        }
        vec![summary, districts, villages, never]
    }
}
