//! The vocabularies of events and activation attempts, and the value types they carry:
//! region (area) codes, channel keys and the citizen's NIK.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{FieldError, Msg};
use crate::string_enum;

string_enum!(
    /// Review state of an event report: `open` → `submitted` → `approved`, or
    /// `submitted` → `returned` → `submitted`.
    EventStatus { Open => "open", Submitted => "submitted", Approved => "approved", Returned => "returned" }
);

impl EventStatus {
    /// Open and returned events are still being worked on: editable, and the phone app keeps
    /// them offline.
    pub fn is_editable(self) -> bool {
        matches!(self, EventStatus::Open | EventStatus::Returned)
    }
}

string_enum!(
    /// What came of one activation attempt.
    Outcome { Activated => "activated", Failed => "failed" }
);

string_enum!(
    /// Why an attempt failed (see `domain.md`).
    FailureReason {
        NoSmartphone => "no_smartphone",
        PhoneNoCamera => "phone_no_camera",
        NoSignal => "no_signal",
        EktpNotRecorded => "ektp_not_recorded",
        DataMismatch => "data_mismatch",
        NoEmail => "no_email",
        Declined => "declined",
        AppError => "app_error",
        Other => "other",
    }
);

string_enum!(
    /// Age band of the citizen.
    AgeBand { From17To24 => "17-24", From25To39 => "25-39", From40To59 => "40-59", From60 => "60+" }
);

string_enum!(
    /// Sex of the citizen.
    Sex { Male => "male", Female => "female" }
);

/// A channel key: snake_case, 2 to 48 characters, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelKey(String);

impl ChannelKey {
    pub fn parse(field: &str, value: &str) -> Result<ChannelKey, FieldError> {
        let v = value.trim();
        let ok = (2..=48).contains(&v.len())
            && v.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !v.ends_with('_')
            && !v.contains("__");
        if ok {
            Ok(ChannelKey(v.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_key",
                Msg::new(
                    "Must be snake_case: 2 to 48 lower-case letters, digits and single underscores, starting with a letter.",
                    "Harus snake_case: 2 sampai 48 huruf kecil, angka dan garis bawah tunggal, diawali huruf.",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Province codes (the first two digits of a NIK) in use by Kemendagri.
const PROVINCE_CODES: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97,
];

/// A citizen's NIK (Nomor Induk Kependudukan): 16 digits, a real province code first and a
/// real birth date (DDMMYY, DD + 40 for women) in digits 7 to 12. Personal data: it has no
/// `Debug` or `Display`, parse errors never echo it, and it leaves this type only as a keyed
/// hash or as its district prefix.
pub struct Nik([u8; 16]);

impl Nik {
    pub fn parse(field: &str, value: &str) -> Result<Nik, FieldError> {
        let bytes = value.trim().as_bytes();
        let invalid = || {
            FieldError::new(
                field,
                "invalid_nik",
                Msg::new(
                    "Must be a NIK: 16 digits with a real province code and birth date.",
                    "Harus NIK: 16 angka dengan kode provinsi dan tanggal lahir yang valid.",
                ),
            )
        };
        if bytes.len() != 16 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        let mut digits = [0u8; 16];
        for (d, b) in digits.iter_mut().zip(bytes) {
            *d = b - b'0';
        }
        let two = |i: usize| u32::from(digits[i]) * 10 + u32::from(digits[i + 1]);
        if !PROVINCE_CODES.contains(&(two(0) as u8)) {
            return Err(invalid());
        }
        let mut day = two(6);
        if day > 40 {
            day -= 40;
        }
        let (month, yy) = (two(8), two(10) as i32);
        // The century is not in the NIK: a date valid in either 19YY or 20YY is plausible.
        let real = [1900 + yy, 2000 + yy]
            .iter()
            .any(|y| chrono::NaiveDate::from_ymd_opt(*y, month, day).is_some());
        if !real {
            return Err(invalid());
        }
        Ok(Nik(digits))
    }

    /// The keyed hash stored instead of the NIK: HMAC-SHA256, lower-case hex. Without the
    /// installation's key, the 10^16 possible NIKs cannot be tried against it.
    pub fn keyed_hash(&self, key: &[u8]) -> String {
        // HMAC accepts keys of any length, so this never fails.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        let mut ascii = [0u8; 16];
        for (a, d) in ascii.iter_mut().zip(self.0) {
            *a = d + b'0';
        }
        mac.update(&ascii);
        hex::encode(mac.finalize().into_bytes())
    }

    /// The district (kecamatan) where the NIK was issued, as a region code `DD.DD.DD`.
    pub fn home_district(&self) -> String {
        let d = &self.0;
        format!("{}{}.{}{}.{}{}", d[0], d[1], d[2], d[3], d[4], d[5])
    }
}

/// An instant sent by a client: RFC 3339 with any offset, kept as naive UTC truncated to
/// microseconds (what both backends store).
pub fn parse_instant(field: &str, value: &str) -> Result<chrono::NaiveDateTime, FieldError> {
    chrono::DateTime::parse_from_rfc3339(value.trim())
        .map(|t| truncate_micros(t.naive_utc()))
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_timestamp",
                Msg::new(
                    "Must be an RFC 3339 timestamp with an offset, e.g. 2024-03-18T09:30:00+08:00.",
                    "Harus stempel waktu RFC 3339 dengan offset, mis. 2024-03-18T09:30:00+08:00.",
                ),
            )
        })
}

/// A local calendar date `YYYY-MM-DD`.
pub fn parse_local_date(field: &str, value: &str) -> Result<chrono::NaiveDate, FieldError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "invalid_date",
            Msg::new("Must be a date YYYY-MM-DD.", "Harus tanggal YYYY-MM-DD."),
        )
    })
}

fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1000).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nik_rules() {
        assert!(Nik::parse("nik", "6301011203900001").is_ok());
        // A woman's date: day + 40.
        assert!(Nik::parse("nik", "6301015203900001").is_ok());
        // 29 February exists in 2000 (and 1900 is not a leap year, 2000 is).
        assert!(Nik::parse("nik", "3201012902000001").is_ok());
        assert!(Nik::parse("nik", "3201013002000001").is_err());
        for bad in [
            "630101120390000",   // 15 digits
            "63010112039000011", // 17 digits
            "630101120390000a",
            "2001011203900001", // province 20 does not exist
            "6301011213900001", // month 13
            "6301013203900001", // day 32
            "6301010003900001", // day 0
        ] {
            let err = Nik::parse("nik", bad).err().expect(bad);
            assert_eq!(err.field, "nik");
            assert!(!err.message.en.contains(bad));
        }
    }

    #[test]
    fn nik_hash_and_district() {
        let nik = Nik::parse("nik", " 6301011203900001 ").expect("valid");
        assert_eq!(nik.home_district(), "63.01.01");
        let h = nik.keyed_hash(b"key");
        assert_eq!(h.len(), 64);
        assert_ne!(h, nik.keyed_hash(b"other key"));
        assert!(!h.contains("6301011203900001"));
    }

    #[test]
    fn channel_keys() {
        assert!(ChannelKey::parse("key", "market_day").is_ok());
        for bad in ["Market", "1abc", "a", "a__b", "ab_", "a-b"] {
            assert!(ChannelKey::parse("key", bad).is_err(), "{bad}");
        }
    }

    mod properties {
        //! What a phone sends, arbitrary: the parsers never panic, and every refusal is a
        //! field error naming the field, with a code and a message in both languages.
        use super::super::*;
        use proptest::prelude::*;

        fn clear(e: &FieldError, field: &str) {
            assert_eq!(e.field, field);
            assert!(!e.code.is_empty());
            assert!(!e.message.en.is_empty() && !e.message.id.is_empty());
        }

        proptest! {
            #[test]
            fn any_text_as_a_nik(s in "\\PC{0,40}") {
                if let Err(e) = Nik::parse("nik", &s) {
                    clear(&e, "nik");
                    // An error never echoes what was sent (it may be a real NIK).
                    prop_assert!(s.trim().len() < 4 || !e.message.en.contains(s.trim()));
                }
            }

            #[test]
            fn digit_strings_as_a_nik(s in "[0-9]{14,18}") {
                match Nik::parse("nik", &s) {
                    Ok(n) => {
                        prop_assert_eq!(s.len(), 16);
                        prop_assert_eq!(n.keyed_hash(b"k").len(), 64);
                        prop_assert_eq!(n.home_district().len(), 8);
                    }
                    Err(e) => clear(&e, "nik"),
                }
            }

            #[test]
            fn any_text_as_an_instant(s in "\\PC{0,40}") {
                if let Err(e) = parse_instant("recorded_at", &s) {
                    clear(&e, "recorded_at");
                }
            }

            #[test]
            fn instants_with_any_offset_round_trip(
                secs in -62_000_000_000i64..253_000_000_000i64,
                micros in 0u32..1_000_000,
                offset_min in -1439i32..=1439,
            ) {
                let utc = chrono::DateTime::from_timestamp(secs, micros * 1000)
                    .expect("in range")
                    .naive_utc();
                let Some(tz) = chrono::FixedOffset::east_opt(offset_min * 60) else {
                    return Ok(());
                };
                let text = chrono::TimeZone::from_utc_datetime(&tz, &utc).to_rfc3339();
                if let Ok(t) = parse_instant("recorded_at", &text) {
                    prop_assert_eq!(t, utc);
                }
            }

            #[test]
            fn any_text_as_a_local_date(s in "\\PC{0,20}") {
                if let Err(e) = parse_local_date("from", &s) {
                    clear(&e, "from");
                }
            }

            #[test]
            fn date_shaped_text_as_a_local_date(y in -300_000i32..300_000, m in 0u32..14, d in 0u32..33) {
                let s = format!("{y:04}-{m:02}-{d:02}");
                match parse_local_date("to", &s) {
                    Ok(date) => prop_assert_eq!(chrono::NaiveDate::from_ymd_opt(y, m, d), Some(date)),
                    Err(e) => clear(&e, "to"),
                }
            }
        }
    }
}
