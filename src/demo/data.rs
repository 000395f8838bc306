//! What the demo holds: five regions from the local press reports of 2023-2024 (see the
//! domain notes), their people, targets and outreach programmes for 2024.
//!
//! Reported figures are used as they were published. Figures the reports do not give are
//! marked *estimate*: wajib-KTP counts derived from the 2020 census populations (about 72 %
//! of people are 17 or older), and per-regency baselines that add up to the reported share.
//! People are fictional; places (districts, villages) come from the areas table.

use chrono::Weekday::{self, Fri, Mon, Thu, Tue, Wed};

/// The password of every demo account (printed with the logins: it is demo data).
pub const PASSWORD: &str = "jemput-demo-2024";

/// The seed of the generator: the same seed gives the same rows and the same figures.
pub const SEED: u64 = 0x4a45_4d50_5554_2024;

/// The year the demo's events and activations fall in.
pub const YEAR: i32 = 2024;

/// A demo account.
pub struct Person {
    pub username: &'static str,
    pub full_name: &'static str,
}

/// A province office and its admin.
pub struct Province {
    pub code: &'static str,
    pub name: &'static str,
    pub timezone: &'static str,
    pub admin: Person,
    /// A province-wide target (percent) over the sum of its regencies' figures, for a
    /// province whose achievement was reported as a whole.
    pub target_percent: Option<f64>,
}

/// How the activations made before 2024 tracking began are known.
pub enum Baseline {
    /// A reported (or estimated) count on the baseline date.
    Activations(i64),
    /// The count that makes baseline + tracked activations reach `total` by the end of the
    /// local date (month, day): a report gave the running total on that day.
    ReachTotal { total: i64, by: (u32, u32) },
}

/// A regency's 2024 target.
pub struct TargetSpec {
    /// wajib KTP (or recorded e-KTP holders, where the office counted against those).
    pub eligible: i64,
    pub percent: f64,
    pub baseline: Baseline,
    /// (month, day) of 2024.
    pub baseline_date: (u32, u32),
}

/// A regency office, its staff and what it did in 2024.
pub struct Regency {
    /// Username prefix, e.g. `tanahlaut`.
    pub key: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub province: &'static str,
    pub timezone: &'static str,
    /// The office's coordinates (the regency seat), for events at the office.
    pub seat: (f64, f64),
    pub target: TargetSpec,
    pub supervisor: &'static str,
    /// Field staff, in username order (`<key>.petugas1`, ...).
    pub staff: &'static [&'static str],
    /// District codes with little or no mobile signal ("blank spots"): village visits there
    /// fail with `no_signal` more often and sync days later.
    pub blank_spots: &'static [&'static str],
    pub programmes: &'static [Programme],
}

/// Where a programme's events take place.
#[derive(Clone, Copy)]
pub enum Place {
    /// At the office (its seat coordinates).
    Office,
    /// In a village of the regency, a different one each time.
    Village,
    /// In a district of the regency (its hall).
    District,
    /// A fixed district, by code.
    Fixed(&'static str),
}

/// On which days a programme's events start.
#[derive(Clone, Copy)]
pub enum Days {
    /// Every day from `from` to `to`.
    Daily,
    /// These weekdays of every week.
    Weekly(&'static [Weekday]),
    /// The n-th (1-based) of these weekdays of every month, e.g. `(&[2, 4], Tue)`.
    Monthly(&'static [u32], Weekday),
    /// These (month, day) dates.
    Dates(&'static [(u32, u32)]),
}

/// How many attempts an event sees.
#[derive(Clone, Copy)]
pub enum Attempts {
    /// Between `lo` and `hi` attempts, each activated with the programme's success rate.
    Between(u32, u32),
    /// Exactly these counted activations, event by event (a reported total), and between
    /// `lo` and `hi` failed attempts each.
    Counted(&'static [u32], u32, u32),
}

/// A money figure range for an event's cost, in rupiah.
#[derive(Clone, Copy)]
pub struct Cost {
    pub lo: i64,
    pub hi: i64,
    /// Share of events whose cost was recorded.
    pub share: f64,
}

/// One kind of recurring outreach of a regency.
#[derive(Clone, Copy)]
pub struct Programme {
    pub channel: &'static str,
    /// Title; `{n}` event number, `{week}` ISO week, `{name}` the next of `names`,
    /// `{village}`, `{district}`.
    pub title: &'static str,
    pub venue: Option<&'static str>,
    pub names: &'static [&'static str],
    pub place: Place,
    pub days: Days,
    /// (month, day) of 2024, inclusive.
    pub from: (u32, u32),
    pub to: (u32, u32),
    /// Local start and end time of each day, (hour, minute).
    pub start: (u32, u32),
    pub end: (u32, u32),
    /// Days an event lasts (5: a Monday-to-Friday desk recorded as one event).
    pub span_days: u32,
    /// Field staff at each event, and whether the supervisor joins.
    pub staff: usize,
    pub with_supervisor: bool,
    /// Hours a staff member logs per day; `None`: the whole opening time.
    pub hours_per_day: Option<f64>,
    pub attempts: Attempts,
    /// Chance that an attempt of a 25-39-year-old activates (other ages are scaled).
    pub success: f64,
    /// Failure reasons and their weights.
    pub failures: &'static [(&'static str, u32)],
    /// Weights of the age bands 17-24, 25-39, 40-59, 60+.
    pub ages: [u32; 4],
    pub female: f64,
    /// Share of attempts recorded with the citizen's NIK.
    pub nik_share: f64,
    /// Chance that an NIK-bearing activation is followed by a repeat of an earlier citizen.
    pub repeat_share: f64,
    pub cost: Option<Cost>,
    /// Skip public holidays (an expo runs through them).
    pub skip_holidays: bool,
    pub notes: Option<&'static str>,
}

/// Public holidays and collective leave of 2024 (SKB 3 Menteri), (month, day).
pub const HOLIDAYS: &[(u32, u32)] = &[
    (1, 1),
    (2, 8),
    (2, 9),
    (2, 10),
    (2, 14),
    (3, 11),
    (3, 12),
    (3, 29),
    (4, 8),
    (4, 9),
    (4, 10),
    (4, 11),
    (4, 12),
    (4, 15),
    (5, 1),
    (5, 9),
    (5, 10),
    (5, 23),
    (5, 24),
    (6, 1),
    (6, 17),
    (6, 18),
    (7, 7),
    (8, 17),
    (9, 16),
    (11, 27),
    (12, 25),
    (12, 26),
];

/// Comments a supervisor returns an event report with.
pub const RETURN_COMMENTS: &[&str] = &[
    "Jumlah aktivasi belum sesuai daftar hadir; mohon dicek ulang.",
    "Jam kerja petugas belum lengkap; lengkapi sebelum diajukan lagi.",
    "Bukti biaya konsumsi belum dilampirkan; mohon dilengkapi.",
    "Lokasi kegiatan salah pilih desa; mohon diperbaiki.",
    "Beberapa percobaan gagal tanpa kelompok usia; lengkapi bila memungkinkan.",
];

/// Reasons a demo activation was voided.
pub const VOID_REASONS: &[&str] = &[
    "Tercatat dua kali (input ganda).",
    "Salah pilih kegiatan; dicatat ulang di kegiatan yang benar.",
    "Warga ternyata sudah aktif sebelumnya di kantor lain.",
];

const EXPO_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 30),
    ("phone_no_camera", 12),
    ("declined", 20),
    ("no_email", 10),
    ("ektp_not_recorded", 6),
    ("data_mismatch", 5),
    ("app_error", 5),
    ("other", 2),
];
const VILLAGE_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 25),
    ("phone_no_camera", 10),
    ("no_signal", 15),
    ("ektp_not_recorded", 12),
    ("data_mismatch", 8),
    ("declined", 12),
    ("no_email", 8),
    ("app_error", 6),
    ("other", 2),
];
const PKK_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 25),
    ("declined", 20),
    ("no_email", 15),
    ("phone_no_camera", 10),
    ("data_mismatch", 10),
    ("ektp_not_recorded", 8),
    ("app_error", 5),
];
const WALK_IN_FAILURES: &[(&str, u32)] = &[
    ("data_mismatch", 20),
    ("no_email", 20),
    ("app_error", 15),
    ("no_smartphone", 15),
    ("declined", 10),
    ("phone_no_camera", 10),
    ("ektp_not_recorded", 10),
];
const AGENCY_FAILURES: &[(&str, u32)] = &[
    ("data_mismatch", 25),
    ("app_error", 25),
    ("no_email", 20),
    ("phone_no_camera", 10),
    ("declined", 10),
    ("no_smartphone", 5),
    ("other", 5),
];
const MEETING_FAILURES: &[(&str, u32)] = &[
    ("app_error", 25),
    ("no_email", 20),
    ("data_mismatch", 20),
    ("phone_no_camera", 15),
    ("no_smartphone", 10),
    ("declined", 10),
];
const HOSPITAL_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 30),
    ("declined", 25),
    ("phone_no_camera", 15),
    ("no_email", 10),
    ("data_mismatch", 10),
    ("app_error", 10),
];
const VILLAGE_DESK_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 25),
    ("ektp_not_recorded", 15),
    ("data_mismatch", 15),
    ("no_email", 15),
    ("declined", 15),
    ("phone_no_camera", 10),
    ("app_error", 5),
];
const KTP_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 25),
    ("no_email", 20),
    ("declined", 20),
    ("phone_no_camera", 15),
    ("app_error", 15),
    ("data_mismatch", 5),
];
const PARTNER_FAILURES: &[(&str, u32)] = &[
    ("no_smartphone", 25),
    ("declined", 25),
    ("phone_no_camera", 15),
    ("no_email", 15),
    ("app_error", 10),
    ("data_mismatch", 10),
];

/// The defaults every programme below starts from.
const BASE: Programme = Programme {
    channel: "other",
    title: "",
    venue: None,
    names: &[],
    place: Place::Office,
    days: Days::Weekly(&[Mon]),
    from: (1, 8),
    to: (12, 20),
    start: (8, 0),
    end: (14, 0),
    span_days: 1,
    staff: 2,
    with_supervisor: false,
    hours_per_day: None,
    attempts: Attempts::Between(10, 20),
    success: 0.6,
    failures: PARTNER_FAILURES,
    ages: [25, 35, 30, 10],
    female: 0.5,
    nik_share: 0.2,
    repeat_share: 0.0,
    cost: None,
    skip_holidays: true,
    notes: None,
};

/// A weekly Monday-to-Friday desk at the office, recorded as one event a week.
const OFFICE_WEEK: Programme = Programme {
    channel: "office_walk_in",
    title: "Layanan IKD di kantor, minggu ke-{week}",
    venue: Some("Kantor Disdukcapil"),
    place: Place::Office,
    days: Days::Weekly(&[Mon]),
    start: (8, 0),
    end: (15, 0),
    span_days: 5,
    staff: 1,
    hours_per_day: Some(2.0),
    failures: WALK_IN_FAILURES,
    ages: [25, 35, 30, 10],
    nik_share: 0.5,
    repeat_share: 0.02,
    ..BASE
};

/// Activation for everyone who comes for a printed e-KTP (Kalimantan Utara), one event a week.
const KTP_WEEK: Programme = Programme {
    channel: "ktp_service",
    title: "Aktivasi IKD bersama layanan cetak KTP-el, minggu ke-{week}",
    venue: Some("Loket KTP-el, Kantor Disdukcapil"),
    place: Place::Office,
    days: Days::Weekly(&[Mon]),
    from: (1, 8),
    to: (12, 16),
    start: (8, 0),
    end: (15, 0),
    span_days: 5,
    staff: 2,
    hours_per_day: Some(3.0),
    success: 0.82,
    failures: KTP_FAILURES,
    ages: [45, 30, 18, 7],
    nik_share: 0.85,
    repeat_share: 0.006,
    ..BASE
};

const SOCIALIZATION: Programme = Programme {
    channel: "socialization",
    venue: Some("Aula Kantor Camat {district}"),
    place: Place::District,
    start: (9, 0),
    end: (13, 0),
    staff: 2,
    with_supervisor: true,
    success: 0.8,
    failures: MEETING_FAILURES,
    ages: [2, 30, 60, 8],
    nik_share: 0.4,
    cost: Some(Cost {
        lo: 2_500_000,
        hi: 5_000_000,
        share: 1.0,
    }),
    ..BASE
};

/// The demo's provinces.
pub const PROVINCES: &[Province] = &[
    Province {
        code: "63",
        name: "Disdukcapil Provinsi Kalimantan Selatan",
        timezone: "Asia/Makassar",
        admin: Person {
            username: "kalsel.admin",
            full_name: "Rahmadi Noor",
        },
        target_percent: None,
    },
    Province {
        code: "33",
        name: "Disdukcapil Provinsi Jawa Tengah",
        timezone: "Asia/Jakarta",
        admin: Person {
            username: "jateng.admin",
            full_name: "Bambang Sutrisno",
        },
        target_percent: None,
    },
    Province {
        code: "62",
        name: "Disdukcapil Provinsi Kalimantan Tengah",
        timezone: "Asia/Jakarta",
        admin: Person {
            username: "kalteng.admin",
            full_name: "Maria Ulfah",
        },
        target_percent: None,
    },
    Province {
        code: "51",
        name: "Disdukcapil Provinsi Bali",
        timezone: "Asia/Makassar",
        admin: Person {
            username: "bali.admin",
            full_name: "I Wayan Sudarsana",
        },
        target_percent: None,
    },
    // Reported as a whole: about 10 % against 25 %.
    Province {
        code: "65",
        name: "Disdukcapil Provinsi Kalimantan Utara",
        timezone: "Asia/Makassar",
        admin: Person {
            username: "kaltara.admin",
            full_name: "Zainal Arifin",
        },
        target_percent: Some(25.0),
    },
];

/// The national root office and admin, created only on a database without a root office.
pub const NATIONAL: (&str, &str, &str) = ("ID", "Ditjen Dukcapil (national)", "Asia/Jakarta");
pub const NATIONAL_ADMIN: Person = Person {
    username: "nasional.admin",
    full_name: "Admin Ditjen Dukcapil",
};

/// Tanah Laut: under 2 % achieved against 30 %; about 54 activations at the Ramadhan Expo
/// stand by the third week of Ramadan 2024 (12 March to 1 April, every afternoon).
const TANAH_LAUT: &[Programme] = &[
    Programme {
        channel: "expo_stand",
        title: "Stan IKD Ramadhan Expo 2024, hari ke-{n}",
        venue: Some("Ramadhan Expo, Lapangan Kantor Bupati Tanah Laut, Pelaihari"),
        place: Place::Fixed("63.01.03"),
        days: Days::Daily,
        from: (3, 12),
        to: (4, 1),
        start: (15, 0),
        end: (18, 0),
        staff: 2,
        attempts: Attempts::Counted(
            &[
                1, 3, 2, 4, 2, 3, 1, 2, 4, 3, 2, 3, 2, 4, 3, 2, 3, 2, 1, 2, 5,
            ],
            1,
            4,
        ),
        failures: EXPO_FAILURES,
        ages: [20, 30, 30, 20],
        nik_share: 0.1,
        cost: Some(Cost {
            lo: 150_000,
            hi: 150_000,
            share: 1.0,
        }),
        skip_holidays: false,
        notes: Some(
            "Stan sore hari selama Ramadhan Expo; banyak pengunjung lansia tanpa ponsel Android.",
        ),
        ..BASE
    },
    Programme {
        channel: "village_visit",
        title: "Bela Desa / Turdes: Desa {village}",
        venue: Some("Balai Desa {village}"),
        place: Place::Village,
        days: Days::Monthly(&[2, 4], Tue),
        from: (1, 9),
        to: (12, 10),
        start: (8, 30),
        end: (14, 0),
        staff: 2,
        attempts: Attempts::Between(14, 32),
        success: 0.5,
        failures: VILLAGE_FAILURES,
        ages: [15, 30, 35, 20],
        nik_share: 0.2,
        cost: Some(Cost {
            lo: 300_000,
            hi: 600_000,
            share: 0.8,
        }),
        ..BASE
    },
    Programme {
        channel: "pkk_visit",
        title: "Kunjungan TP-PKK Desa {village}",
        venue: Some("Sekretariat PKK Desa {village}"),
        place: Place::Village,
        days: Days::Monthly(&[1], Thu),
        from: (1, 4),
        to: (12, 5),
        start: (9, 0),
        end: (12, 0),
        staff: 1,
        attempts: Attempts::Between(10, 22),
        success: 0.62,
        failures: PKK_FAILURES,
        ages: [5, 40, 45, 10],
        female: 0.85,
        nik_share: 0.2,
        cost: Some(Cost {
            lo: 200_000,
            hi: 200_000,
            share: 0.5,
        }),
        ..BASE
    },
    Programme {
        channel: "partner_event",
        title: "Meja IKD: {name}",
        names: &[
            "Pasar Murah Ramadhan",
            "Musrenbang Kecamatan Pelaihari",
            "Bupati Menyapa Kecamatan Jorong",
            "Jalan Sehat HUT RI ke-79",
            "Pameran Hari Jadi Kabupaten Tanah Laut",
            "Bazar UMKM Akhir Tahun",
        ],
        place: Place::District,
        venue: Some("Kecamatan {district}"),
        days: Days::Dates(&[(2, 27), (3, 5), (5, 21), (8, 18), (10, 2), (12, 14)]),
        from: (1, 1),
        to: (12, 31),
        start: (8, 0),
        end: (12, 0),
        staff: 2,
        attempts: Attempts::Between(20, 40),
        success: 0.55,
        failures: PARTNER_FAILURES,
        ..BASE
    },
    Programme {
        from: (1, 8),
        to: (12, 16),
        attempts: Attempts::Between(12, 24),
        success: 0.72,
        ..OFFICE_WEEK
    },
];

/// Tegal: about 19,500 activated = 1.6 % of wajib KTP by the end of 2023, target 15 %;
/// civil servants first, village heads gathered for socialization, then Tilik Desa.
const TEGAL: &[Programme] = &[
    Programme {
        channel: "agency_drive",
        title: "Aktivasi IKD ASN: {name}",
        venue: Some("{name}"),
        names: &[
            "Sekretariat Daerah Kabupaten Tegal",
            "Dinas Pendidikan dan Kebudayaan",
            "RSUD dr. Soeselo Slawi",
            "Dinas Kesehatan",
            "BKPSDM",
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            "Bappeda",
            "Dinas Sosial",
            "Satpol PP",
            "Dinas Perhubungan",
            "Inspektorat",
            "Dinas Pertanian dan Ketahanan Pangan",
        ],
        place: Place::Fixed("33.28.10"),
        days: Days::Weekly(&[Mon, Wed, Fri]),
        from: (1, 8),
        to: (3, 8),
        start: (8, 0),
        end: (12, 0),
        staff: 3,
        attempts: Attempts::Between(35, 70),
        success: 0.8,
        failures: AGENCY_FAILURES,
        ages: [5, 45, 48, 2],
        nik_share: 0.6,
        repeat_share: 0.01,
        ..BASE
    },
    Programme {
        title: "Sosialisasi IKD bagi kepala desa dan lurah, angkatan {n}",
        venue: Some("Pendopo Amangkurat, Slawi"),
        place: Place::Fixed("33.28.10"),
        days: Days::Dates(&[(1, 16), (1, 23), (1, 30)]),
        from: (1, 1),
        to: (12, 31),
        staff: 3,
        attempts: Attempts::Between(40, 75),
        success: 0.85,
        cost: Some(Cost {
            lo: 6_000_000,
            hi: 9_000_000,
            share: 1.0,
        }),
        ..SOCIALIZATION
    },
    Programme {
        channel: "village_visit",
        title: "Tilik Desa {village}, Kecamatan {district}",
        venue: Some("Balai Desa {village}"),
        place: Place::Village,
        days: Days::Weekly(&[Thu]),
        from: (3, 14),
        to: (12, 19),
        start: (8, 0),
        end: (15, 0),
        staff: 3,
        attempts: Attempts::Between(30, 70),
        success: 0.55,
        failures: VILLAGE_FAILURES,
        ages: [15, 30, 35, 20],
        nik_share: 0.2,
        repeat_share: 0.005,
        cost: Some(Cost {
            lo: 500_000,
            hi: 1_200_000,
            share: 0.7,
        }),
        ..BASE
    },
    Programme {
        channel: "partner_event",
        title: "Layanan IKD di {name}",
        names: &[
            "Car Free Day Alun-alun Hanggawana Slawi",
            "Car Free Day Alun-alun Hanggawana Slawi",
            "Pasar Ramadhan Slawi",
            "Car Free Day Alun-alun Hanggawana Slawi",
            "Tegal Expo",
            "Car Free Day Alun-alun Hanggawana Slawi",
            "Pentas Seni HUT RI ke-79",
            "Car Free Day Alun-alun Hanggawana Slawi",
            "Pameran Hari Jadi Kabupaten Tegal",
            "Car Free Day Alun-alun Hanggawana Slawi",
        ],
        venue: Some("Slawi"),
        place: Place::Fixed("33.28.10"),
        days: Days::Dates(&[
            (2, 4),
            (3, 3),
            (3, 22),
            (5, 5),
            (6, 8),
            (7, 7),
            (8, 18),
            (9, 1),
            (10, 12),
            (11, 3),
        ]),
        from: (1, 1),
        to: (12, 31),
        start: (6, 0),
        end: (10, 0),
        staff: 3,
        attempts: Attempts::Between(25, 50),
        success: 0.5,
        skip_holidays: false,
        ..BASE
    },
];

/// Kotawaringin Timur: wajib KTP 308,309, 1,113 IKD active (0.3 %), target 25 %; a launch
/// and socialization meeting with an on-the-spot desk, civil servants first.
const KOTIM: &[Programme] = &[
    Programme {
        title: "Launching dan Sosialisasi IKD Kabupaten Kotawaringin Timur",
        venue: Some("Aula Sekretariat Daerah, Sampit"),
        place: Place::Fixed("62.02.06"),
        days: Days::Dates(&[(2, 20)]),
        from: (1, 1),
        to: (12, 31),
        staff: 3,
        attempts: Attempts::Between(95, 125),
        success: 0.82,
        cost: Some(Cost {
            lo: 12_500_000,
            hi: 12_500_000,
            share: 1.0,
        }),
        notes: Some("Meja aktivasi di tempat setelah sosialisasi."),
        ..SOCIALIZATION
    },
    Programme {
        title: "Sosialisasi IKD Kecamatan {district}",
        days: Days::Dates(&[(3, 6), (5, 15), (8, 7), (10, 23)]),
        from: (1, 1),
        to: (12, 31),
        attempts: Attempts::Between(20, 40),
        ..SOCIALIZATION
    },
    Programme {
        channel: "agency_drive",
        title: "Aktivasi IKD ASN: {name}",
        venue: Some("{name}"),
        names: &[
            "Sekretariat Daerah",
            "Dinas Pendidikan",
            "RSUD dr. Murjani Sampit",
            "Dinas Kesehatan",
            "BKPSDM",
            "Dinas PUPR",
            "Bappelitbangda",
            "Dinas Sosial",
            "Kantor Kecamatan Baamang",
            "Kantor Kecamatan Mentawa Baru Ketapang",
        ],
        place: Place::Fixed("62.02.06"),
        days: Days::Weekly(&[Tue, Thu]),
        from: (2, 27),
        to: (6, 27),
        start: (8, 0),
        end: (12, 0),
        staff: 2,
        attempts: Attempts::Between(20, 45),
        success: 0.8,
        failures: AGENCY_FAILURES,
        ages: [5, 45, 48, 2],
        nik_share: 0.6,
        repeat_share: 0.01,
        ..BASE
    },
    Programme {
        channel: "partner_event",
        title: "Jemput bola IKD: {name}",
        names: &[
            "Pasar Ramadhan Sampit",
            "Festival Budaya Habaring Hurung",
            "Pekan Olahraga Kabupaten",
            "Upacara dan Pawai HUT RI ke-79",
            "Pameran Pembangunan Kotawaringin Timur",
        ],
        venue: Some("Sampit"),
        place: Place::Fixed("62.02.06"),
        days: Days::Dates(&[(3, 20), (6, 22), (7, 25), (8, 18), (11, 14)]),
        from: (1, 1),
        to: (12, 31),
        start: (8, 0),
        end: (13, 0),
        staff: 2,
        attempts: Attempts::Between(25, 55),
        success: 0.55,
        skip_holidays: false,
        ..BASE
    },
    Programme {
        channel: "village_visit",
        title: "Jemput bola IKD ke Desa {village}",
        venue: Some("Balai Desa {village}"),
        place: Place::Village,
        days: Days::Monthly(&[3], Wed),
        from: (7, 1),
        to: (12, 20),
        start: (8, 0),
        end: (14, 0),
        staff: 2,
        attempts: Attempts::Between(15, 35),
        success: 0.5,
        failures: VILLAGE_FAILURES,
        ages: [15, 30, 35, 20],
        cost: Some(Cost {
            lo: 800_000,
            hi: 1_500_000,
            share: 0.9,
        }),
        notes: Some("Perjalanan darat dan sungai ke desa pedalaman."),
        ..BASE
    },
];

/// Tabanan: 5,064 activated = 1.31 % of 383,965 e-KTP holders by May 2024, target 25 %;
/// desks at hospitals and agency offices, and at village offices.
const TABANAN: &[Programme] = &[
    Programme {
        title: "Sosialisasi IKD bagi perbekel se-Kabupaten Tabanan",
        venue: Some("Gedung Kesenian I Ketut Maria, Tabanan"),
        place: Place::Fixed("51.02.05"),
        days: Days::Dates(&[(1, 24)]),
        from: (1, 1),
        to: (12, 31),
        attempts: Attempts::Between(60, 90),
        success: 0.85,
        cost: Some(Cost {
            lo: 4_500_000,
            hi: 4_500_000,
            share: 1.0,
        }),
        ..SOCIALIZATION
    },
    Programme {
        channel: "agency_drive",
        title: "Aktivasi IKD pegawai: {name}",
        venue: Some("{name}"),
        names: &[
            "Sekretariat Daerah Kabupaten Tabanan",
            "Dinas Pendidikan, Kepemudaan dan Olahraga",
            "Dinas Kesehatan",
            "BKPSDM",
            "Dinas Pertanian",
            "Kantor Camat Kediri",
            "Kantor Camat Tabanan",
            "Dinas Sosial",
        ],
        place: Place::Fixed("51.02.05"),
        days: Days::Weekly(&[Wed]),
        from: (1, 10),
        to: (3, 27),
        start: (9, 0),
        end: (12, 0),
        staff: 2,
        attempts: Attempts::Between(25, 50),
        success: 0.85,
        failures: AGENCY_FAILURES,
        ages: [5, 45, 48, 2],
        nik_share: 0.6,
        repeat_share: 0.01,
        ..BASE
    },
    Programme {
        channel: "hospital_desk",
        title: "Meja IKD di {name}",
        venue: Some("{name}"),
        names: &["RSUD Tabanan", "RSU Kasih Ibu Tabanan"],
        place: Place::Fixed("51.02.05"),
        days: Days::Weekly(&[Tue, Fri]),
        from: (2, 1),
        to: (12, 20),
        start: (8, 0),
        end: (13, 0),
        staff: 1,
        attempts: Attempts::Between(8, 20),
        success: 0.55,
        failures: HOSPITAL_FAILURES,
        ages: [10, 25, 35, 30],
        nik_share: 0.5,
        repeat_share: 0.015,
        ..BASE
    },
    Programme {
        channel: "village_office_desk",
        title: "Layanan IKD di Kantor Perbekel {village}",
        venue: Some("Kantor Perbekel {village}"),
        place: Place::Village,
        days: Days::Weekly(&[Mon, Thu]),
        from: (3, 4),
        to: (12, 19),
        start: (9, 0),
        end: (14, 0),
        staff: 1,
        attempts: Attempts::Between(6, 16),
        success: 0.65,
        failures: VILLAGE_DESK_FAILURES,
        ages: [15, 30, 35, 20],
        nik_share: 0.4,
        repeat_share: 0.01,
        ..BASE
    },
];

/// Kalimantan Utara: activation for everyone who comes in for a printed e-KTP; a
/// socialization per regency; border and interior villages with no signal.
const KALTARA_SOCIALIZATION: Programme = Programme {
    title: "Sosialisasi IKD Kecamatan {district}",
    days: Days::Dates(&[(4, 25)]),
    from: (1, 1),
    to: (12, 31),
    attempts: Attempts::Between(25, 45),
    ..SOCIALIZATION
};

const KALTARA_BORDER: Programme = Programme {
    channel: "village_visit",
    title: "Jemput bola IKD ke Desa {village}",
    venue: Some("Balai Desa {village}"),
    place: Place::Village,
    days: Days::Dates(&[(3, 19), (6, 11), (9, 10), (11, 12)]),
    from: (1, 1),
    to: (12, 31),
    start: (8, 0),
    end: (15, 0),
    staff: 2,
    attempts: Attempts::Between(15, 35),
    success: 0.5,
    failures: VILLAGE_FAILURES,
    ages: [15, 30, 35, 20],
    cost: Some(Cost {
        lo: 1_500_000,
        hi: 3_500_000,
        share: 1.0,
    }),
    notes: Some("Desa perbatasan/pedalaman; data disinkronkan setelah kembali ke kota."),
    ..BASE
};

/// The demo's regencies, in display order.
pub const REGENCIES: &[Regency] = &[
    Regency {
        key: "tanahlaut",
        code: "63.01",
        name: "Disdukcapil Kabupaten Tanah Laut",
        province: "63",
        timezone: "Asia/Makassar",
        seat: (-3.7994, 114.7664),
        target: TargetSpec {
            eligible: 251_400, // estimate
            percent: 30.0,
            baseline: Baseline::Activations(3_350), // estimate: "under 2 %"
            baseline_date: (1, 1),
        },
        supervisor: "Hj. Noor Aisyah",
        staff: &[
            "Muhammad Rizky Ramadhan",
            "Siti Norhalimah",
            "Ahmad Fahrizal",
        ],
        blank_spots: &["63.01.02", "63.01.07", "63.01.09"],
        programmes: TANAH_LAUT,
    },
    Regency {
        key: "tegal",
        code: "33.28",
        name: "Disdukcapil Kabupaten Tegal",
        province: "33",
        timezone: "Asia/Jakarta",
        seat: (-6.9847, 109.1398),
        target: TargetSpec {
            eligible: 1_218_750, // 19,500 / 1.6 %
            percent: 15.0,
            baseline: Baseline::Activations(19_500),
            baseline_date: (1, 1),
        },
        supervisor: "Sri Wahyuni",
        staff: &["Agus Setiawan", "Dwi Lestari", "Eko Prasetyo"],
        blank_spots: &["33.28.02", "33.28.03", "33.28.07"],
        programmes: TEGAL,
    },
    Regency {
        key: "kotim",
        code: "62.02",
        name: "Disdukcapil Kabupaten Kotawaringin Timur",
        province: "62",
        timezone: "Asia/Jakarta",
        seat: (-2.5383, 112.9519),
        target: TargetSpec {
            eligible: 308_309,
            percent: 25.0,
            baseline: Baseline::Activations(1_113),
            baseline_date: (2, 19),
        },
        supervisor: "Rahmat Hidayat",
        staff: &["Fitri Handayani", "Yohanes Liano"],
        blank_spots: &["62.02.03", "62.02.10", "62.02.15", "62.02.16", "62.02.17"],
        programmes: KOTIM,
    },
    Regency {
        key: "tabanan",
        code: "51.02",
        name: "Disdukcapil Kabupaten Tabanan",
        province: "51",
        timezone: "Asia/Makassar",
        seat: (-8.5406, 115.1250),
        target: TargetSpec {
            eligible: 383_965,
            percent: 25.0,
            baseline: Baseline::ReachTotal {
                total: 5_064,
                by: (5, 31),
            },
            baseline_date: (1, 1),
        },
        supervisor: "I Gusti Ayu Sri Widiantari",
        staff: &[
            "I Made Suardana",
            "Ni Kadek Ayu Lestari",
            "I Komang Arta Wijaya",
        ],
        blank_spots: &["51.02.10"],
        programmes: TABANAN,
    },
    Regency {
        key: "tarakan",
        code: "65.71",
        name: "Disdukcapil Kota Tarakan",
        province: "65",
        timezone: "Asia/Makassar",
        seat: (3.3000, 117.6333),
        target: TargetSpec {
            eligible: 176_500, // estimate
            percent: 25.0,
            baseline: Baseline::Activations(18_356), // estimate
            baseline_date: (1, 1),
        },
        supervisor: "Hendra Saputra",
        staff: &["Nurul Fadilah", "Andi Rahman"],
        blank_spots: &[],
        programmes: &[
            Programme {
                attempts: Attempts::Between(30, 50),
                ..KTP_WEEK
            },
            KALTARA_SOCIALIZATION,
        ],
    },
    Regency {
        key: "bulungan",
        code: "65.01",
        name: "Disdukcapil Kabupaten Bulungan",
        province: "65",
        timezone: "Asia/Makassar",
        seat: (2.8375, 117.3653),
        target: TargetSpec {
            eligible: 108_400, // estimate
            percent: 25.0,
            baseline: Baseline::Activations(10_406), // estimate
            baseline_date: (1, 1),
        },
        supervisor: "Iskandar Zulkarnain",
        staff: &["Rina Marlina", "Yusran"],
        blank_spots: &["65.01.07", "65.01.08"],
        programmes: &[
            Programme {
                attempts: Attempts::Between(18, 32),
                ..KTP_WEEK
            },
            KALTARA_SOCIALIZATION,
        ],
    },
    Regency {
        key: "malinau",
        code: "65.02",
        name: "Disdukcapil Kabupaten Malinau",
        province: "65",
        timezone: "Asia/Makassar",
        seat: (3.5850, 116.6472),
        target: TargetSpec {
            eligible: 59_300, // estimate
            percent: 25.0,
            baseline: Baseline::Activations(5_278), // estimate
            baseline_date: (1, 1),
        },
        supervisor: "Yosef Lahang",
        staff: &["Marta Ilo", "Daniel Lawing"],
        blank_spots: &["65.02.03", "65.02.05", "65.02.09", "65.02.11", "65.02.15"],
        programmes: &[
            Programme {
                attempts: Attempts::Between(9, 18),
                ..KTP_WEEK
            },
            KALTARA_SOCIALIZATION,
            KALTARA_BORDER,
        ],
    },
    Regency {
        key: "nunukan",
        code: "65.03",
        name: "Disdukcapil Kabupaten Nunukan",
        province: "65",
        timezone: "Asia/Makassar",
        seat: (4.1367, 117.6669),
        target: TargetSpec {
            eligible: 141_200, // estimate
            percent: 25.0,
            baseline: Baseline::Activations(12_849), // estimate
            baseline_date: (1, 1),
        },
        supervisor: "Hj. Rosmiati",
        staff: &["Muhammad Yusuf", "Sitti Aminah"],
        blank_spots: &[
            "65.03.04", "65.03.05", "65.03.07", "65.03.15", "65.03.17", "65.03.18", "65.03.19",
            "65.03.20", "65.03.21",
        ],
        programmes: &[
            Programme {
                attempts: Attempts::Between(22, 38),
                ..KTP_WEEK
            },
            KALTARA_SOCIALIZATION,
            KALTARA_BORDER,
        ],
    },
    Regency {
        key: "tanatidung",
        code: "65.04",
        name: "Disdukcapil Kabupaten Tana Tidung",
        province: "65",
        timezone: "Asia/Makassar",
        seat: (3.5519, 117.0956),
        target: TargetSpec {
            eligible: 18_600, // estimate
            percent: 25.0,
            baseline: Baseline::Activations(1_451), // estimate
            baseline_date: (1, 1),
        },
        supervisor: "Abdul Hamid",
        staff: &["Sarina", "Ferdinan Gala"],
        blank_spots: &["65.04.04", "65.04.05"],
        programmes: &[
            Programme {
                attempts: Attempts::Between(3, 9),
                ..KTP_WEEK
            },
            KALTARA_SOCIALIZATION,
        ],
    },
];

/// Activations recorded twice by mistake and voided: (regency key, channel, reason index).
pub const VOIDS: &[(&str, &str, usize)] = &[
    ("tanahlaut", "expo_stand", 0),
    ("tegal", "village_visit", 1),
    ("tabanan", "hospital_desk", 2),
];
