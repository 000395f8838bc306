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
            // A connection whose transaction state diesel lost track of (it died mid-query):
            // the pool drops it; the request may be retried.
            DieselError::BrokenTransactionManager => AppError::Unavailable,
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
            DieselError::DatabaseError(kind, ref info)
                if is_connection_lost(kind, info.message()) =>
            {
                tracing::warn!(error = info.message(), "database connection lost");
                AppError::Unavailable
            }
            other => AppError::internal(anyhow::Error::new(other).context("database error")),
        }
    }
}

/// The database went away under a query (a restart, a fail-over, a network cut) or refuses
/// sessions for now (starting up, shutting down): the request may succeed when retried.
fn is_connection_lost(kind: DatabaseErrorKind, message: &str) -> bool {
    const LOST: &[&str] = &[
        "no connection to the server",
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "could not connect to server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "SSL connection has been closed",
        "Connection refused",
        "Broken pipe",
        "EOF detected",
    ];
    matches!(
        kind,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
    ) || LOST.iter().any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_retryable_and_anything_else_is_not() {
        assert!(is_connection_lost(
            DatabaseErrorKind::Unknown,
            "no connection to the server\n"
        ));
        assert!(is_connection_lost(
            DatabaseErrorKind::Unknown,
            "FATAL:  terminating connection due to administrator command"
        ));
        assert!(is_connection_lost(DatabaseErrorKind::ClosedConnection, ""));
        assert!(!is_connection_lost(
            DatabaseErrorKind::Unknown,
            "syntax error at or near \"SELEC\""
        ));
        assert!(!is_connection_lost(
            DatabaseErrorKind::CheckViolation,
            "new row violates check constraint"
        ));
    }
}
