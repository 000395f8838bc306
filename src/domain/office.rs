//! Office codes and time zones.

use crate::error::{FieldError, Msg};

/// An IANA time zone name, checked against the tz database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(field: &str, value: &str) -> Result<TimeZone, FieldError> {
        value.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            FieldError::new(
                field,
                "invalid_timezone",
                Msg::new(
                    "Must be an IANA time zone name, e.g. Asia/Jakarta, Asia/Makassar or Asia/Jayapura.",
                    "Harus nama zona waktu IANA, mis. Asia/Jakarta, Asia/Makassar atau Asia/Jayapura.",
                ),
            )
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date of a UTC instant in this zone.
    pub fn local_date(&self, utc: chrono::NaiveDateTime) -> chrono::NaiveDate {
        use chrono::TimeZone as _;
        self.0.from_utc_datetime(&utc).date_naive()
    }
}

/// A Kemendagri region code: two digits, then dot-separated groups of digits
/// (`63`, `63.01`, `63.01.01`, `63.01.01.2001`), or `ID` for the nation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeCode(String);

impl OfficeCode {
    pub fn parse(field: &str, value: &str) -> Result<OfficeCode, FieldError> {
        let v = value.trim();
        let ok = v == "ID"
            || (!v.is_empty()
                && v.len() <= 16
                && v.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                && v.split('.').next().is_some_and(|p| p.len() == 2));
        if ok {
            Ok(OfficeCode(v.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_code",
                Msg::new(
                    "Must be a Kemendagri region code such as 63 or 63.01 (or ID for the nation).",
                    "Harus kode wilayah Kemendagri seperti 63 atau 63.01 (atau ID untuk nasional).",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
