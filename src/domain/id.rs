//! Ids: UUIDs, stored in canonical form (lower-case, hyphenated), as text.

use crate::error::{AppError, FieldError, Msg};

/// A client-chosen id in a body or query: a UUID in canonical form, or a 422 naming `field`.
pub fn parse_id(field: &str, value: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.to_string())
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_id",
                Msg::new("Must be a UUID.", "Harus berupa UUID."),
            )
        })
}

/// An id in a path: one that is not a UUID names nothing, so 404, like a missing one.
pub fn path_id(value: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(value)
        .map(|u| u.to_string())
        .map_err(|_| AppError::NotFound)
}
