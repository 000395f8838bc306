//! Free-text fields with length rules, usernames and passwords.

use crate::error::{FieldError, Msg};

/// A trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::required(field));
    }
    max_len(field, v, max)
}

/// An optional text: blank becomes `None`.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => max_len(field, v, max).map(Some),
    }
}

/// A character no text field accepts: control characters (PostgreSQL cannot store a NUL,
/// and no field has a use for the others), except tab and line breaks for multi-line text.
pub fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The field error for a text with a refused character.
pub fn control_character(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "control_character",
        Msg::new(
            "Control characters (such as NUL) are not allowed.",
            "Karakter kontrol (seperti NUL) tidak diizinkan.",
        ),
    )
}

fn max_len(field: &str, v: &str, max: usize) -> Result<String, FieldError> {
    // The API refuses these at its edge; the web app's forms reach the same rules here.
    if v.chars().any(is_refused) {
        return Err(control_character(field));
    }
    if v.chars().count() > max {
        Err(FieldError::new(
            field,
            "too_long",
            Msg::new(
                format!("At most {max} characters."),
                format!("Paling banyak {max} karakter."),
            ),
        ))
    } else {
        Ok(v.to_string())
    }
}

/// A login name: 3-64 of letters, digits, `.`, `_`, `-`; compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, value: &str) -> Result<Username, FieldError> {
        let v = value.trim();
        let ok = (3..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if ok {
            Ok(Username(v.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_username",
                Msg::new(
                    "3 to 64 characters: letters, digits, '.', '_' or '-'.",
                    "3 sampai 64 karakter: huruf, angka, '.', '_' atau '-'.",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key that makes usernames unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// Minimum password length (NIST SP 800-63B asks for at least 8; we ask 10).
pub const PASSWORD_MIN_LEN: usize = 10;

/// A new password: long enough and not among the most common ones.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(field: &str, value: &str) -> Result<NewPassword, FieldError> {
        let len = value.chars().count();
        if len < PASSWORD_MIN_LEN {
            return Err(FieldError::new(
                field,
                "too_short",
                Msg::new(
                    format!("At least {PASSWORD_MIN_LEN} characters."),
                    format!("Paling sedikit {PASSWORD_MIN_LEN} karakter."),
                ),
            ));
        }
        if len > 256 {
            return Err(FieldError::new(
                field,
                "too_long",
                Msg::new("At most 256 characters.", "Paling banyak 256 karakter."),
            ));
        }
        if is_common_password(value) {
            return Err(FieldError::new(
                field,
                "too_common",
                Msg::new(
                    "This password is among the most common ones; choose another.",
                    "Kata sandi ini termasuk yang paling umum; pilih yang lain.",
                ),
            ));
        }
        Ok(NewPassword(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The most common passwords of public breach lists (lower-cased), with Indonesian ones.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common_password(candidate: &str) -> bool {
    let lower = candidate.to_lowercase();
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .any(|p| !p.is_empty() && !p.starts_with('#') && p == lower)
}
