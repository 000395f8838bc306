//! Field errors, and the validator that collects every one of a request into one 422.

use super::{AppError, Msg};

/// One offending field of a request that broke a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Msg) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message,
        }
    }

    pub fn required(field: impl Into<String>) -> FieldError {
        FieldError::new(
            field,
            "required",
            Msg::new("This field is required.", "Kolom ini wajib diisi."),
        )
    }

    pub fn invalid(
        field: impl Into<String>,
        en: impl Into<String>,
        id: impl Into<String>,
    ) -> FieldError {
        FieldError::new(field, "invalid", Msg::new(en.into(), id.into()))
    }

    pub fn one_of(field: impl Into<String>, allowed: &[&str]) -> FieldError {
        let list = allowed.join(", ");
        FieldError::new(
            field,
            "unknown_value",
            Msg::new(
                format!("Must be one of: {list}."),
                format!("Harus salah satu dari: {list}."),
            ),
        )
    }
}

/// Collects every field error of a request before answering, so a client fixes all at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Validator {
        Validator::default()
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Keeps the value when it parsed, records the error otherwise.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether `field` already has an error (a rule over it can then wait).
    pub fn refused(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// The errors collected, to merge with those of rules checked later.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
