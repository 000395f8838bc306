//! diesel and pool errors mapped to [`AppError`] in one place. Contention (a SQLite lock
//! timeout, a PostgreSQL serialization failure or deadlock) is a retryable 503, not a 500.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::{AppError, Msg};

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(Msg::new(
                    "A record with the same unique value already exists.",
                    "Data dengan nilai unik yang sama sudah ada.",
                ))
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Unavailable
            }
            DieselError::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy")
                    || info.message().contains("deadlock detected") =>
            {
                AppError::Unavailable
            }
            other => AppError::internal(anyhow::Error::new(other).context("database error")),
        }
    }
}
